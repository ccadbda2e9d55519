//! A class on the platform: CLIENTS learners, each with their own account
//! and connection, hammer a running `academy` over HTTP for SECONDS with a realistic mix:
//! catalogue, course pages, module pages (in their language), module completions, progress,
//! quiz start / autosave / submit, slot listing, booking and cancelling, their bookings.
//!
//! Set-up goes through the public API with an admin account (a partner, an SME, an advisor
//! with open slots, one learner per client, enrolled in every course).
//!
//! Every answer is counted: 2xx, the 4xx a real class meets (409 "no attempts left" or "slot
//! taken", 422 "too many bookings"), other 4xx (a bench bug: reported), 5xx and transport
//! errors. Latency percentiles overall and per action are printed, then one summary line.
//!
//! ```text
//! cargo run --release --example bench_mix -- URL ADMIN_EMAIL ADMIN_PASSWORD [CLIENTS] [SECONDS]
//! ```
//! `bench/mixed-load.sh` starts the server (SQLite or PostgreSQL) and samples its RSS.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::{Client, Method};
use serde_json::{json, Value};
use tokio::sync::Mutex;

const ACTIONS: [(&str, u32); 11] = [
    ("catalogue", 16),
    ("course", 10),
    ("module", 22),
    ("completion", 6),
    ("progress", 10),
    ("quiz_start", 3),
    ("quiz_save", 10),
    ("quiz_submit", 2),
    ("slots", 10),
    ("book_cancel", 4),
    ("bookings", 7),
];

/// What one answer was, for the tally.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Ok,
    Expected4xx,
    Other4xx,
    Server5xx,
    Transport,
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<u32>>,
    kinds: BTreeMap<(&'static str, u16), u64>,
    unexpected: Vec<String>,
}

struct Course {
    slug: String,
    modules: Vec<String>,
    has_quiz: bool,
}

struct Learner {
    token: String,
    lang: &'static str,
    attempt: Option<(i64, Vec<(String, String)>)>,
    quiz_done: bool,
    rng: u64,
}

struct Bench {
    http: Client,
    url: String,
    courses: Vec<Course>,
}

impl Bench {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (Option<u16>, Value, Duration) {
        let started = Instant::now();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("accept", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await;
        let (status, value) = match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let bytes = r.bytes().await.unwrap_or_default();
                (
                    Some(status),
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            }
            Err(_) => (None, Value::Null),
        };
        (status, value, started.elapsed())
    }

    /// A set-up call that must succeed.
    async fn must(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Value {
        let body = if body.is_null() { None } else { Some(body) };
        let (status, value, _) = self.call(method.clone(), path, token, body).await;
        match status {
            Some(s) if (200..300).contains(&s) => value,
            other => panic!("set-up {method} {path}: {other:?} {value}"),
        }
    }
}

fn next(rng: &mut u64) -> u64 {
    // xorshift64*: enough to spread the mix; no cryptography here.
    *rng ^= *rng >> 12;
    *rng ^= *rng << 25;
    *rng ^= *rng >> 27;
    rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn pick<'a, T>(rng: &mut u64, items: &'a [T]) -> &'a T {
    &items[(next(rng) % items.len() as u64) as usize]
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

async fn set_up(bench: &Bench, admin: &str, clients: usize) -> (Vec<Learner>, String) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let partner = bench
        .must(
            Method::POST,
            "/api/partners",
            Some(admin),
            json!({"name": format!("Bench partner {stamp}"), "country": "ES", "region": "Galicia"}),
        )
        .await["id"]
        .clone();
    let sme = bench
        .must(
            Method::POST,
            "/api/smes",
            Some(admin),
            json!({"name": format!("Bench SME {stamp}"), "country": "ES", "region": "Galicia",
                   "sector": "Diagnostics", "partner_id": partner}),
        )
        .await["id"]
        .clone();
    let password = "mixed-load bench: tidal walrus orchard 42";
    let advisor_email = format!("advisor-{stamp}@bench.example");
    bench
        .must(
            Method::POST,
            "/api/users",
            Some(admin),
            json!({"email": advisor_email, "name": "Bench Advisor", "role": "advisor",
                   "password": password, "partner_id": partner}),
        )
        .await;
    let advisor = login(bench, &advisor_email, password).await;
    // Enough open slots for the bookings: one every 45 minutes from 3 days ahead.
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600
        * 3600
        + 3 * 86_400;
    let slots = (clients / 2).max(20);
    let mut tasks = Vec::new();
    for i in 0..slots as u64 {
        let s = start + i * 2700;
        let body = json!({"starts_at": rfc3339(s), "ends_at": rfc3339(s + 1800),
                          "topic": "market_entry", "mode": "online",
                          "location": "https://meet.example/bench"});
        let advisor = &advisor;
        tasks.push(async move {
            bench
                .must(Method::POST, "/api/slots", Some(advisor), body)
                .await
        });
        if tasks.len() == 8 {
            join_all(std::mem::take(&mut tasks)).await;
        }
    }
    join_all(tasks).await;

    // One learner per client, eight sign-ups at a time (each one hashes a password).
    let langs = ["en", "es", "pt", "gl"];
    let mut learners = Vec::with_capacity(clients);
    for chunk in (0..clients).collect::<Vec<_>>().chunks(8) {
        let made = chunk.iter().map(|&i| {
            let email = format!("learner-{i}-{stamp}@bench.example");
            let sme = sme.clone();
            async move {
                bench
                    .must(
                        Method::POST,
                        "/api/users",
                        Some(admin),
                        json!({"email": email, "name": format!("Learner {i}"), "role": "learner",
                               "password": password, "sme_id": sme, "locale": langs[i % 4]}),
                    )
                    .await;
                let token = login(bench, &email, password).await;
                for c in &bench.courses {
                    bench
                        .must(
                            Method::POST,
                            &format!("/api/courses/{}/enrolment", c.slug),
                            Some(&token),
                            Value::Null,
                        )
                        .await;
                }
                Learner {
                    token,
                    lang: langs[i % 4],
                    attempt: None,
                    quiz_done: false,
                    rng: 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
                }
            }
        });
        learners.extend(join_all(made.collect::<Vec<_>>()).await);
    }
    (learners, advisor_email)
}

fn rfc3339(unix: u64) -> String {
    jiff::Timestamp::from_second(i64::try_from(unix).expect("a time"))
        .expect("a time")
        .to_string()
}

async fn login(bench: &Bench, email: &str, password: &str) -> String {
    let v = bench
        .must(
            Method::POST,
            "/api/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await;
    v["access_token"].as_str().expect("a token").to_string()
}

/// One answer: what was asked, its status (None: transport error), latency, problem detail.
type Answer = (&'static str, Option<u16>, Duration, String);

fn detail(v: &Value) -> String {
    v["detail"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
}

/// One action of the mix: pushes one [`Answer`] per HTTP request into `out` (booking and
/// cancelling is three requests, each counted on its own).
async fn act(bench: &Bench, me: &mut Learner, action: &'static str, out: &mut Vec<Answer>) {
    let token = me.token.clone();
    let t = Some(token.as_str());
    let lang = me.lang;
    let course = pick(&mut me.rng, &bench.courses);
    let quiz_course = bench.courses.iter().find(|c| c.has_quiz);
    let mut label = action;
    let (status, value, took) = match action {
        "catalogue" => {
            bench
                .call(Method::GET, &format!("/api/courses?lang={lang}"), t, None)
                .await
        }
        "course" => {
            let path = format!("/api/courses/{}?lang={lang}", course.slug);
            bench.call(Method::GET, &path, t, None).await
        }
        "module" => {
            let m = pick(&mut me.rng, &course.modules);
            let path = format!("/api/courses/{}/modules/{m}?lang={lang}", course.slug);
            bench.call(Method::GET, &path, t, None).await
        }
        "completion" => {
            let m = pick(&mut me.rng, &course.modules);
            let path = format!("/api/courses/{}/modules/{m}/completion", course.slug);
            bench.call(Method::POST, &path, t, None).await
        }
        "progress" => {
            let path = format!("/api/courses/{}/progress", course.slug);
            bench.call(Method::GET, &path, t, None).await
        }
        "quiz_start" | "quiz_save" | "quiz_submit" => {
            let Some(q) = quiz_course else {
                return;
            };
            match (&me.attempt, action) {
                (None, _) if !me.quiz_done => {
                    // Saving or submitting needs an attempt: this request starts one.
                    label = "quiz_start";
                    let path = format!("/api/courses/{}/quiz/attempts?lang={lang}", q.slug);
                    let (s, v, d) = bench.call(Method::POST, &path, t, None).await;
                    if matches!(s, Some(200 | 201)) {
                        let choices = v["questions"]
                            .as_array()
                            .map(|qs| {
                                qs.iter()
                                    .filter_map(|q| {
                                        let opt = q["options"].as_array()?.first()?;
                                        Some((
                                            q["id"].as_str()?.to_string(),
                                            opt["id"].as_str()?.to_string(),
                                        ))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        me.attempt = v["id"].as_i64().map(|id| (id, choices));
                    } else if s == Some(409) {
                        me.quiz_done = true;
                    }
                    (s, v, d)
                }
                (None, _) => {
                    // No attempts left: look at the course's progress instead.
                    label = "progress";
                    let path = format!("/api/courses/{}/progress", q.slug);
                    bench.call(Method::GET, &path, t, None).await
                }
                (Some((id, choices)), "quiz_submit") => {
                    let answers: serde_json::Map<String, Value> = choices
                        .iter()
                        .map(|(q, o)| (q.clone(), json!([o])))
                        .collect();
                    let path = format!("/api/quiz-attempts/{id}/submission?lang={lang}");
                    let r = bench
                        .call(Method::POST, &path, t, Some(json!({ "answers": answers })))
                        .await;
                    me.attempt = None;
                    r
                }
                (Some((id, choices)), _) => {
                    let (q, o) = pick(&mut me.rng, choices);
                    let path = format!("/api/quiz-attempts/{id}/answers");
                    let body = json!({"answers": {q.clone(): [o]}});
                    bench.call(Method::PUT, &path, t, Some(body)).await
                }
            }
        }
        "slots" => {
            bench
                .call(Method::GET, "/api/slots?limit=50", t, None)
                .await
        }
        "bookings" => bench.call(Method::GET, "/api/bookings", t, None).await,
        "book_cancel" => {
            let (s, v, d) = bench
                .call(Method::GET, "/api/slots?limit=50", t, None)
                .await;
            let ids: Vec<i64> = v["items"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect())
                .unwrap_or_default();
            if s != Some(200) || ids.is_empty() {
                label = "book_list";
                (s, v, d)
            } else {
                out.push(("book_list", s, d, detail(&v)));
                let id = *pick(&mut me.rng, &ids);
                let path = format!("/api/slots/{id}/booking");
                let booked = bench
                    .call(Method::POST, &path, t, Some(json!({"note": "bench"})))
                    .await;
                match booked.1["id"].as_i64().filter(|_| booked.0 == Some(201)) {
                    Some(b) => {
                        out.push(("book", booked.0, booked.2, detail(&booked.1)));
                        let path = format!("/api/bookings/{b}/cancellation");
                        let body = Some(json!({"reason": "bench"}));
                        label = "cancel";
                        bench.call(Method::POST, &path, t, body).await
                    }
                    None => {
                        label = "book";
                        booked
                    }
                }
            }
        }
        other => unreachable!("unknown action {other}"),
    };
    out.push((label, status, took, detail(&value)));
}

fn classify(action: &str, status: Option<u16>) -> Kind {
    match status {
        None => Kind::Transport,
        Some(s) if s < 400 => Kind::Ok,
        // No attempts left; the slot was taken; too many upcoming bookings.
        Some(409) if matches!(action, "quiz_start" | "book") => Kind::Expected4xx,
        Some(422) if action == "book" => Kind::Expected4xx,
        Some(s) if s < 500 => Kind::Other4xx,
        Some(_) => Kind::Server5xx,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bench_mix URL ADMIN_EMAIL ADMIN_PASSWORD [CLIENTS] [SECONDS]");
        std::process::exit(2);
    }
    let url = args[1].trim_end_matches('/').to_string();
    let clients: usize = args.get(4).and_then(|c| c.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(60);
    let http = Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let mut bench = Bench {
        http,
        url,
        courses: Vec::new(),
    };
    let admin = login(&bench, &args[2], &args[3]).await;
    let catalogue = bench
        .must(Method::GET, "/api/courses", Some(&admin), Value::Null)
        .await;
    for c in catalogue["items"].as_array().expect("items") {
        let slug = c["slug"].as_str().expect("slug").to_string();
        let detail = bench
            .must(
                Method::GET,
                &format!("/api/courses/{slug}"),
                Some(&admin),
                Value::Null,
            )
            .await;
        let modules = detail["modules"]
            .as_array()
            .expect("modules")
            .iter()
            .filter_map(|m| m["slug"].as_str().map(str::to_string))
            .collect();
        bench.courses.push(Course {
            slug,
            modules,
            has_quiz: !detail["quiz"].is_null(),
        });
    }
    let set_up_started = Instant::now();
    let bench = Arc::new(bench);
    let (learners, _) = set_up(&bench, &admin, clients).await;
    eprintln!(
        "set-up: {} courses, {clients} learners, in {:.1} s; running {seconds} s",
        bench.courses.len(),
        set_up_started.elapsed().as_secs_f64()
    );

    let total: u32 = ACTIONS.iter().map(|(_, w)| w).sum();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut handles = Vec::new();
    for mut me in learners {
        let bench = bench.clone();
        let tally = tally.clone();
        handles.push(tokio::spawn(async move {
            let mut local = Tally::default();
            while Instant::now() < deadline {
                let mut roll = (next(&mut me.rng) % u64::from(total)) as u32;
                let action = ACTIONS
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map(|(a, _)| *a)
                    .unwrap_or("catalogue");
                let mut answers = Vec::new();
                act(&bench, &mut me, action, &mut answers).await;
                for (label, status, took, detail) in answers {
                    let kind = classify(label, status);
                    local
                        .latencies
                        .entry(label)
                        .or_default()
                        .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                    *local.kinds.entry((label, status.unwrap_or(0))).or_default() += 1;
                    if matches!(kind, Kind::Other4xx | Kind::Server5xx | Kind::Transport)
                        && local.unexpected.len() < 5
                    {
                        local
                            .unexpected
                            .push(format!("{label}: {status:?} {detail}"));
                    }
                }
            }
            let mut all = tally.lock().await;
            for (a, mut l) in local.latencies {
                all.latencies.entry(a).or_default().append(&mut l);
            }
            for (k, n) in local.kinds {
                *all.kinds.entry(k).or_default() += n;
            }
            all.unexpected.extend(local.unexpected);
        }));
    }
    for h in handles {
        h.await.expect("a client task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let tally = tally.lock().await;

    let mut every: Vec<u32> = Vec::new();
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8}  statuses",
        "action", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (action, lat) in &tally.latencies {
        let mut lat = lat.clone();
        lat.sort_unstable();
        let statuses: Vec<String> = tally
            .kinds
            .iter()
            .filter(|((a, _), _)| a == action)
            .map(|((_, s), n)| format!("{s}x{n}"))
            .collect();
        println!(
            "{:<12} {:>8} {:>8.1} {:>8.1} {:>8.1}  {}",
            action,
            lat.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            percentile(&lat, 1.0),
            statuses.join(" ")
        );
        every.extend(lat);
    }
    every.sort_unstable();
    let mut by_kind: BTreeMap<Kind, u64> = BTreeMap::new();
    for ((action, status), n) in &tally.kinds {
        let s = (*status != 0).then_some(*status);
        *by_kind.entry(classify(action, s)).or_default() += n;
    }
    for u in tally.unexpected.iter().take(10) {
        println!("unexpected: {u}");
    }
    let n = every.len();
    println!(
        "SUMMARY clients={clients} seconds={elapsed:.1} requests={n} rps={:.0} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} ok={} expected_4xx={} other_4xx={} 5xx={} transport_errors={}",
        n as f64 / elapsed,
        percentile(&every, 0.5),
        percentile(&every, 0.99),
        percentile(&every, 1.0),
        by_kind.get(&Kind::Ok).unwrap_or(&0),
        by_kind.get(&Kind::Expected4xx).unwrap_or(&0),
        by_kind.get(&Kind::Other4xx).unwrap_or(&0),
        by_kind.get(&Kind::Server5xx).unwrap_or(&0),
        by_kind.get(&Kind::Transport).unwrap_or(&0),
    );
    if by_kind.get(&Kind::Server5xx).copied().unwrap_or(0) > 0
        || by_kind.get(&Kind::Transport).copied().unwrap_or(0) > 0
    {
        std::process::exit(1);
    }
}
