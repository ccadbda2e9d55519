//! Hostile input at the JSON and URI layers: control characters, NUL, calendar injection,
//! requests that would create too much, error answers that would grow without bound, and
//! secret values in error messages.

use academy::clock::{now, rfc3339};
use icalendar::{Calendar, Component};
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};

use crate::common::{assert_problem, Resp, TestApp, TestUser, World};

const HOUR: i64 = 3600;

fn field_errors(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[track_caller]
fn assert_field(r: &Resp, status: u16, field: &str, needle: &str) {
    assert_problem(r, status);
    let errors = field_errors(r);
    assert!(
        errors.iter().any(|(f, m)| f == field && m.contains(needle)),
        "no error {needle:?} on {field:?}: {}",
        r.text
    );
}

async fn slot(app: &TestApp, advisor: &TestUser, location: &str) -> Resp {
    let starts_at = (now() / HOUR + 48) * HOUR;
    app.post(
        "/api/slots",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + HOUR),
            "topic": "finance",
            "mode": "in_person",
            "location": location,
        }),
    )
    .await
}

#[rocket::async_test]
async fn single_line_fields_refuse_line_breaks_and_controls() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    let r = app
        .patch(
            "/api/me",
            t,
            json!({"name": "Mallory\r\nATTACH:http://evil.example/x"}),
        )
        .await;
    assert_field(&r, 422, "name", "single line");
    assert!(!r.text.contains("evil.example"), "{}", r.text);
    for name in ["Tab\there", "Bell\u{7}", "Esc\u{1b}[31m", "Next\u{85}line"] {
        let r = app.patch("/api/me", t, json!({ "name": name })).await;
        assert_field(&r, 422, "name", "control characters");
    }
    let r = app.patch("/api/me", t, json!({"name": "Nul\u{0}"})).await;
    assert_field(&r, 422, "name", "NUL");
    // Nothing was stored.
    let me = app.get("/api/me", t).await.expect(200);
    assert_eq!(me.body["name"], "Ana Núñez");
    // Ordinary names in any script are fine.
    let me = app
        .patch("/api/me", t, json!({"name": "Zoë O'Brien-Ğüneş 李"}))
        .await
        .expect(200);
    assert_eq!(me.body["name"], "Zoë O'Brien-Ğüneş 李");

    let r = app
        .post(
            "/api/partners",
            &w.admin.token,
            json!({"name": "P\nQ", "country": "ES", "region": "Madrid"}),
        )
        .await;
    assert_field(&r, 422, "name", "single line");
    let r = slot(&app, &w.advisor, "Room 1\r\nATTACH:x").await;
    assert_field(&r, 422, "location", "single line");
}

#[rocket::async_test]
async fn multi_line_fields_keep_line_breaks_but_not_other_controls() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let id = slot(&app, &w.advisor, "Calle Mayor 1, Madrid")
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/slots/{id}/booking");
    let r = app
        .post(&path, &w.learner_a.token, json!({"note": "Bell\u{7}"}))
        .await;
    assert_field(&r, 422, "note", "line breaks and tabs are allowed");
    let r = app
        .post(&path, &w.learner_a.token, json!({"note": "a\u{0}b"}))
        .await;
    assert_field(&r, 422, "note", "NUL");
    let r = app
        .post(
            &path,
            &w.learner_a.token,
            json!({"note": "Two questions:\r\n1. funding\n2.\tIP"}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["note"], "Two questions:\r\n1. funding\n2.\tIP");
}

#[rocket::async_test]
async fn nested_fields_and_keys_are_named() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
        .await
        .expect(201);
    let a = app
        .post("/api/courses/quiz-lab/quiz/attempts", t, json!({}))
        .await
        .expect(201);
    let path = format!("/api/quiz-attempts/{}/answers", a.body["id"]);
    let r = app
        .put(&path, t, json!({"answers": {"q-text": "abc\u{0}"}}))
        .await;
    assert_field(&r, 422, "answers.q-text", "NUL");
    let r = app
        .put(&path, t, json!({"answers": {"q-single": ["s-right\n"]}}))
        .await;
    assert_field(&r, 422, "answers.q-single[0]", "single line");
    let r = app.put(&path, t, json!({"answers": {"q\u{0}": "x"}})).await;
    assert_field(&r, 422, "answers", "property name");
}

#[rocket::async_test]
async fn nul_in_paths_and_queries_is_a_clean_client_error() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    for path in [
        "/api/courses/short%00course",
        "/api/courses/short-course%00/progress",
        "/api/verify/IBA-0000-%000",
        "/verify/IBA%00",
        "/api/certificates/IBA-%00/pdf",
        "/api/courses/a%0Db",
    ] {
        let r = app.get(path, t).await;
        assert_problem(&r, 404);
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains("control characters"));
    }
    let r = app
        .post("/api/courses/short%00course/enrolment", t, json!({}))
        .await;
    assert_problem(&r, 404);
    let r = app.get("/api/certificates?course=short%00course", t).await;
    assert_field(&r, 422, "course", "NUL");
    let r = app
        .get("/api/slots?topic=finance%0D%0AX", &w.advisor.token)
        .await;
    assert_field(&r, 422, "topic", "single line");
    // And a JSON NUL (as `\u0000`) in a text field, on both databases: 422, nothing stored.
    let r = app
        .post(
            "/api/partners",
            &w.admin.token,
            json!({"name": "P\u{0}", "country": "ES", "region": "Madrid"}),
        )
        .await;
    assert_field(&r, 422, "name", "NUL");
    let partners = app.get("/api/partners", &w.admin.token).await.expect(200);
    assert_eq!(partners.body["items"].as_array().unwrap().len(), 2);
}

/// What the database holds is escaped by the writer: a name stored with CR/LF (before the
/// input rules, or by another tool) cannot add a property to the invite.
#[rocket::async_test]
async fn invite_escapes_whatever_the_database_holds() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let id = slot(&app, &w.advisor, "Calle Mayor 1, Madrid")
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let booking = app
        .post(
            &format!("/api/slots/{id}/booking"),
            &w.learner_a.token,
            json!({"note": "Hi"}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let evil =
        "Mallory\r\nATTACH:http://evil.example/x.exe\r\nORGANIZER;CN=Eve:mailto:eve@evil.example";
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(evil)
        .bind(w.learner_a.id)
        .execute(app.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE bookings SET note = $1 WHERE id = $2")
        .bind("Line\r\nATTACH:http://evil.example/y;x,y\\")
        .bind(booking)
        .execute(app.pool())
        .await
        .unwrap();
    let r = app
        .get(
            &format!("/api/bookings/{booking}/invite.ics"),
            &w.advisor.token,
        )
        .await
        .expect(200);
    let text = &r.text;
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(!line.starts_with("ATTACH"), "{text}");
    }
    let cal: Calendar = text.parse().expect("parses");
    let event = cal.events().next().expect("one event");
    assert!(event.property_value("ATTACH").is_none(), "{text}");
    let organizer = event.properties().get("ORGANIZER").expect("organizer");
    assert_eq!(organizer.value(), "mailto:advisor@hub.example");
    let unfolded = text.replace("\r\n ", "");
    assert_eq!(
        unfolded
            .lines()
            .filter(|l| l.starts_with("ATTENDEE"))
            .count(),
        1,
        "{text}"
    );
    assert!(
        unfolded.contains("CN=\"Mallory  ATTACH:http://evil.example/x.exe  ORGANIZER"),
        "{text}"
    );
    let description = event.get_description().expect("description");
    assert!(
        description.contains("Mallory\nATTACH:http://evil.example/x.exe"),
        "{description}"
    );
    assert!(
        description.contains("Note: Line\nATTACH:http://evil.example/y;x,y\\"),
        "{description}"
    );
}

#[rocket::async_test]
async fn a_pattern_may_create_at_most_500_slots() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let body = |weeks: i64| {
        json!({
            "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "00:00", "end_time": "23:45",
            "session_minutes": 15, "weeks": weeks, "topic": "finance", "mode": "online",
            "location": "https://meet.example/x",
        })
    };
    let r = app
        .post("/api/slots/pattern", &w.advisor.token, body(26))
        .await;
    assert_field(&r, 422, "body", "at most 500");
    assert!(
        r.body["detail"].as_str().unwrap().contains("makes 17"),
        "{}",
        r.text
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM slots")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
    // Within the limit the pattern is laid out (7 days x 1 session, 8 weeks = at most 56).
    let r = app
        .post(
            "/api/slots/pattern",
            &w.advisor.token,
            json!({
                "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "10:00", "end_time": "11:00",
                "session_minutes": 60, "weeks": 8, "topic": "finance", "mode": "online",
                "location": "https://meet.example/x",
            }),
        )
        .await
        .expect(201);
    let made = r.body["created"].as_array().unwrap().len();
    assert!((48..=56).contains(&made), "{made}");
}

#[rocket::async_test]
async fn error_answers_stay_small() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
        .await
        .expect(201);
    let a = app
        .post("/api/courses/quiz-lab/quiz/attempts", t, json!({}))
        .await
        .expect(201);
    let path = format!("/api/quiz-attempts/{}/answers", a.body["id"]);
    // Just under 1 MiB of unknown question ids, some very long.
    let mut answers = serde_json::Map::new();
    for i in 0..8000 {
        answers.insert(format!("q{i:05}-{}", "x".repeat(100)), Value::Bool(true));
    }
    answers.insert("a".repeat(20_000), Value::Bool(true));
    let body = json!({ "answers": answers });
    assert!(body.to_string().len() < 1024 * 1024);
    let r = app.put(&path, t, body).await;
    assert_problem(&r, 422);
    let errors = field_errors(&r);
    assert_eq!(errors.len(), 20, "{}", &r.text[..500]);
    assert_eq!(
        errors[0].0.chars().count(),
        201,
        "cut to 200 characters and an ellipsis"
    );
    assert!(errors
        .iter()
        .all(|(f, m)| f.chars().count() <= 201 && m.len() < 400));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("And 7981 more."),
        "{}",
        &r.text[..300]
    );
    assert!(r.bytes.len() < 16 * 1024, "{} bytes", r.bytes.len());
}

#[rocket::async_test]
async fn secret_values_are_not_repeated_in_errors() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": 987654321012u64}),
        )
        .await;
    assert_field(&r, 422, "password", "should be a text");
    assert!(!r.text.contains("987654321012"), "{}", r.text);
    let r = app
        .patch(
            "/api/me",
            &w.learner_a.token,
            json!({"password": {"current": 55555555555u64, "new": "x"}}),
        )
        .await;
    assert_problem(&r, 422);
    assert!(!r.text.contains("55555555555"), "{}", r.text);
    // Not a secret either way: a value of the wrong type is answered with what was expected,
    // in words (`json.wrong_type`), never with serde's English.
    let r = app
        .post(
            "/api/slots",
            &w.advisor.token,
            json!({"starts_at": 123456789, "ends_at": "x", "topic": "finance", "mode": "online", "location": "x"}),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "starts_at");
    assert_eq!(r.body["errors"][0]["code"], "json.wrong_type");
    assert_eq!(r.body["errors"][0]["params"]["expected"], "text");
    assert!(!r.text.contains("invalid type"), "{}", r.text);
}

#[rocket::async_test]
async fn junk_bodies_are_client_errors() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    for body in [
        &b"\xff\xfe"[..],
        b"{\"name\": \"\\ud800\"}",
        b"{\"name\": \"a\"} trailing",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]",
        b"{\"name\": 1e999}",
    ] {
        let r = app
            .raw(
                Method::Patch,
                "/api/me",
                Some(&w.learner_a.token),
                ContentType::JSON,
                body,
            )
            .await;
        assert!(
            matches!(r.status.code, 400 | 422),
            "{:?} -> {}",
            String::from_utf8_lossy(body),
            r.text
        );
        assert_eq!(r.content_type.as_deref(), Some("application/problem+json"));
    }
}
