//! Email, end to end: messages go through a real SMTP server (the `mailin` SMTP state machine
//! behind a TCP listener, started by each test), are read back with a real MIME parser
//! (`mail-parser`) and their calendar attachments with a real iCalendar parser; the links in
//! them are followed through the API.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use academy::clock::{now, rfc3339};
use academy::mail::Mailer;
use icalendar::{Calendar, Component};
use mail_parser::{MessageParser, MimeHeaders};
use rocket::figment::Figment;
use rocket_db_pools::Database;
use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp, PASSWORD};

#[path = "../support/smtp_sink.rs"]
mod smtp_sink;

/// Every message the sink accepted, raw.
type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

struct Collect {
    inbox: Inbox,
    current: Vec<u8>,
}

impl mailin::Handler for Collect {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> mailin::Response {
        self.current.clear();
        mailin::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin::Response {
        self.inbox
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        mailin::response::OK
    }
}

/// An SMTP server on `listener` that keeps every message in `inbox`.
fn serve(listener: TcpListener, inbox: Inbox) {
    smtp_sink::serve(listener, move || Collect {
        inbox: inbox.clone(),
        current: Vec::new(),
    });
}

/// A running sink and its address.
pub(crate) struct Sink {
    inbox: Inbox,
    pub(crate) port: u16,
}

impl Sink {
    pub(crate) fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let inbox = Inbox::default();
        serve(listener, inbox.clone());
        Sink { inbox, port }
    }

    /// Wait until at least `n` messages arrived (panics after 20 s); returns all of them.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let start = Instant::now();
        loop {
            let got = self.inbox.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "expected {n} messages, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

pub(crate) fn with_smtp(port: u16) -> impl FnOnce(Figment) -> Figment {
    move |f| {
        f.merge(("smtp_url", format!("smtp://127.0.0.1:{port}")))
            .merge(("mail_poll_milliseconds", 50))
            .merge(("mail_retry_seconds", 1))
            .merge(("public_url", "https://academy.example"))
            .merge(("reminder_interval_seconds", 3600))
    }
}

/// A parsed message, with the bits the tests look at.
pub(crate) struct Mail {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
    calendar: Option<String>,
    calendar_type: Option<String>,
    headers: Vec<(String, String)>,
}

pub(crate) fn parse(raw: &[u8]) -> Mail {
    let m = MessageParser::default().parse(raw).expect("a MIME message");
    let to = m
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    let calendar_part = m.attachments().find(|a| {
        a.content_type()
            .map(|c| c.ctype() == "text" && c.subtype() == Some("calendar"))
            .unwrap_or(false)
    });
    Mail {
        to,
        subject: m.subject().unwrap_or_default().to_string(),
        text: m.body_text(0).unwrap_or_default().to_string(),
        html: m.body_html(0).unwrap_or_default().to_string(),
        calendar: calendar_part.and_then(|a| a.text_contents().map(str::to_string)),
        calendar_type: calendar_part.and_then(|a| {
            a.content_type()
                .and_then(|c| c.attribute("method").map(str::to_string))
        }),
        headers: m
            .headers_raw()
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect(),
    }
}

fn header<'a>(m: &'a Mail, name: &str) -> Option<&'a str> {
    m.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The `token=` of the first link in a text body.
pub(crate) fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + 6;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::common::Resp {
    app.post_anon(
        "/api/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

#[rocket::async_test]
async fn password_reset_by_mail_sets_a_new_password_once_and_ends_every_session() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    // Unknown and known addresses get the same answer; only the account gets mail.
    let unknown = app
        .post_anon(
            "/api/auth/password-reset",
            json!({"email": "nobody@nowhere.example"}),
        )
        .await;
    assert_eq!(unknown.status.code, 202);
    let known = app
        .post_anon(
            "/api/auth/password-reset",
            json!({"email": "ANA@sme-a.example"}),
        )
        .await;
    assert_eq!(known.status.code, 202);
    assert_eq!(known.text, unknown.text);
    let mail = parse(&sink.wait_for(1).await[0]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.inbox.lock().unwrap().len(),
        1,
        "no mail for an unknown address"
    );
    assert_eq!(mail.to, "ana@sme-a.example");
    assert_eq!(mail.subject, "Reset your IberoBio Academy password");
    assert!(
        mail.text.contains("https://academy.example/#/reset?token="),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("https://academy.example/#/reset?token="));
    assert!(!mail.text.contains(PASSWORD), "no password travels by mail");
    let token = token_in(&mail.text);

    // A password that breaks a rule is refused and does not use the link up.
    let weak = app
        .post_anon(
            "/api/auth/password-reset/complete",
            json!({"token": token, "password": "short"}),
        )
        .await;
    assert_problem(&weak, 422);
    assert_eq!(weak.body["errors"][0]["field"], "password");
    let done = app
        .post_anon(
            "/api/auth/password-reset/complete",
            json!({"token": token, "password": "a brand new passphrase 42"}),
        )
        .await;
    assert_eq!(done.status.code, 204, "{}", done.text);
    // Single use; the old sessions are over; the new password works, the old one not.
    let again = app
        .post_anon(
            "/api/auth/password-reset/complete",
            json!({"token": token, "password": "another new passphrase 43"}),
        )
        .await;
    assert_problem(&again, 422);
    assert_eq!(again.body["errors"][0]["field"], "token");
    assert_eq!(
        app.get("/api/me", &w.learner_a.token).await.status.code,
        401
    );
    assert_eq!(
        login(&app, "ana@sme-a.example", PASSWORD).await.status.code,
        401
    );
    assert_eq!(
        login(&app, "ana@sme-a.example", "a brand new passphrase 42")
            .await
            .status
            .code,
        200
    );
    // A made-up token, and no token at all.
    let bogus = app
        .post_anon(
            "/api/auth/password-reset/complete",
            json!({"token": "x".repeat(40), "password": "a brand new passphrase 44"}),
        )
        .await;
    assert_problem(&bogus, 422);
    assert_problem(
        &app.post_anon(
            "/api/auth/password-reset/complete",
            json!({"password": "x"}),
        )
        .await,
        422,
    );
}

#[rocket::async_test]
async fn an_expired_reset_link_is_refused() {
    let sink = Sink::start();
    let app = TestApp::with(|f| with_smtp(sink.port)(f).merge(("password_reset_minutes", 1))).await;
    let _w = app.world().await;
    app.post_anon(
        "/api/auth/password-reset",
        json!({"email": "ana@sme-a.example"}),
    )
    .await
    .expect(202);
    let token = token_in(&parse(&sink.wait_for(1).await[0]).text);
    sqlx::query("UPDATE account_tokens SET expires_at = $1")
        .bind(now() - 1)
        .execute(app.pool())
        .await
        .unwrap();
    let r = app
        .post_anon(
            "/api/auth/password-reset/complete",
            json!({"token": token, "password": "a brand new passphrase 42"}),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(
        login(&app, "ana@sme-a.example", PASSWORD).await.status.code,
        200
    );
}

#[rocket::async_test]
async fn an_invitation_in_the_persons_language_lets_them_choose_a_password_and_sign_in() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let body = json!({"email": "Marta@sme-a.example", "name": "Marta Soares", "role": "learner",
        "sme_id": w.sme_a, "locale": "pt", "time_zone": "Europe/Lisbon"});
    let r = app
        .post("/api/invitations", &w.coord_a.token, body.clone())
        .await;
    assert_eq!(r.status.code, 201, "{}", r.text);
    assert_eq!(r.body["user"]["invited"], true);
    assert_eq!(r.body["user"]["email"], "marta@sme-a.example");
    let user_id = r.body["user"]["id"].as_i64().unwrap();
    let first = parse(&sink.wait_for(1).await[0]);
    assert_eq!(first.subject, "Convite para a IberoBio Academy");
    assert!(first.text.starts_with("Olá, Marta,"), "{}", first.text);
    assert!(first.text.contains("Coord A"));
    let first_token = token_in(&first.text);
    // Inviting again before she accepts: the same account, a fresh link; the first one is dead.
    let again = app
        .post("/api/invitations", &w.coord_a.token, body.clone())
        .await;
    assert_eq!(again.status.code, 201, "{}", again.text);
    assert_eq!(again.body["user"]["id"].as_i64(), Some(user_id));
    let second = parse(&sink.wait_for(2).await[1]);
    let token = token_in(&second.text);
    assert_ne!(token, first_token);
    let dead = app
        .post_anon(
            "/api/invitations/accept",
            json!({"token": first_token, "password": "vinho verde e bacalhau"}),
        )
        .await;
    assert_problem(&dead, 422);
    // Nobody can sign in to the invited account before she chooses a password.
    assert_eq!(
        login(&app, "marta@sme-a.example", "any password at all")
            .await
            .status
            .code,
        401
    );
    let accepted = app
        .post_anon(
            "/api/invitations/accept",
            json!({"token": token, "password": "vinho verde e bacalhau"}),
        )
        .await;
    assert_eq!(accepted.status.code, 200, "{}", accepted.text);
    assert_eq!(accepted.body["token_type"], "Bearer");
    assert_eq!(accepted.body["user"]["invited"], false);
    let me = app
        .get("/api/me", accepted.body["access_token"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(me.body["locale"], "pt");
    // Now an account like any other: inviting the address again is a conflict.
    assert_problem(
        &app.post("/api/invitations", &w.coord_a.token, body).await,
        409,
    );
}

#[rocket::async_test]
async fn invitations_follow_who_may_create_whom() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let advisor =
        json!({"email": "new.advisor@hub.example", "name": "New Advisor", "role": "advisor"});
    assert_problem(
        &app.post("/api/invitations", &w.coord_a.token, advisor.clone())
            .await,
        403,
    );
    assert_problem(
        &app.post("/api/invitations", &w.learner_a.token, advisor.clone())
            .await,
        403,
    );
    // Another partner's SME is not the coordinator's to invite into.
    let other =
        json!({"email": "x@sme-b.example", "name": "X", "role": "learner", "sme_id": w.sme_b});
    assert_problem(
        &app.post("/api/invitations", &w.coord_a.token, other).await,
        404,
    );
    let bad = app
        .post(
            "/api/invitations",
            &w.admin.token,
            json!({"email": "not an address", "name": "", "role": "wizard"}),
        )
        .await;
    assert_problem(&bad, 422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"name") && fields.contains(&"role"),
        "{fields:?}"
    );
    let r = app.post("/api/invitations", &w.admin.token, advisor).await;
    assert_eq!(r.status.code, 201, "{}", r.text);
    assert_eq!(
        parse(&sink.wait_for(1).await[0]).subject,
        "You are invited to IberoBio Academy"
    );
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count.0, 1, "refused invitations queue nothing");
}

async fn slot_at(app: &TestApp, advisor_token: &str, starts_at: i64) -> i64 {
    app.post(
        "/api/slots",
        advisor_token,
        json!({"starts_at": rfc3339(starts_at), "ends_at": rfc3339(starts_at + 3600),
            "topic": "finance", "mode": "online", "location": "https://meet.example/room-1"}),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

/// A slot of the world's advisor at `starts_at`, booked by learner A: `(slot, booking)`.
async fn booked(app: &TestApp, w: &crate::common::World, starts_at: i64) -> (i64, i64) {
    let slot = slot_at(app, &w.advisor.token, starts_at).await;
    let booking = app
        .post(
            &format!("/api/slots/{slot}/booking"),
            &w.learner_a.token,
            json!({"note": ""}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    (slot, booking)
}

fn event_of(ics: &str) -> icalendar::Event {
    let cal: Calendar = ics.parse().expect("a valid iCalendar attachment");
    let event = cal.events().next().expect("one VEVENT").clone();
    event
}

#[rocket::async_test]
async fn booking_and_cancellation_mail_both_sides_with_the_calendar_invitation() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let start = (now() / 3600 + 72) * 3600;
    let slot = slot_at(&app, &w.advisor.token, start).await;
    let booking = app
        .post(
            &format!("/api/slots/{slot}/booking"),
            &w.learner_a.token,
            json!({"note": "Series A term sheet"}),
        )
        .await
        .expect(201);
    let id = booking.body["id"].as_i64().unwrap();
    let download = app
        .get(
            &format!("/api/bookings/{id}/invite.ics"),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    let uid = event_of(&download.text).get_uid().unwrap().to_string();
    let mails: Vec<Mail> = sink.wait_for(2).await.iter().map(|m| parse(m)).collect();
    let to_learner = mails
        .iter()
        .find(|m| m.to == w.learner_a.email)
        .expect("the learner's mail");
    let to_advisor = mails
        .iter()
        .find(|m| m.to == w.advisor.email)
        .expect("the advisor's mail");
    assert_eq!(
        to_learner.subject,
        "Booked: advisory session with Inês Advisor"
    );
    assert!(
        to_advisor
            .subject
            .starts_with("New booking: Ana Núñez (SME A)"),
        "{}",
        to_advisor.subject
    );
    assert!(to_advisor.text.contains("Series A term sheet"));
    for m in [to_learner, to_advisor] {
        assert_eq!(m.calendar_type.as_deref(), Some("REQUEST"));
        let ics = m.calendar.as_deref().expect("the invitation attached");
        assert!(ics.contains("METHOD:REQUEST"));
        let e = event_of(ics);
        assert_eq!(
            e.get_uid(),
            Some(uid.as_str()),
            "the same UID as the download"
        );
        assert_eq!(e.property_value("SEQUENCE"), Some("0"));
        // In the recipient's zone (both are in Madrid), through the file's VTIMEZONE.
        assert_eq!(
            crate::common::ics_instant(ics, "DTSTART"),
            (start, Some("Europe/Madrid".to_string()))
        );
    }
    // The times are the recipient's: both world users are in Madrid.
    let local = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap());
    assert!(
        to_learner
            .text
            .contains(&local.strftime("%H:%M").to_string()),
        "{}",
        to_learner.text
    );

    app.post(
        &format!("/api/bookings/{id}/cancellation"),
        &w.learner_a.token,
        json!({"reason": "Our CFO is travelling"}),
    )
    .await
    .expect(200);
    let all = sink.wait_for(4).await;
    let cancels: Vec<Mail> = all[2..].iter().map(|m| parse(m)).collect();
    for m in &cancels {
        assert!(
            m.subject.starts_with("Cancelled: advisory session"),
            "{}",
            m.subject
        );
        assert!(m.text.contains("Our CFO is travelling"));
        assert_eq!(m.calendar_type.as_deref(), Some("CANCEL"));
        let ics = m.calendar.as_deref().unwrap();
        assert!(ics.contains("METHOD:CANCEL"));
        let e = event_of(ics);
        assert_eq!(e.get_uid(), Some(uid.as_str()));
        assert_eq!(e.property_value("SEQUENCE"), Some("1"));
        assert_eq!(e.property_value("STATUS"), Some("CANCELLED"));
    }
    let mut to: Vec<&str> = cancels.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        vec![w.advisor.email.as_str(), w.learner_a.email.as_str()]
    );
}

#[rocket::async_test]
async fn a_refused_booking_queues_no_mail() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let (slot, _) = booked(&app, &w, (now() / 3600 + 72) * 3600).await;
    let taken = app
        .post(
            &format!("/api/slots/{slot}/booking"),
            &w.learner_b.token,
            json!({"note": ""}),
        )
        .await;
    assert_problem(&taken, 409);
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(
        count.0, 2,
        "two confirmations for the one booking, nothing for the refusal"
    );
}

async fn outbox_states(app: &TestApp) -> Vec<(String, i64)> {
    academy::mail::counts(app.pool()).await.unwrap()
}

#[rocket::async_test]
async fn the_outbox_keeps_messages_while_smtp_is_down_and_sends_each_once_when_it_returns() {
    // A port with nobody listening (yet).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = TestApp::with(with_smtp(port)).await;
    let w = app.world().await;
    for email in [
        "ana@sme-a.example",
        "bruno@sme-a.example",
        "joao.lisbon@sme-b.example",
    ] {
        app.post_anon("/api/auth/password-reset", json!({"email": email}))
            .await
            .expect(202);
    }
    // Tried and kept: pending with attempts counted, none lost, none failed yet.
    let start = Instant::now();
    loop {
        let (attempts,): (i64,) = sqlx::query_as("SELECT MIN(attempts) FROM outbox")
            .fetch_one(app.pool())
            .await
            .unwrap();
        if attempts >= 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the worker never tried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let states = outbox_states(&app).await;
    assert!(
        states.iter().all(|(s, _)| s == "pending" || s == "sending"),
        "{states:?}"
    );
    let (errors,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert!(errors >= 1);
    // The server comes back on the same port.
    let inbox = Inbox::default();
    serve(
        TcpListener::bind(("127.0.0.1", port)).expect("rebind"),
        inbox.clone(),
    );
    let sink = Sink { inbox, port };
    let got = sink.wait_for(3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got_later = sink.inbox.lock().unwrap().len();
    assert_eq!(got_later, 3, "each message once");
    let mut to: Vec<String> = got.iter().map(|m| parse(m).to).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "ana@sme-a.example",
            "bruno@sme-a.example",
            "joao.lisbon@sme-b.example"
        ]
    );
    assert_eq!(outbox_states(&app).await, vec![("sent".to_string(), 3)]);
    let _ = w;
}

#[rocket::async_test]
async fn a_message_that_never_goes_through_ends_failed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = TestApp::with(|f| with_smtp(port)(f).merge(("mail_max_attempts", 2))).await;
    let _w = app.world().await;
    app.post_anon(
        "/api/auth/password-reset",
        json!({"email": "ana@sme-a.example"}),
    )
    .await
    .expect(202);
    let start = Instant::now();
    while outbox_states(&app).await != vec![("failed".to_string(), 1)] {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            outbox_states(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (attempts, error): (i64, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(attempts, 2);
    assert!(error.unwrap_or_default().starts_with("SMTP"));
}

#[rocket::async_test]
async fn without_smtp_messages_are_written_as_eml_files() {
    let app = TestApp::with(|f| f.merge(("mail_poll_milliseconds", 50))).await;
    let _w = app.world().await;
    app.post_anon(
        "/api/auth/password-reset",
        json!({"email": "ana@sme-a.example"}),
    )
    .await
    .expect(202);
    let dir = app.dir.path().join("data").join("outbox");
    let start = Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "eml"))
        });
        if let Some(f) = found {
            break f;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no .eml in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("-password_reset.eml"));
    let mail = parse(&std::fs::read(&file).unwrap());
    assert_eq!(mail.to, "ana@sme-a.example");
    assert!(mail.text.contains("#/reset?token="));
    assert_eq!(outbox_states(&app).await, vec![("sent".to_string(), 1)]);
}

#[rocket::async_test]
async fn reminders_are_queued_once_across_instances_and_stop_after_unsubscribe() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let start = (now() / 3600 + 20) * 3600;
    let (_, id) = booked(&app, &w, start).await;
    sink.wait_for(2).await; // the confirmations
    let mailer: Mailer = app.client.rocket().state::<Mailer>().unwrap().clone();
    let second = app.second_instance().await;
    let mailer2: Mailer = second.rocket().state::<Mailer>().unwrap().clone();
    let pool2 = academy::db::Db::fetch(second.rocket())
        .unwrap()
        .pool
        .clone();
    // Booked 20 hours ahead: no 24-hour reminder (the confirmation has just gone out).
    let queued = academy::bookings::reminders::queue_due(app.pool(), &mailer, now())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // Had it been booked two days ago, both sides get it: once, whoever looks.
    sqlx::query("UPDATE bookings SET created_at = $1 WHERE id = $2")
        .bind(now() - 2 * 86_400)
        .bind(id)
        .execute(app.pool())
        .await
        .unwrap();
    let t = now();
    let (a, b) = tokio::join!(
        academy::bookings::reminders::queue_due(app.pool(), &mailer, t),
        academy::bookings::reminders::queue_due(&pool2, &mailer2, t),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2, "one reminder per side");
    assert_eq!(
        academy::bookings::reminders::queue_due(app.pool(), &mailer, t + 60)
            .await
            .unwrap(),
        0,
        "and never again"
    );
    let reminders: Vec<Mail> = sink.wait_for(4).await[2..]
        .iter()
        .map(|m| parse(m))
        .collect();
    let to_learner = reminders
        .iter()
        .find(|m| m.to == w.learner_a.email)
        .unwrap();
    assert!(to_learner
        .subject
        .starts_with("Reminder: advisory session with Inês Advisor"));
    assert!(
        to_learner.text.contains("starts in 24 hours"),
        "{}",
        to_learner.text
    );
    assert_eq!(
        header(to_learner, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let link = header(to_learner, "List-Unsubscribe").unwrap();
    let url = link.trim_matches(|c| c == '<' || c == '>');
    let path = url
        .strip_prefix("https://academy.example")
        .unwrap_or_else(|| panic!("an absolute link: {link:?}"));
    // A forged link is refused; the real one turns reminders off.
    let forged = path.replace(
        &format!("user={}", w.learner_a.id),
        &format!("user={}", w.learner_a2.id),
    );
    assert_problem(&app.post_anon(&forged, Value::Null).await, 404);
    let r = app.post_anon(path, Value::Null).await;
    assert_eq!(r.status.code, 200, "{}", r.text);
    assert_eq!(r.body["email_reminders"], false);
    let me = app.get("/api/me", &w.learner_a.token).await.expect(200);
    assert_eq!(me.body["email_reminders"], false);
    // The 1-hour reminder goes to the advisor only.
    let one_hour_before = start - 3600 + 60;
    assert_eq!(
        academy::bookings::reminders::queue_due(app.pool(), &mailer, one_hour_before)
            .await
            .unwrap(),
        1
    );
    let last = parse(&sink.wait_for(5).await[4]);
    assert_eq!(last.to, w.advisor.email);
    assert!(last.text.contains("starts in one hour"), "{}", last.text);
}

#[rocket::async_test]
async fn completing_a_course_mails_the_certificate_verify_link_once() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    app.post(
        "/api/courses/short-course/enrolment",
        &w.learner_a.token,
        Value::Null,
    )
    .await;
    for _ in 0..2 {
        let r = app
            .post(
                "/api/courses/short-course/modules/intro/completion",
                &w.learner_a.token,
                Value::Null,
            )
            .await;
        assert_eq!(r.status.code, 204, "{}", r.text);
    }
    let code = app
        .get("/api/certificates", &w.learner_a.token)
        .await
        .expect(200)
        .body["items"][0]["code"]
        .as_str()
        .expect("a certificate")
        .to_string();
    let mail = parse(&sink.wait_for(1).await[0]);
    assert_eq!(mail.to, w.learner_a.email);
    assert!(
        mail.subject.starts_with("Course completed: "),
        "{}",
        mail.subject
    );
    let verify = format!("https://academy.example/verify/{code}");
    assert!(mail.text.contains(&verify), "{}", mail.text);
    let public = app
        .get_anon(&format!("/api/verify/{code}"))
        .await
        .expect(200);
    assert_eq!(public.body["valid"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.inbox.lock().unwrap().len(),
        1,
        "completing again mails nothing"
    );
}

#[rocket::async_test]
async fn the_learner_is_told_the_recorded_outcome_once_per_outcome() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let start = (now() / 3600 + 48) * 3600;
    let (slot, id) = booked(&app, &w, start).await;
    sink.wait_for(2).await; // the confirmations
    let started = now() - 2 * 3600;
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(started)
        .bind(started + 3600)
        .bind(slot)
        .execute(app.pool())
        .await
        .unwrap();
    let path = format!("/api/bookings/{id}/outcome");
    let record = |attended: bool, notes: &'static str| {
        let app = &app;
        let path = path.clone();
        let token = w.advisor.token.clone();
        async move {
            app.put(&path, &token, json!({"attended": attended, "notes": notes}))
                .await
                .expect(200)
        }
    };
    record(false, "Private: did not show up, no message").await;
    let missed = parse(&sink.wait_for(3).await[2]);
    assert_eq!(missed.to, w.learner_a.email);
    assert!(
        missed
            .subject
            .starts_with("Missed session: finance with Inês Advisor"),
        "{}",
        missed.subject
    );
    assert!(
        !missed.text.contains("Private"),
        "the advisor's notes stay out of the mail"
    );
    // Editing the notes of the same outcome sends nothing; correcting it does.
    record(false, "Private: edited").await;
    record(true, "Private: she came late, my mistake").await;
    let corrected = parse(&sink.wait_for(4).await[3]);
    assert!(
        corrected.subject.starts_with("Session recorded: finance"),
        "{}",
        corrected.subject
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.inbox.lock().unwrap().len(), 4);
}

#[rocket::async_test]
async fn coordinators_get_a_weekly_digest_once_and_can_unsubscribe_from_it() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    // A course completed this week by a learner of SME A.
    app.post(
        "/api/courses/short-course/enrolment",
        &w.learner_a.token,
        Value::Null,
    )
    .await;
    app.post(
        "/api/courses/short-course/modules/intro/completion",
        &w.learner_a.token,
        Value::Null,
    )
    .await;
    sink.wait_for(1).await; // the course-completed mail
    let mailer: Mailer = app.client.rocket().state::<Mailer>().unwrap().clone();
    // Monday 08:30 in Madrid (both coordinators' zone) of the current week.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap());
    let this_monday = today
        .date()
        .checked_sub(jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
        .unwrap()
        .at(8, 30, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap())
        .unwrap()
        .timestamp()
        .as_second();
    let early = this_monday - 3600; // 07:30: not yet
    assert_eq!(
        academy::reports::digest::queue_due(app.pool(), &mailer, early)
            .await
            .unwrap(),
        0
    );
    let second = app.second_instance().await;
    let pool2 = academy::db::Db::fetch(second.rocket())
        .unwrap()
        .pool
        .clone();
    let (a, b) = tokio::join!(
        academy::reports::digest::queue_due(app.pool(), &mailer, this_monday),
        academy::reports::digest::queue_due(&pool2, &mailer, this_monday),
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        2,
        "one digest per coordinator, whoever looks"
    );
    assert_eq!(
        academy::reports::digest::queue_due(app.pool(), &mailer, this_monday + 3600)
            .await
            .unwrap(),
        0,
        "and never twice in a week"
    );
    let digests: Vec<Mail> = sink.wait_for(3).await[1..]
        .iter()
        .map(|m| parse(m))
        .collect();
    let to_a = digests
        .iter()
        .find(|m| m.to == w.coord_a.email)
        .expect("coordinator A's digest");
    assert!(
        to_a.subject.starts_with("Weekly progress: "),
        "{}",
        to_a.subject
    );
    assert!(
        to_a.subject.ends_with("1 course(s) completed"),
        "{}",
        to_a.subject
    );
    assert!(
        to_a.text.contains("SME A: 1 this week, 1 in total"),
        "{}",
        to_a.text
    );
    assert!(
        !to_a.text.contains("SME B"),
        "only the coordinator's own SMEs: {}",
        to_a.text
    );
    assert_eq!(
        header(to_a, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let link = header(to_a, "List-Unsubscribe").unwrap();
    let path = link
        .trim_matches(|c| c == '<' || c == '>')
        .strip_prefix("https://academy.example")
        .unwrap()
        .to_string();
    assert!(path.contains("list=digest"), "{path}");
    // The digest link cannot turn off something else: without its list it is not valid.
    assert_problem(
        &app.post_anon(&path.replace("&list=digest", ""), Value::Null)
            .await,
        404,
    );
    let r = app.post_anon(&path, Value::Null).await;
    assert_eq!(r.status.code, 200, "{}", r.text);
    assert_eq!(r.body["email_digest"], false);
    let me = app.get("/api/me", &w.coord_a.token).await.expect(200);
    assert_eq!(me.body["email_digest"], false);
    // Next week only coordinator B gets one; B turns it off in the profile.
    let next = this_monday + 7 * 86_400;
    assert_eq!(
        academy::reports::digest::queue_due(app.pool(), &mailer, next)
            .await
            .unwrap(),
        1
    );
    let r = app
        .patch("/api/me", &w.coord_b.token, json!({"email_digest": false}))
        .await
        .expect(200);
    assert_eq!(r.body["email_digest"], false);
    assert_eq!(
        academy::reports::digest::queue_due(app.pool(), &mailer, next + 7 * 86_400)
            .await
            .unwrap(),
        0
    );
}
