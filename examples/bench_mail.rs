//! Mail delivery benchmark, side by side in one run:
//! - **direct**: lettre sends N messages to a local SMTP sink, eight in flight like the worker
//!   (no database): the ceiling of this transport on this machine;
//! - **outbox, SMTP**: N messages queued in the outbox (SQLite), delivered by the app's worker
//!   to the same sink: claim, send, mark sent;
//! - **outbox, files**: the same N messages written as `.eml` files (the embedded default).
//!
//! The sink is the `mailin` SMTP state machine behind a TCP listener (one thread per
//! connection), the same as the API tests use.
//!
//! ```text
//! cargo run --release --example bench_mail            # N = 2000
//! BENCH_MAIL_N=5000 cargo run --release --example bench_mail
//! ```

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use academy::lang::Lang;
use academy::mail::{texts, Kind, Outgoing};
use futures::StreamExt;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rocket::figment::Figment;
use rocket_db_pools::Database;

#[path = "../tests/support/smtp_sink.rs"]
mod smtp_sink;
use smtp_sink::sink;

fn message(i: usize) -> Outgoing {
    let letter = texts::password_reset(
        Lang::ALL[i % 4],
        "Begoña Núñez Ibáñez",
        &format!("https://academy.example/#/reset?token=token{i:06}"),
        30,
    );
    Outgoing::new(
        Kind::PasswordReset,
        None,
        &format!("learner{i}@sme.example"),
        "Begoña Núñez Ibáñez",
        &letter,
    )
}

async fn direct(n: usize) -> f64 {
    let (port, count) = sink();
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let from: Mailbox = "IberoBio Academy <no-reply@iberobio.example>"
        .parse()
        .expect("from");
    let started = Instant::now();
    // Eight in flight, as the worker sends.
    let sends: Vec<_> = (0..n)
        .map(|i| {
            let m = message(i);
            let email = Message::builder()
                .from(from.clone())
                .to(m.to.parse().expect("to"))
                .subject(m.subject.clone())
                .multipart(MultiPart::alternative_plain_html(m.text, m.html))
                .expect("message");
            let smtp = smtp.clone();
            async move { smtp.send(email).await.expect("send") }
        })
        .collect();
    let _: Vec<_> = futures::stream::iter(sends)
        .buffer_unordered(8)
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(count.load(Ordering::SeqCst), n);
    n as f64 / secs
}

/// Queue `n` messages, then time the app's worker until all are sent. Returns (queue rate,
/// delivery rate).
async fn outbox(n: usize, smtp: Option<u16>) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut figment = Figment::from(rocket::Config::default())
        .merge(academy::config::Config::figment())
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.path().join("data")))
        .merge(("courses_dir", dir.path().join("no-courses")))
        .merge(("import_on_start", false))
        .merge((
            "database_url",
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
        ))
        .merge(("mail_poll_milliseconds", 3_600_000))
        .merge(("reminder_interval_seconds", 3600));
    if let Some(port) = smtp {
        figment = figment.merge(("smtp_url", format!("smtp://127.0.0.1:{port}")));
    }
    let rocket = academy::app(figment).ignite().await.expect("ignite");
    let pool = academy::db::Db::fetch(&rocket).expect("db").pool.clone();
    let transport = rocket
        .state::<academy::mail::Transport>()
        .expect("transport")
        .clone();
    let policy = rocket
        .state::<academy::mail::Policy>()
        .expect("policy")
        .clone();
    let started = Instant::now();
    let mut conn = pool.acquire().await.expect("conn");
    for i in 0..n {
        academy::mail::enqueue(&mut conn, &message(i))
            .await
            .expect("enqueue");
    }
    drop(conn);
    let queued = n as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let done = academy::mail::deliver_due(&pool, &transport, &policy)
        .await
        .expect("deliver");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(done.sent, n, "{done:?}");
    (queued, n as f64 / secs)
}

#[rocket::main]
async fn main() {
    let n: usize = std::env::var("BENCH_MAIL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let direct_rate = direct(n).await;
    let (port, count) = sink();
    let (queue_rate, smtp_rate) = outbox(n, Some(port)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count.load(Ordering::SeqCst), n, "each message once");
    let (_, files_rate) = outbox(n, None).await;
    println!("messages: {n}");
    println!("| path | messages/s | ratio to direct SMTP |");
    println!("|---|---|---|");
    println!("| lettre straight to the sink (no outbox) | {direct_rate:.0} | 1.00 |");
    println!(
        "| outbox worker to the same sink (claim, send, mark sent) | {smtp_rate:.0} | {:.2} |",
        smtp_rate / direct_rate
    );
    println!(
        "| outbox worker writing .eml files | {files_rate:.0} | {:.2} |",
        files_rate / direct_rate
    );
    println!("| queueing (one INSERT per message, one connection) | {queue_rate:.0} | |");
}
