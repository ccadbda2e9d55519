//! Course import benchmark, side by side in one run:
//!
//! 1. pulldown-cmark alone rendering the Markdown of 100 generated courses x 6 modules x
//!    3 languages (1,800 files, text taken from the shipped courses);
//! 2. our rendering alone, and ammonia on its output (for reference);
//! 3. the full import of the same folder into a fresh SQLite database (read, validate, render,
//!    hash, store), the WAL checkpoint that follows it, and the catalogue load alone;
//! 4. a re-import of the unchanged folder (hash check only);
//! 5. start-up to serving: `academy::app` with the shipped courses, from build to the first
//!    200 from /health, on a fresh database (migrations + import) and on a warm one.
//!
//! Run: `cargo run --release --example bench_import [-- ROUNDS]` (default 7); medians printed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use academy::courses::{catalog, import_dir_unchecked, render};

const COURSES: usize = 100;
const MODULES: usize = 6;
const LANGS: [&str; 3] = ["en", "es", "pt"];

/// User + system CPU time of this process so far (all threads), from /proc.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

struct Step {
    name: &'static str,
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Step {
    fn new(name: &'static str) -> Step {
        Step {
            name,
            wall: Vec::new(),
            cpu: Vec::new(),
        }
    }

    fn record(&mut self, wall: Instant, cpu: Duration) {
        self.wall.push(wall.elapsed());
        self.cpu.push(cpu_time().saturating_sub(cpu));
    }

    fn time(&mut self, f: impl FnOnce()) {
        let (wall, cpu) = (Instant::now(), cpu_time());
        f();
        self.record(wall, cpu);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Rewrite links to the shipped course's modules (`](02-x.md#a`) into links to generated ones.
fn relink(text: &str, module: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let end = rest.find(')').unwrap_or(0);
        let target = &rest[..end];
        let file = target.split('#').next().unwrap_or_default();
        if render::parse_module_file_name(file).is_some() {
            let to = (module % MODULES) + 1;
            out.push_str(&format!("{to:02}-module-{to}.md"));
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// The shipped module texts per language, links made generic.
fn sources(repo: &Path) -> Vec<Vec<String>> {
    let mut per_lang = Vec::new();
    for lang in LANGS {
        let mut texts = Vec::new();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo.join("courses"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            let mut files: Vec<PathBuf> = std::fs::read_dir(d.join(lang))
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            files.sort();
            for f in files {
                texts.push(std::fs::read_to_string(f).unwrap());
            }
        }
        per_lang.push(texts);
    }
    per_lang
}

/// Write 100 courses x 6 modules x 3 languages; returns every Markdown text written.
fn generate(dir: &Path, sources: &[Vec<String>]) -> Vec<String> {
    let mut all = Vec::new();
    for c in 0..COURSES {
        let slug = format!("course-{c:03}");
        let root = dir.join(&slug);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("course.toml"),
            format!(
                "slug = \"{slug}\"\nversion = 1\ndefault_language = \"en\"\ntopic = \"finance\"\n\
                 estimated_minutes = 90\n\n[title]\nen = \"Course {c}\"\nes = \"Curso {c}\"\npt = \"Curso {c}\"\n\n\
                 [summary]\nen = \"Generated.\"\nes = \"Generado.\"\npt = \"Gerado.\"\n\n\
                 [completion]\nmodules = \"all\"\nquiz = false\npass_mark = 70\n"
            ),
        )
        .unwrap();
        for (l, lang) in LANGS.iter().enumerate() {
            std::fs::create_dir_all(root.join(lang)).unwrap();
            for m in 0..MODULES {
                let pool = &sources[l];
                let text = relink(&pool[(c * MODULES + m) % pool.len()], m + c);
                std::fs::write(
                    root.join(lang)
                        .join(format!("{:02}-module-{}.md", m + 1, m + 1)),
                    &text,
                )
                .unwrap();
                all.push(text);
            }
        }
    }
    all
}

fn render_only(texts: &[String]) -> usize {
    let mut bytes = 0;
    for t in texts {
        let mut html = String::with_capacity(t.len() * 3 / 2);
        pulldown_cmark::html::push_html(
            &mut html,
            pulldown_cmark::Parser::new_ext(t, render::options()),
        );
        bytes += html.len();
    }
    bytes
}

async fn fresh_pool(dir: &Path, n: usize) -> academy::db::AnyDbPool {
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join(format!("bench-{n}.db")).display()
    );
    let pool = academy::db::connect(&url, 4, 1).await.unwrap();
    academy::db::migrate(&pool).await.unwrap();
    pool
}

fn get_health(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

/// From building the app to the first 200 from /health.
async fn start_to_serving(repo: &Path, data: &Path, port: u16) -> Duration {
    let started = Instant::now();
    let figment = academy::config::Config::figment()
        .merge(("log_level", "off"))
        .merge(("port", port))
        .merge(("data_dir", data))
        .merge(("courses_dir", repo.join("courses")))
        .merge(("static_dir", repo.join("static")))
        .merge(("jwt_secret", "bench-secret-bench-secret-bench-secret-0"));
    let rocket = academy::app(figment).ignite().await.expect("ignite");
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());
    loop {
        if tokio::task::spawn_blocking(move || get_health(port))
            .await
            .unwrap()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    shutdown.notify();
    let _ = server.await;
    elapsed
}

#[rocket::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let courses = work.path().join("courses");
    let texts = generate(&courses, &sources(&repo));
    let md_bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "generated {COURSES} courses x {MODULES} modules x {} languages = {} files, {:.1} MiB of Markdown",
        LANGS.len(),
        texts.len(),
        md_bytes as f64 / 1048576.0
    );
    let check = catalog::load(&courses);
    assert!(
        check.problems.is_empty(),
        "{:?}",
        &check.problems[..check.problems.len().min(5)]
    );
    assert_eq!(check.courses.len(), COURSES);

    let ctx = render::LinkContext {
        course: "c",
        module: "m",
    };
    let allow_listed: Vec<String> = texts
        .iter()
        .map(|t| render::render_allow_listed(t, &ctx).html)
        .collect();
    let mut steps: Vec<Step> = [
        "pulldown-cmark alone (Parser::new_ext + push_html, same options)",
        "our rendering: allow-list, heading ids, link rewriting (one core)",
        "ammonia on that HTML (for reference: it runs only where the allow-list removed something)",
        "catalogue load: read, parse TOML, validate, render, hash (no database)",
        "full import into a fresh SQLite database",
        "the WAL checkpoint that follows it (in the background)",
        "re-import, nothing changed (hash check only, nothing parsed)",
    ]
    .into_iter()
    .map(Step::new)
    .collect();
    for round in 0..rounds {
        steps[0].time(|| {
            std::hint::black_box(render_only(&texts));
        });
        steps[1].time(|| {
            for text in &texts {
                std::hint::black_box(render::render_allow_listed(text, &ctx));
            }
        });
        steps[2].time(|| {
            for html in &allow_listed {
                std::hint::black_box(render::sanitize(html));
            }
        });
        steps[3].time(|| {
            std::hint::black_box(catalog::load(&courses));
        });

        let pool = fresh_pool(work.path(), round).await;
        let (wall, cpu) = (Instant::now(), cpu_time());
        let report = import_dir_unchecked(&pool, &courses).await.unwrap();
        steps[4].record(wall, cpu);
        assert_eq!(report.imported, COURSES);
        let (wall, cpu) = (Instant::now(), cpu_time());
        academy::db::checkpoint(&pool).await.unwrap();
        steps[5].record(wall, cpu);

        let (wall, cpu) = (Instant::now(), cpu_time());
        let report = import_dir_unchecked(&pool, &courses).await.unwrap();
        steps[6].record(wall, cpu);
        assert_eq!(report.unchanged, COURSES);
        pool.close().await;
    }
    let base = median(steps[0].wall.clone());
    println!("medians of {rounds} rounds (wall time; CPU time of the whole process, both cores):");
    println!("| step (same files, same run) | wall | vs pulldown-cmark | CPU |");
    println!("|---|---:|---:|---:|");
    for step in steps {
        let wall = median(step.wall);
        println!(
            "| {} | {:.1} ms | {:.2}x | {:.0} ms |",
            step.name,
            ms(wall),
            ms(wall) / ms(base),
            ms(median(step.cpu))
        );
    }

    let (mut cold, mut warm) = (vec![], vec![]);
    let port = 38000 + (std::process::id() % 1000) as u16;
    for round in 0..rounds {
        let data = work.path().join(format!("serve-{round}"));
        cold.push(start_to_serving(&repo, &data, port).await);
        warm.push(start_to_serving(&repo, &data, port).await);
    }
    println!("start-up to serving with the shipped courses (build app -> first 200 from /health):");
    println!(
        "  fresh database (migrations + import of 4 courses)  {:7.1} ms",
        ms(median(cold))
    );
    println!(
        "  warm database (courses unchanged)                  {:7.1} ms",
        ms(median(warm))
    );
}
