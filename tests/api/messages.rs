//! Problems in the reader's language: a stable `code` with its parameters for programs, the
//! `detail` and field messages in words for people (`?lang`, else the user's language, else
//! `Accept-Language`), times in the reader's zone and never an internal id or an ISO string.

use academy::clock::{now, rfc3339};
use rocket::http::{ContentType, Header, Method};
use serde_json::{json, Value};

use crate::common::{assert_problem, send, Resp, TestApp};

const HOUR: i64 = 3600;

async fn login_in(app: &TestApp, language: &str, email: &str, password: &str) -> Resp {
    let mut req = app.client.req(Method::Post, "/api/auth/login");
    req.add_header(ContentType::JSON);
    req.add_header(Header::new("Accept-Language", language.to_string()));
    req.set_body(json!({"email": email, "password": password}).to_string());
    send(req).await
}

/// An ISO 8601 date-time in text (`2026-12-09T16:30`).
fn has_iso_time(text: &str) -> bool {
    text.as_bytes().windows(16).any(|w| {
        w[4] == b'-'
            && w[7] == b'-'
            && w[10] == b'T'
            && w[13] == b':'
            && w[..4].iter().all(u8::is_ascii_digit)
    })
}

#[rocket::async_test]
async fn a_visitor_reads_the_problem_in_the_language_of_accept_language() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let english = login_in(&app, "en", &w.learner_a.email, "not the password").await;
    assert_problem(&english, 401);
    assert_eq!(english.body["code"], "login.refused");
    assert_eq!(
        english.body["detail"],
        "The email or password is not correct."
    );
    for (language, expected) in [
        (
            "es-ES,es;q=0.9,en;q=0.5",
            "El correo electrónico o la contraseña no son correctos.",
        ),
        ("pt-PT", "O email ou a palavra-passe não estão corretos."),
        (
            "fr, gl;q=0.8",
            "O correo electrónico ou o contrasinal non son correctos.",
        ),
    ] {
        let r = login_in(&app, language, &w.learner_a.email, "not the password").await;
        assert_problem(&r, 401);
        assert_eq!(r.body["code"], "login.refused", "{language}");
        assert_eq!(r.body["detail"], expected, "{language}");
    }
}

#[rocket::async_test]
async fn an_empty_sign_in_form_says_what_is_missing_not_that_the_password_is_wrong() {
    let app = TestApp::new().await;
    let r = login_in(&app, "es", "  ", "").await;
    assert_problem(&r, 422);
    assert_eq!(r.body["code"], "invalid.fields");
    let fields: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("email", "login.email_required"),
            ("password", "login.password_required")
        ]
    );
    assert_eq!(
        r.body["errors"][1]["message"], "Escriba su contraseña.",
        "{}",
        r.text
    );
    // Not counted as a failed sign-in: the account is not locked by empty forms.
    for _ in 0..8 {
        login_in(&app, "en", "", "").await;
    }
    let w = app.world().await;
    let ok = login_in(&app, "en", &w.learner_a.email, "").await;
    assert_eq!(ok.status.code, 422, "{}", ok.text);
}

#[rocket::async_test]
async fn a_signed_in_users_language_wins_over_the_header_and_lang_wins_over_both() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.patch("/api/me", &w.learner_a.token, json!({"locale": "pt"}))
        .await
        .expect(200);
    // A learner asking for the partners list (admins only), no Accept-Language: Portuguese.
    let r = app.get("/api/partners", &w.learner_a.token).await;
    assert_problem(&r, 403);
    assert_eq!(r.body["code"], "auth.wrong_role");
    assert_eq!(r.body["params"]["role"], "learner");
    assert_eq!(r.body["params"]["allowed"], "admins");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("iniciou sessão como"), "{detail}");
    assert!(!detail.contains("learner"), "{detail}");
    // The user's language beats the browser's header...
    let r = app
        .get_with(
            "/api/partners",
            Some(&w.learner_a.token),
            &[("Accept-Language", "es")],
        )
        .await;
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("iniciou sessão"));
    // ... and `?lang` beats both.
    let r = app
        .get_with(
            "/api/partners?lang=es",
            Some(&w.learner_a.token),
            &[("Accept-Language", "pt")],
        )
        .await;
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("ha iniciado sesión"),
        "{}",
        r.text
    );
    // The title too, by HTTP status.
    assert_eq!(r.body["title"], "No permitido", "{}", r.text);
}

#[rocket::async_test]
async fn an_overlapping_slot_is_named_by_its_local_time_not_by_id_or_iso_time() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.patch(
        "/api/me",
        &w.advisor.token,
        json!({"locale": "es", "time_zone": "Atlantic/Canary"}),
    )
    .await
    .expect(200);
    let start = (now() / HOUR + 72) * HOUR;
    let body = |s: i64| {
        json!({
            "starts_at": rfc3339(s),
            "ends_at": rfc3339(s + HOUR),
            "topic": "finance",
            "mode": "online",
            "location": "https://meet.example/room-1",
        })
    };
    let first = app
        .post("/api/slots", &w.advisor.token, body(start))
        .await
        .expect(201);
    let id = first.body["id"].as_i64().unwrap();
    let r = app
        .post("/api/slots", &w.advisor.token, body(start + 30 * 60))
        .await;
    assert_problem(&r, 422);
    let error = &r.body["errors"][0];
    assert_eq!(error["field"], "starts_at");
    assert_eq!(error["code"], "slot.overlaps");
    assert_eq!(error["params"]["slot_id"], id);
    assert_eq!(error["params"]["start"], rfc3339(start).as_str());
    let message = error["message"].as_str().unwrap();
    let local = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Atlantic/Canary").unwrap());
    let expected = format!(
        "{}/{}/{} {} (Atlantic/Canary)",
        local.day(),
        local.month(),
        local.year(),
        local.strftime("%H:%M")
    );
    assert!(message.contains(&expected), "{message} lacks {expected}");
    assert!(message.starts_with("Se solapa"), "{message}");
    assert!(!has_iso_time(message), "{message}");
    // No internal id: every number in the message is part of the date or the clock.
    let without_times = message.replace(&expected, "");
    assert!(
        !without_times
            .split(|c: char| !c.is_ascii_digit())
            .any(|n| n == id.to_string()),
        "{message} names slot {id}"
    );
    assert_eq!(r.body["detail"], message);
}

#[rocket::async_test]
async fn a_cancellation_notice_says_which_session_in_the_readers_language() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.patch(
        "/api/me",
        &w.learner_a.token,
        json!({"locale": "pt", "time_zone": "Europe/Lisbon"}),
    )
    .await
    .expect(200);
    let start = (now() / HOUR + 96) * HOUR;
    let slot = app
        .post(
            "/api/slots",
            &w.advisor.token,
            json!({
                "starts_at": rfc3339(start),
                "ends_at": rfc3339(start + HOUR),
                "topic": "talent",
                "mode": "online",
                "location": "https://meet.example/room-1",
            }),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
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
    app.post(
        &format!("/api/bookings/{booking}/cancellation"),
        &w.advisor.token,
        json!({"reason": "Baixa médica"}),
    )
    .await
    .expect(200);
    let notes = app
        .get("/api/bookings/notifications", &w.learner_a.token)
        .await
        .expect(200);
    let message = notes.body["items"][0]["message"].as_str().unwrap();
    let local = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap());
    let when = format!("{} (Europe/Lisbon)", local.strftime("%H:%M"));
    assert!(message.contains(&when), "{message} lacks {when}");
    assert!(message.contains("Baixa médica"), "{message}");
    assert!(message.contains("cancelou"), "{message}");
    assert!(!message.contains("cancelled"), "{message}");
    assert!(!has_iso_time(message), "{message}");
}

/// Every problem of a broad sample of refusals carries a code the catalogue knows, and its
/// detail differs between English and Spanish (nothing is left in one language).
#[rocket::async_test]
async fn every_problem_has_a_known_code_and_words_in_each_language() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = w.learner_a.token.clone();
    let probes: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::Get, "/api/nothing-here", None),
        (Method::Delete, "/api/courses", None),
        (Method::Get, "/api/partners", None),
        (
            Method::Get,
            "/api/courses/biotech-basics/modules/nope",
            None,
        ),
        (
            Method::Post,
            "/api/courses/biotech-basics/quiz/attempts",
            None,
        ),
        (
            Method::Patch,
            "/api/me",
            Some(json!({"time_zone": "Mars/Olympus"})),
        ),
        (Method::Patch, "/api/me", Some(json!({"name": 12}))),
        (Method::Get, "/api/bookings?status=maybe", None),
    ];
    for (method, path, body) in probes {
        let mut details = Vec::new();
        for language in ["en", "es"] {
            // `?lang` because the signed-in learner's own language beats Accept-Language.
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut req = app
                .client
                .req(method, format!("{path}{sep}lang={language}"));
            req.add_header(Header::new("Authorization", format!("Bearer {t}")));
            req.add_header(Header::new("Accept-Language", language));
            if let Some(b) = &body {
                req.add_header(ContentType::JSON);
                req.set_body(b.to_string());
            }
            let r = send(req).await;
            let code = r.body["code"].as_str().unwrap_or_default();
            assert!(
                academy::messages::exists(code),
                "{method} {path}: code {code:?} is not in the catalogue: {}",
                r.text
            );
            for e in r.body["errors"].as_array().into_iter().flatten() {
                let code = e["code"].as_str().unwrap_or_default();
                assert!(academy::messages::exists(code), "{method} {path}: {e}");
            }
            details.push(r.body["detail"].as_str().unwrap_or_default().to_string());
        }
        assert_ne!(
            details[0], details[1],
            "{method} {path}: same words in en and es"
        );
    }
}

#[rocket::async_test]
async fn a_value_of_the_wrong_type_is_named_in_words_not_in_serdes_english() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let mut req = app
        .client
        .post("/api/bookings/1/reschedule?lang=es".to_string());
    req.add_header(Header::new(
        "Authorization",
        format!("Bearer {}", w.learner_a.token),
    ));
    req.add_header(ContentType::JSON);
    req.set_body(r#"{"slot_id": "22"}"#);
    let r = send(req).await;
    assert_problem(&r, 422);
    let error = &r.body["errors"][0];
    assert_eq!(error["field"], "slot_id");
    assert_eq!(error["code"], "json.wrong_type");
    assert_eq!(error["params"]["expected"], "integer");
    assert_eq!(error["message"], "Este valor debe ser un número entero.");
    assert!(!r.text.contains("invalid type"), "{}", r.text);
}
