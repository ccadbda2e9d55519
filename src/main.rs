//! The `academy` command: serve (default), import, user add, demo.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket_db_pools::Database;

use academy::config::Config;
use academy::db::Db;
use academy::orgs::{self, SmeScope};

#[derive(Parser)]
#[command(
    name = "academy",
    version,
    about = "IberoBio Academy: courses, advisory bookings and certificates"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (runs migrations and imports courses first). The default.
    Serve,
    /// Import and validate courses/ and print the report; exits 1 when any course has errors.
    Import,
    /// Check courses/ as the test suite does (complete in every language a course declares,
    /// translations with the default language's structure, links, plain-text titles); no
    /// database needed. Exits 1 when anything is reported.
    Check,
    /// Create users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Seed demo partners, SMEs, users and slots, and print the logins.
    Demo,
    /// Object storage tools.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Copy every object from the folder store (data dir) to the configured S3 bucket
    /// (ACADEMY_S3_*). Resumable: objects already copied are skipped; checksums are verified.
    Migrate,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; without --password-stdin a password is generated and printed once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// learner, advisor, coordinator or admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        sme: Option<i64>,
        #[arg(long)]
        partner: Option<i64>,
        #[arg(long)]
        locale: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[rocket::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let figment = Config::figment();
    let format: String = figment
        .extract_inner("log_format")
        .unwrap_or_else(|_| "text".into());
    let command = cli.command.unwrap_or(Command::Serve);
    academy::telemetry::init(&format, !matches!(command, Command::Serve));
    if let Err(why) = academy::startup::preflight(&figment).await {
        eprintln!("academy: {why}");
        return ExitCode::FAILURE;
    }
    match command {
        Command::Serve => match academy::app(figment).launch().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("academy: the server stopped: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Import => import(figment).await,
        Command::Check => check(figment),
        Command::User { command } => user(figment, command).await,
        Command::Demo => demo(figment).await,
        Command::Storage {
            command: StorageCommand::Migrate,
        } => storage_migrate(figment).await,
    }
}

/// An ignited app (migrations run) without the start-up course import.
async fn ignite(figment: rocket::figment::Figment) -> Option<rocket::Rocket<rocket::Ignite>> {
    match academy::app(figment.merge(("import_on_start", false)))
        .ignite()
        .await
    {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("academy: could not start: {e}");
            None
        }
    }
}

async fn import(figment: rocket::figment::Figment) -> ExitCode {
    let Some(rocket) = ignite(figment).await else {
        return ExitCode::FAILURE;
    };
    let Some(db) = Db::fetch(&rocket) else {
        return ExitCode::FAILURE;
    };
    let Some(config) = rocket.state::<Config>() else {
        return ExitCode::FAILURE;
    };
    let dir = &config.courses_dir;
    match academy::courses::import_dir(db, dir).await {
        Ok(report) => {
            for problem in &report.errors {
                println!("{problem}");
            }
            println!(
                "{}: {} imported, {} updated, {} unchanged, {} skipped with errors",
                dir.display(),
                report.imported,
                report.updated,
                report.unchanged,
                report.skipped.len()
            );
            if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("academy: import failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(figment: rocket::figment::Figment) -> ExitCode {
    let config: Config = match figment.extract() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("academy: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let problems = academy::courses::check::check_dir(&config.courses_dir);
    for problem in &problems {
        println!("{problem}");
    }
    println!(
        "{}: {} content problems",
        config.courses_dir.display(),
        problems.len()
    );
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn user(figment: rocket::figment::Figment, command: UserCommand) -> ExitCode {
    let UserCommand::Add {
        email,
        name,
        role,
        sme,
        partner,
        locale,
        time_zone,
        password_stdin,
    } = command;
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        if std::io::stdin().read_to_string(&mut s).is_err() {
            eprintln!("academy: could not read the password from standard input");
            return ExitCode::FAILURE;
        }
        (s.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (academy::crypto::random_token(20), true)
    };
    let Some(rocket) = ignite(figment).await else {
        return ExitCode::FAILURE;
    };
    let Some(db) = Db::fetch(&rocket) else {
        return ExitCode::FAILURE;
    };
    let body = orgs::NewAccount {
        email,
        name,
        role,
        password: password.clone(),
        sme_id: sme,
        partner_id: partner,
        locale,
        time_zone,
    };
    match orgs::create_checked(
        db,
        academy::auth::password::Hasher::shared(),
        SmeScope::All,
        body,
    )
    .await
    {
        Ok(user) => {
            println!(
                "created {} {} (id {})",
                user.role.as_str(),
                user.email,
                user.id
            );
            if generated {
                println!("password: {password}");
                println!("(shown once; the user can change it with PATCH /api/me)");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("academy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn demo(figment: rocket::figment::Figment) -> ExitCode {
    let Some(rocket) = ignite(figment).await else {
        return ExitCode::FAILURE;
    };
    let Some(db) = Db::fetch(&rocket) else {
        return ExitCode::FAILURE;
    };
    // The demo's learners complete real courses: make sure they are imported.
    if let Some(config) = rocket.state::<Config>() {
        if let Err(e) = academy::courses::import_dir(db, &config.courses_dir).await {
            eprintln!("academy: importing courses for the demo failed: {e}");
        }
    }
    match academy::demo::seed(db).await {
        Ok(demo) => {
            println!(
                "Demo data is ready. Every demo account's password: {}\n",
                demo.password
            );
            println!("{:<12} {:<36} {:<26} where", "role", "email", "name");
            for l in &demo.logins {
                println!(
                    "{:<12} {:<36} {:<26} {}",
                    l.role.as_str(),
                    l.email,
                    l.name,
                    l.detail
                );
            }
            println!(
                "\nAdvisory sessions: {} open slots ahead ({} new), {} bookings made; \
                 advisors publish in Madrid, Lisbon and Canary time.",
                demo.bookings.open_slots, demo.bookings.slots_created, demo.bookings.bookings
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("academy: seeding the demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn storage_migrate(figment: rocket::figment::Figment) -> ExitCode {
    let config: Config = match figment.extract() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("academy: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = academy::storage::migrate::run(&config, |step| {
        use academy::storage::migrate::Step;
        match step {
            Step::Copied { key, size } => println!("copied  {key} ({size} bytes, verified)"),
            Step::Skipped { key } => println!("skipped {key} (already there, same SHA-256)"),
            Step::Failed { key, error } => eprintln!("FAILED  {key}: {error}"),
        }
    })
    .await;
    match result {
        Ok(report) => {
            println!(
                "{} copied ({} bytes), {} already there, {} failed",
                report.copied,
                report.bytes,
                report.skipped,
                report.failed.len()
            );
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "academy: some objects were not copied; run the command again to retry them"
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("academy: storage migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
