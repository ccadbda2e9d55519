//! No request holds a pooled connection while waiting for another.
//!
//! Every route of the served OpenAPI document is called by [`PER_ROUTE`] simultaneous
//! requests (released together) against a pool of [`POOL`] connections. A handler that holds
//! one connection and asks the pool for a second deadlocks there: every connection ends up
//! held by a request waiting for another, until the acquire timeout (10 s) answers 503. Each
//! route must answer without a 5xx, with the statuses its table entry expects, and fast.
//! A route added to the document without an entry in [`call`] fails the test.

use std::time::{Duration, Instant};

use futures::future::join_all;
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::common::{documented_routes, multipart, Resp, TestApp, TestUser, World, PASSWORD};

/// Connections in the pool under test.
const POOL: u32 = 2;
/// Simultaneous requests per route: four times the pool.
const PER_ROUTE: usize = 4 * POOL as usize;
/// "No request slower than a few seconds" (the pool's acquire timeout is 10 s).
const SLOWEST: Duration = Duration::from_secs(5);

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
const HOUR: i64 = 3600;

/// A small world with one of everything the routes need.
struct Setup {
    w: World,
    /// A learner only used to log out (logging out may end their session).
    leaver: TestUser,
    /// Holds the certificate that gets revoked.
    learner_c: TestUser,
    refresh_token: String,
    attempt: i64,
    /// An attempt of `learner_a2`, submitted by the submission route.
    attempt_to_submit: i64,
    attempt_answers: Value,
    slot_open: i64,
    slot_to_withdraw: i64,
    booking: i64,
    booking_to_cancel: i64,
    /// A booking of `learner_b`, moved back and forth between two slots of the advisor.
    booking_to_move: i64,
    move_targets: [i64; 2],
    booking_past: i64,
    /// A waitlist entry of `learner_b`, left by the leaving route.
    wait_entry: i64,
    /// Days off of the advisor, removed by the removing route.
    time_off: i64,
    code: String,
    code_to_revoke: String,
    /// learner_a's certificate as an Open Badges VC-JWT.
    credential: String,
    material: i64,
    material_to_delete: i64,
}

/// One request of the table.
struct Call {
    method: Method,
    path: String,
    token: Option<String>,
    body: Body,
    /// Statuses a correct server may give (several when the simultaneous requests race for
    /// one thing, e.g. one booking wins, the rest are 409).
    ok: &'static [u16],
}

enum Body {
    None,
    Json(Value),
    Raw(ContentType, Vec<u8>),
}

fn at(hours: i64) -> String {
    academy::clock::rfc3339((academy::clock::now() / HOUR + hours) * HOUR)
}

fn slot_body(hours: i64) -> Value {
    json!({
        "starts_at": at(hours),
        "ends_at": at(hours + 1),
        "topic": "finance",
        "mode": "online",
        "location": "https://meet.example/room",
    })
}

fn ids(r: &Resp) -> i64 {
    r.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
}

async fn new_slot(app: &TestApp, advisor: &TestUser, hours: i64) -> i64 {
    ids(&app
        .post("/api/slots", &advisor.token, slot_body(hours))
        .await
        .expect(201))
}

async fn book(app: &TestApp, learner: &TestUser, slot: i64) -> i64 {
    ids(&app
        .post(
            &format!("/api/slots/{slot}/booking"),
            &learner.token,
            json!({"note": "concurrency"}),
        )
        .await
        .expect(201))
}

async fn enrol_and_read(app: &TestApp, learner: &TestUser, course: &str, modules: &[&str]) {
    let r = app
        .post(
            &format!("/api/courses/{course}/enrolment"),
            &learner.token,
            json!({}),
        )
        .await;
    assert!(matches!(r.status.code, 200 | 201), "{}", r.text);
    for m in modules {
        app.post(
            &format!("/api/courses/{course}/modules/{m}/completion"),
            &learner.token,
            json!({}),
        )
        .await
        .expect(204);
    }
}

async fn code_of(app: &TestApp, learner: &TestUser, course: &str) -> String {
    let p = app
        .get(&format!("/api/courses/{course}/progress"), &learner.token)
        .await
        .expect(200);
    p.body["certificate_code"]
        .as_str()
        .unwrap_or_else(|| panic!("no certificate in {}", p.text))
        .to_string()
}

async fn upload(app: &TestApp, token: &str, title: &str) -> Resp {
    let (ct, body) = multipart(&[
        ("file", Some("slides.pdf"), "application/pdf", PDF),
        ("title", None, "text/plain", title.as_bytes()),
    ]);
    app.raw(
        Method::Post,
        "/api/courses/biotech-basics/materials",
        Some(token),
        ct,
        &body,
    )
    .await
}

/// Wrong but well-formed answers to every question shown in an attempt.
fn some_answers(attempt: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for q in attempt["questions"].as_array().expect("questions") {
        let id = q["id"].as_str().expect("question id").to_string();
        let answer = match q["kind"].as_str() {
            Some("true_false") => json!(true),
            Some("single") | Some("multiple") => {
                json!([q["options"][0]["id"].as_str().expect("option id")])
            }
            Some("numeric") => json!(1),
            Some("text") => json!("no idea"),
            _ => continue,
        };
        out.insert(id, answer);
    }
    Value::Object(out)
}

async fn setup(app: &TestApp) -> Setup {
    let w = app.world().await;
    let leaver = app
        .user(
            "leaver@sme-a.example",
            "Lea Leaver",
            academy::auth::Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    let learner_c = app
        .user(
            "carla@sme-a.example",
            "Carla",
            academy::auth::Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    let login = app
        .post_anon(
            "/api/auth/login",
            json!({"email": w.learner_a2.email, "password": PASSWORD}),
        )
        .await
        .expect(200);
    let refresh_token = login.body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();

    // Courses: learner_a is enrolled in biotech-basics (one module read) with an open quiz
    // attempt; learner_a and learner_c completed short-course (certificates).
    enrol_and_read(app, &w.learner_a, "biotech-basics", &["welcome"]).await;
    enrol_and_read(app, &w.learner_a2, "biotech-basics", &["welcome"]).await;
    enrol_and_read(app, &w.learner_a, "short-course", &["intro"]).await;
    enrol_and_read(app, &learner_c, "short-course", &["intro"]).await;
    let code = code_of(app, &w.learner_a, "short-course").await;
    let code_to_revoke = code_of(app, &learner_c, "short-course").await;
    let credential = app
        .get(
            &format!("/api/certificates/{code}/credential"),
            &w.learner_a.token,
        )
        .await
        .expect(200)
        .text;
    let started = app
        .post(
            "/api/courses/biotech-basics/quiz/attempts",
            &w.learner_a.token,
            json!({}),
        )
        .await
        .expect(201);
    let attempt = ids(&started);
    let attempt_answers = some_answers(&started.body);
    let other = app
        .post(
            "/api/courses/biotech-basics/quiz/attempts",
            &w.learner_a2.token,
            json!({}),
        )
        .await
        .expect(201);
    let attempt_to_submit = ids(&other);

    // Advice: an open slot (booked by the booking route), one to withdraw, a booking to read,
    // one to cancel, and one whose session is over (for its outcome).
    let slot_open = new_slot(app, &w.advisor, 30).await;
    let slot_to_withdraw = new_slot(app, &w.advisor, 32).await;
    let booking = book(app, &w.learner_a, new_slot(app, &w.advisor, 34).await).await;
    let booking_to_cancel = book(app, &w.learner_a2, new_slot(app, &w.advisor, 72).await).await;
    let move_targets = [
        new_slot(app, &w.advisor, 80).await,
        new_slot(app, &w.advisor, 82).await,
    ];
    let booking_to_move = book(app, &w.learner_b, new_slot(app, &w.advisor, 84).await).await;
    let past_slot = new_slot(app, &w.advisor, 36).await;
    let booking_past = book(app, &w.learner_b, past_slot).await;
    let time_off = app
        .post(
            "/api/me/time-off",
            &w.advisor.token,
            json!({"first_day": "2030-02-04", "last_day": "2030-02-05"}),
        )
        .await
        .expect(201)
        .body["time_off"]["id"]
        .as_i64()
        .unwrap();
    let wait_entry = app
        .post(
            "/api/me/waitlist",
            &w.learner_b.token,
            json!({"topic": "ip", "weekdays": [7], "from": "03:00", "to": "03:15"}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let ended = academy::clock::now() - 2 * HOUR;
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(ended)
        .bind(ended + HOUR)
        .bind(past_slot)
        .execute(app.pool())
        .await
        .expect("move the slot into the past");

    let material = ids(&upload(app, &w.admin.token, "Slides").await.expect(201));
    let material_to_delete = ids(&upload(app, &w.admin.token, "Old slides").await.expect(201));

    Setup {
        w,
        leaver,
        learner_c,
        refresh_token,
        attempt,
        attempt_to_submit,
        attempt_answers,
        slot_open,
        slot_to_withdraw,
        booking,
        booking_to_cancel,
        booking_to_move,
        move_targets,
        booking_past,
        wait_entry,
        time_off,
        code,
        code_to_revoke,
        credential,
        material,
        material_to_delete,
    }
}

/// How to call each documented route (`i`: which of the simultaneous requests this is, for
/// data that must differ between them). `None`: the route is not in the table.
fn call(key: &str, s: &Setup, i: usize) -> Option<Call> {
    let w = &s.w;
    let tok = |u: &TestUser| Some(u.token.clone());
    let c =
        |method: Method, path: String, token: Option<String>, body: Body, ok: &'static [u16]| {
            Call {
                method,
                path,
                token,
                body,
                ok,
            }
        };
    use Method::{Delete, Get, Patch, Post, Put};
    let course = "biotech-basics";
    Some(match key {
        // operations
        "GET /health" => c(Get, "/health".into(), None, Body::None, &[200]),
        "GET /metrics" => c(Get, "/metrics".into(), None, Body::None, &[200]),
        "GET /api/openapi.json" => c(Get, "/api/openapi.json".into(), None, Body::None, &[200]),
        // accounts
        "POST /api/auth/login" => c(
            Post,
            "/api/auth/login".into(),
            None,
            Body::Json(json!({
                "email": w.learner_a.email,
                // Half right, half wrong: both hash.
                "password": if i.is_multiple_of(2) { PASSWORD.to_string() } else { format!("wrong {i}") },
            })),
            &[200, 401],
        ),
        "POST /api/auth/refresh" => c(
            Post,
            "/api/auth/refresh".into(),
            None,
            // The same token every time: one rotates it, the others are reuse (401).
            Body::Json(json!({"refresh_token": s.refresh_token})),
            &[200, 401],
        ),
        "POST /api/auth/logout" => c(
            Post,
            "/api/auth/logout".into(),
            tok(&s.leaver),
            Body::Json(json!({})),
            &[204],
        ),
        "GET /api/me" => c(Get, "/api/me".into(), tok(&w.learner_a), Body::None, &[200]),
        "PATCH /api/me" => c(
            Patch,
            "/api/me".into(),
            tok(&w.learner_b),
            Body::Json(json!({"name": format!("João {i}"), "locale": "pt"})),
            &[200],
        ),
        // organisations
        "GET /api/partners" => c(
            Get,
            "/api/partners".into(),
            tok(&w.admin),
            Body::None,
            &[200],
        ),
        "POST /api/partners" => c(
            Post,
            "/api/partners".into(),
            tok(&w.admin),
            Body::Json(
                json!({"name": format!("Partner {i}"), "country": "ES", "region": "Galicia"}),
            ),
            &[201],
        ),
        "GET /api/smes" => c(Get, "/api/smes".into(), tok(&w.coord_a), Body::None, &[200]),
        "POST /api/smes" => c(
            Post,
            "/api/smes".into(),
            tok(&w.coord_a),
            Body::Json(json!({
                "name": format!("SME {i}"), "country": "ES", "region": "Madrid",
                "sector": "Diagnostics", "partner_id": w.partner_a,
            })),
            &[201],
        ),
        "GET /api/smes/{id}" => c(
            Get,
            format!("/api/smes/{}", w.sme_a),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/users" => c(Get, "/api/users".into(), tok(&w.admin), Body::None, &[200]),
        // mailed links (the reset answer is the same for every address; the links are made up)
        "POST /api/auth/password-reset" => c(
            Post,
            "/api/auth/password-reset".into(),
            None,
            Body::Json(json!({"email": w.learner_a2.email})),
            &[202],
        ),
        "POST /api/auth/password-reset/complete" => c(
            Post,
            "/api/auth/password-reset/complete".into(),
            None,
            Body::Json(
                json!({"token": format!("made-up-{i}"), "password": "a long enough password"}),
            ),
            &[422],
        ),
        "POST /api/invitations" => c(
            Post,
            "/api/invitations".into(),
            tok(&w.coord_a),
            Body::Json(json!({
                "email": format!("invited{i}@sme-a.example"), "name": format!("Invited {i}"),
                "role": "learner", "sme_id": w.sme_a,
            })),
            &[201],
        ),
        "POST /api/smes/{id}/invitations/import" => c(
            Post,
            format!("/api/smes/{}/invitations/import?confirm=true", w.sme_a),
            tok(&w.coord_a),
            Body::Raw(
                ContentType::new("text", "csv"),
                format!("name,email\nImported {i},imported{i}@sme-a.example\n").into_bytes(),
            ),
            &[200],
        ),
        "POST /api/invitations/accept" => c(
            Post,
            "/api/invitations/accept".into(),
            None,
            Body::Json(
                json!({"token": format!("made-up-{i}"), "password": "a long enough password"}),
            ),
            &[422],
        ),
        "GET /api/mail/unsubscribe" => c(
            Get,
            format!("/api/mail/unsubscribe?user={}&token=00", w.learner_a.id),
            None,
            Body::None,
            &[404],
        ),
        "POST /api/mail/unsubscribe" => c(
            Post,
            format!("/api/mail/unsubscribe?user={}&token=00", w.learner_a.id),
            None,
            Body::None,
            &[404],
        ),
        "POST /api/users" => c(
            Post,
            "/api/users".into(),
            tok(&w.coord_a),
            Body::Json(json!({
                "email": format!("new{i}@sme-a.example"), "name": format!("New {i}"),
                "role": "learner", "password": "a long enough password", "sme_id": w.sme_a,
            })),
            &[201],
        ),
        // Account management on an id nobody holds: the storm exercises the lookups and
        // the 404 path without disabling a user other routes of this table act as.
        "POST /api/users/{id}/deactivation" => c(
            Post,
            "/api/users/999999/deactivation".into(),
            tok(&w.admin),
            Body::None,
            &[404],
        ),
        "DELETE /api/users/{id}/deactivation" => c(
            Delete,
            "/api/users/999999/deactivation".into(),
            tok(&w.admin),
            Body::None,
            &[404],
        ),
        "DELETE /api/users/{id}" => c(
            Delete,
            "/api/users/999999".into(),
            tok(&w.admin),
            Body::None,
            &[404],
        ),
        "PATCH /api/users/{id}" => c(
            Patch,
            "/api/users/999999".into(),
            tok(&w.admin),
            Body::Json(json!({ "role": "learner" })),
            &[404],
        ),
        "GET /api/languages" => c(Get, "/api/languages".into(), None, Body::None, &[200]),
        "GET /api/topics" => c(Get, "/api/topics".into(), None, Body::None, &[200]),
        // courses and progress
        "GET /api/courses" => c(
            Get,
            "/api/courses".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/courses/{slug}" => c(
            Get,
            format!("/api/courses/{course}"),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/courses/{slug}/modules/{module}" => c(
            Get,
            format!("/api/courses/{course}/modules/regulation?lang=es"),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "POST /api/courses/{slug}/enrolment" => c(
            Post,
            "/api/courses/quiz-lab/enrolment".into(),
            tok(&w.learner_a),
            Body::Json(json!({})),
            &[200, 201],
        ),
        "POST /api/courses/{slug}/modules/{module}/completion" => c(
            Post,
            format!("/api/courses/{course}/modules/regulation/completion"),
            tok(&w.learner_a),
            Body::Json(json!({})),
            &[204],
        ),
        "GET /api/courses/{slug}/progress" => c(
            Get,
            format!("/api/courses/{course}/progress"),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "POST /api/admin/courses/import" => c(
            Post,
            "/api/admin/courses/import".into(),
            tok(&w.admin),
            Body::None,
            &[200],
        ),
        // quizzes
        "POST /api/courses/{slug}/quiz/attempts" => c(
            Post,
            format!("/api/courses/{course}/quiz/attempts"),
            tok(&w.learner_a),
            Body::Json(json!({})),
            // The open attempt is shown again.
            &[200],
        ),
        "GET /api/quiz-attempts/{id}" => c(
            Get,
            format!("/api/quiz-attempts/{}", s.attempt),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "PUT /api/quiz-attempts/{id}/answers" => c(
            Put,
            format!("/api/quiz-attempts/{}/answers", s.attempt),
            tok(&w.learner_a),
            Body::Json(json!({"answers": s.attempt_answers})),
            &[200],
        ),
        "POST /api/quiz-attempts/{id}/submission" => c(
            Post,
            format!("/api/quiz-attempts/{}/submission", s.attempt_to_submit),
            tok(&w.learner_a2),
            Body::Json(json!({"answers": {}})),
            // One grades it; the others find it submitted.
            &[200, 409],
        ),
        // advice
        "POST /api/slots" => c(
            Post,
            "/api/slots".into(),
            tok(&w.advisor2),
            Body::Json(slot_body(100 + 2 * i as i64)),
            &[201],
        ),
        "POST /api/slots/pattern" => c(
            Post,
            "/api/slots/pattern".into(),
            tok(&w.advisor2),
            Body::Json(json!({
                "weekdays": [1, 3], "start_time": "09:00", "end_time": "11:00",
                "session_minutes": 45, "buffer_minutes": 15, "weeks": 2,
                "topic": "talent", "mode": "online", "location": "https://meet.example/p",
            })),
            // The same pattern eight times: the slots are made once, the rest skipped.
            &[201],
        ),
        "GET /api/slots" => c(
            Get,
            "/api/slots".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "DELETE /api/slots/{id}" => c(
            Delete,
            format!("/api/slots/{}", s.slot_to_withdraw),
            tok(&w.advisor),
            Body::None,
            &[204, 404],
        ),
        "POST /api/slots/{id}/booking" => c(
            Post,
            format!("/api/slots/{}/booking", s.slot_open),
            tok(&s.learner_c),
            Body::Json(json!({"note": format!("request {i}")})),
            &[201, 409],
        ),
        "GET /api/bookings" => c(
            Get,
            "/api/bookings".into(),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/bookings/{id}" => c(
            Get,
            format!("/api/bookings/{}", s.booking),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/bookings/notifications" => c(
            Get,
            "/api/bookings/notifications".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "POST /api/bookings/{id}/cancellation" => c(
            Post,
            format!("/api/bookings/{}/cancellation", s.booking_to_cancel),
            tok(&w.learner_a2),
            Body::Json(json!({"reason": "plans changed"})),
            &[200, 409],
        ),
        // Simultaneous moves of one booking between two slots: each either moves it or finds
        // it already there (422); never two active bookings on a slot.
        "POST /api/bookings/{id}/reschedule" => c(
            Post,
            format!("/api/bookings/{}/reschedule", s.booking_to_move),
            tok(&w.learner_b),
            Body::Json(json!({"slot_id": s.move_targets[i % 2]})),
            &[200, 422],
        ),
        "GET /api/me/advisory-hours" => c(
            Get,
            "/api/me/advisory-hours".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/smes/{id}/advisory-hours" => c(
            Get,
            format!("/api/smes/{}/advisory-hours", w.sme_a),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "PUT /api/smes/{id}/advisory-hours/{period}" => c(
            Put,
            format!("/api/smes/{}/advisory-hours/2030-Q{}", w.sme_a, 1 + i % 4),
            tok(&w.coord_a),
            Body::Json(json!({"hours": 10 + i})),
            &[200],
        ),
        "DELETE /api/smes/{id}/advisory-hours/{period}" => c(
            Delete,
            format!("/api/smes/{}/advisory-hours/2031-Q{}", w.sme_a, 1 + i % 4),
            tok(&w.coord_a),
            Body::None,
            &[204],
        ),
        "POST /api/bookings/{id}/no-show-waiver" => c(
            Post,
            format!("/api/bookings/{}/no-show-waiver", s.booking_past),
            tok(&w.admin),
            Body::None,
            &[409],
        ),
        // Different wishes of one learner at once: stored, the same twice (409), or beyond the
        // five a learner may have (422).
        "POST /api/me/waitlist" => c(
            Post,
            "/api/me/waitlist".into(),
            tok(&w.learner_a),
            Body::Json(
                json!({"topic": "talent", "weekdays": [1 + i % 7], "from": "03:00", "to": "03:15"}),
            ),
            &[201, 409, 422],
        ),
        "GET /api/me/waitlist" => c(
            Get,
            "/api/me/waitlist".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "DELETE /api/me/waitlist/{id}" => c(
            Delete,
            format!("/api/me/waitlist/{}", s.wait_entry),
            tok(&w.learner_b),
            Body::None,
            &[204, 409],
        ),
        "POST /api/waitlist/holds/{id}/decline" => c(
            Post,
            "/api/waitlist/holds/999999/decline".into(),
            tok(&w.learner_a),
            Body::None,
            &[404],
        ),
        "GET /api/waitlist" => c(
            Get,
            "/api/waitlist".into(),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/me/availability" => c(
            Get,
            "/api/me/availability".into(),
            tok(&w.advisor),
            Body::None,
            &[200],
        ),
        // Saving rules at once: one upsert each, all succeed.
        "PUT /api/me/availability" => c(
            Put,
            "/api/me/availability".into(),
            tok(&w.advisor2),
            Body::Json(json!({"holiday_region": "PT", "buffer_minutes": i, "daily_cap": null})),
            &[200],
        ),
        "POST /api/me/time-off" => c(
            Post,
            "/api/me/time-off".into(),
            tok(&w.advisor2),
            Body::Json(
                json!({"first_day": format!("2031-01-{:02}", i + 1), "last_day": format!("2031-01-{:02}", i + 1)}),
            ),
            &[201],
        ),
        "DELETE /api/me/time-off/{id}" => c(
            Delete,
            format!("/api/me/time-off/{}", s.time_off),
            tok(&w.advisor),
            Body::None,
            &[204, 404],
        ),
        "GET /api/me/week" => c(
            Get,
            "/api/me/week".into(),
            tok(&w.advisor),
            Body::None,
            &[200],
        ),
        "GET /api/me/calendar-feed" => c(
            Get,
            "/api/me/calendar-feed".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "POST /api/me/calendar-feed" => c(
            Post,
            "/api/me/calendar-feed".into(),
            tok(&w.advisor),
            Body::None,
            &[200],
        ),
        "DELETE /api/me/calendar-feed" => c(
            Delete,
            "/api/me/calendar-feed".into(),
            tok(&w.learner_b),
            Body::None,
            &[204],
        ),
        "GET /api/calendar-feeds/{token}" => c(
            Get,
            "/api/calendar-feeds/1-1-00000000000000000000000000000000.ics".into(),
            None,
            Body::None,
            &[404],
        ),
        "GET /api/bookings/{id}/invite.ics" => c(
            Get,
            format!("/api/bookings/{}/invite.ics", s.booking),
            tok(&w.advisor),
            Body::None,
            &[200],
        ),
        "PUT /api/bookings/{id}/outcome" => c(
            Put,
            format!("/api/bookings/{}/outcome", s.booking_past),
            tok(&w.advisor),
            Body::Json(json!({"attended": true, "notes": format!("session notes {i}")})),
            &[200],
        ),
        // reports and certificates
        "GET /api/reports/completions" => c(
            Get,
            "/api/reports/completions".into(),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/reports/completions.csv" => c(
            Get,
            "/api/reports/completions.csv".into(),
            tok(&w.admin),
            Body::None,
            &[200],
        ),
        "GET /api/reports/smes" => c(
            Get,
            "/api/reports/smes".into(),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/reports/indicators" => c(
            Get,
            "/api/reports/indicators".into(),
            tok(&w.admin),
            Body::None,
            &[200],
        ),
        "GET /api/certificates" => c(
            Get,
            "/api/certificates".into(),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/certificates/{code}/pdf" => c(
            Get,
            format!("/api/certificates/{}/pdf", s.code),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "GET /api/certificates/{code}/credential"
        | "GET /api/certificates/{code}/credential.json"
        | "GET /api/certificates/{code}/badge.png" => c(
            Get,
            key.replace("GET ", "").replace("{code}", &s.code),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/credentials/badge.png" => c(
            Get,
            "/api/credentials/badge.png".into(),
            None,
            Body::None,
            &[200],
        ),
        "GET /api/credentials/status/{list}" => c(
            Get,
            "/api/credentials/status/0".into(),
            None,
            Body::None,
            &[200],
        ),
        "POST /api/verify" => c(
            Post,
            "/api/verify".into(),
            None,
            Body::Raw(
                ContentType::new("application", "vc+jwt"),
                s.credential.clone().into_bytes(),
            ),
            &[200],
        ),
        "GET /api/smes/{id}/certificates.zip" => c(
            Get,
            format!("/api/smes/{}/certificates.zip", w.sme_a),
            tok(&w.coord_a),
            Body::None,
            &[200],
        ),
        "POST /api/certificates/{code}/revocation" => c(
            Post,
            format!("/api/certificates/{}/revocation", s.code_to_revoke),
            tok(&w.admin),
            Body::Json(json!({"reason": "issued in error"})),
            &[200, 409],
        ),
        "GET /api/verify/{code}" => c(
            Get,
            format!("/api/verify/{}", s.code),
            None,
            Body::None,
            &[200],
        ),
        "GET /verify/verify.css" => c(Get, "/verify/verify.css".into(), None, Body::None, &[200]),
        "GET /verify/{code}" => c(Get, format!("/verify/{}", s.code), None, Body::None, &[200]),
        // materials
        "POST /api/courses/{slug}/materials" => {
            let (ct, body) = multipart(&[
                ("file", Some("deck.pdf"), "application/pdf", PDF),
                ("title", None, "text/plain", format!("Deck {i}").as_bytes()),
            ]);
            c(
                Post,
                format!("/api/courses/{course}/materials"),
                tok(&w.coord_a),
                Body::Raw(ct, body),
                &[201],
            )
        }
        "GET /api/courses/{slug}/materials" => c(
            Get,
            format!("/api/courses/{course}/materials"),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "GET /api/materials/{id}" => c(
            Get,
            format!("/api/materials/{}", s.material),
            tok(&w.learner_a),
            Body::None,
            &[200],
        ),
        "DELETE /api/materials/{id}" => c(
            Delete,
            format!("/api/materials/{}", s.material_to_delete),
            tok(&w.admin),
            Body::None,
            &[204, 404],
        ),
        _ => return None,
    })
}

async fn send(app: &TestApp, c: &Call) -> Resp {
    match &c.body {
        Body::None => {
            app.request(c.method, &c.path, c.token.as_deref(), None)
                .await
        }
        Body::Json(v) => {
            app.request(c.method, &c.path, c.token.as_deref(), Some(v))
                .await
        }
        Body::Raw(ct, bytes) => {
            app.raw(c.method, &c.path, c.token.as_deref(), ct.clone(), bytes)
                .await
        }
    }
}

/// `PER_ROUTE` requests to one route, released together: (status, time) of each.
async fn storm(app: &TestApp, calls: &[Call]) -> Vec<(u16, Duration, String)> {
    let gate = Barrier::new(calls.len());
    join_all(calls.iter().map(|c| async {
        gate.wait().await;
        let t = Instant::now();
        let r = send(app, c).await;
        (r.status.code, t.elapsed(), r.text)
    }))
    .await
}

#[rocket::async_test]
async fn every_route_answers_under_a_concurrent_storm_on_a_pool_of_two() {
    let app = TestApp::with(|f| {
        f.merge(("database_max_connections", POOL))
            .merge(("verify_rate_per_minute", 1000))
    })
    .await;
    let s = setup(&app).await;
    let doc = app.get_anon("/api/openapi.json").await.expect(200);
    let routes = documented_routes(&doc.body);
    assert!(routes.len() >= 40, "the document lists {routes:?}");

    let missing: Vec<&String> = routes.iter().filter(|k| call(k, &s, 0).is_none()).collect();
    assert!(
        missing.is_empty(),
        "routes of the OpenAPI document without an entry in concurrency.rs's table: {missing:?}"
    );

    let mut failures = Vec::new();
    for key in &routes {
        let calls: Vec<Call> = (0..PER_ROUTE)
            .map(|i| call(key, &s, i).expect("in the table"))
            .collect();
        let ok = calls[0].ok;
        let answers = storm(&app, &calls).await;
        let slowest = answers.iter().map(|a| a.1).max().unwrap_or_default();
        let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
        println!("{key}: {statuses:?}, slowest {slowest:?}");
        for (status, took, body) in answers {
            if status >= 500 || !ok.contains(&status) || took > SLOWEST {
                failures.push(format!(
                    "{key}: {status} after {took:?} (expected one of {ok:?}): {}",
                    body.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} requests failed:\n{}",
        failures.len(),
        routes.len() * PER_ROUTE,
        failures.join("\n")
    );
}

/// Password hashing is bounded. With one hashing thread and no time to wait in the
/// queue, of eight simultaneous logins one (rarely two) is checked (401, wrong password) and
/// the others are told to come back: 503 problem+json with Retry-After. (Unbounded, all eight ran
/// argon2 at once and answered 401.)
#[rocket::async_test]
async fn logins_beyond_the_hashing_threads_and_the_queue_wait_get_503_with_retry_after() {
    let app = TestApp::with(|f| {
        f.merge(("password_hash_concurrency", 1))
            .merge(("password_hash_queue_seconds", 0))
    })
    .await;
    let w = app.world().await;
    let body = json!({"email": w.learner_a.email, "password": "not the password at all"});
    let gate = Barrier::new(PER_ROUTE);
    let answers = join_all((0..PER_ROUTE).map(|_| async {
        gate.wait().await;
        app.post_anon("/api/auth/login", body.clone()).await
    }))
    .await;
    let mut counts = std::collections::BTreeMap::new();
    for r in &answers {
        *counts.entry(r.status.code).or_insert(0) += 1;
        if r.status.code == 503 {
            crate::common::assert_problem(r, 503);
            assert_eq!(r.header("Retry-After"), Some("5"), "{}", r.text);
            assert_eq!(r.body["code"], "auth.hashing_busy", "{}", r.text);
        }
    }
    // Whoever reaches the hasher first is checked; the others find it busy. A login that
    // arrives after an earlier one has finished (the throttle's database read comes first,
    // slower on PostgreSQL) is checked too, so more than one 401 is possible, but never all.
    let checked = counts.get(&401).copied().unwrap_or(0);
    let refused = counts.get(&503).copied().unwrap_or(0);
    assert_eq!(checked + refused, PER_ROUTE, "{counts:?}");
    assert!(checked >= 1 && refused >= PER_ROUTE / 2, "{counts:?}");
    // The queue drains: the next login is checked again.
    app.post_anon(
        "/api/auth/login",
        json!({"email": w.learner_a.email, "password": PASSWORD}),
    )
    .await
    .expect(200);
}
