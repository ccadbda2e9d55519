//! Account security: sign-in throttling, the password policy, look-alike emails, what a 409
//! tells a coordinator, and disabling, removing and moving users.

use std::net::SocketAddr;

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::certificates::{app as cert_app, complete_short_course};
use crate::common::{assert_problem, TestApp, PASSWORD};

struct Answer {
    status: Status,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// A sign-in from a given client address.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Answer {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    let res = app
        .client
        .post("/api/auth/login")
        .remote(addr)
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await;
    let status = res.status();
    let retry_after = res.headers().get_one("Retry-After").map(String::from);
    let content_type = res.content_type().map(|c| c.to_string());
    let body =
        serde_json::from_slice(&res.into_bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        content_type,
        body,
    }
}

/// Locks long enough that a slow test machine cannot outrun them.
async fn throttled_app() -> TestApp {
    TestApp::with(|f| f.merge(("login_lock_seconds", 60))).await
}

#[track_caller]
fn assert_throttled(a: &Answer, seconds: i64) {
    assert_eq!(a.status.code, 429, "{}", a.body);
    assert_eq!(a.content_type.as_deref(), Some("application/problem+json"));
    let wait: i64 = a.retry_after.as_deref().unwrap().parse().unwrap();
    assert!(
        wait > seconds - 5 && wait <= seconds,
        "Retry-After {wait}, expected about {seconds}"
    );
    assert_eq!(a.body["code"], "login.throttled");
    assert_eq!(a.body["params"]["seconds"], wait);
    assert_eq!(
        a.body["detail"],
        format!("Too many failed sign-ins. Please try again in {wait} seconds.")
    );
}

#[rocket::async_test]
async fn five_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let app = throttled_app().await;
    app.world().await;
    for i in 0..5 {
        let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", "wrong password!").await;
        assert_eq!(a.status.code, 401, "attempt {i}: {}", a.body);
    }
    // Locked: the right password from another address is refused too, without verifying it.
    let a = login_from(&app, "203.0.113.9", "ANA@sme-a.example", PASSWORD).await;
    assert_throttled(&a, 60);
    // Another account from the first address is not affected (below the client allowance).
    let a = login_from(&app, "198.51.100.7", "bruno@sme-a.example", PASSWORD).await;
    assert_eq!(a.status.code, 200, "{}", a.body);

    // The same lock for an email without an account: a lock says nothing about existence.
    for _ in 0..5 {
        let a = login_from(&app, "192.0.2.1", "nobody@sme-a.example", "wrong password!").await;
        assert_eq!(a.status.code, 401);
    }
    let a = login_from(&app, "192.0.2.2", "nobody@sme-a.example", PASSWORD).await;
    assert_throttled(&a, 60);
}

#[rocket::async_test]
async fn locks_grow_and_hold_across_processes() {
    let app = throttled_app().await;
    app.world().await;
    for _ in 0..5 {
        login_from(&app, "198.51.100.7", "ana@sme-a.example", "wrong password!").await;
    }
    // A second process over the same database sees the lock.
    let other = app.second_instance().await;
    let res = other
        .post("/api/auth/login")
        .header(ContentType::JSON)
        .body(json!({"email": "ana@sme-a.example", "password": PASSWORD}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status().code, 429);
    assert!(res.headers().get_one("Retry-After").is_some());

    // The sixth failure (counted once the lock is over) doubles the lock.
    sqlx::query("UPDATE login_throttle SET locked_until = 0")
        .execute(app.pool())
        .await
        .unwrap();
    let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", "wrong password!").await;
    assert_eq!(a.status.code, 401);
    let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", PASSWORD).await;
    assert_throttled(&a, 120);
}

#[rocket::async_test]
async fn success_resets_the_account_count() {
    let app = throttled_app().await;
    app.world().await;
    for _ in 0..4 {
        login_from(&app, "198.51.100.7", "ana@sme-a.example", "wrong password!").await;
    }
    let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", PASSWORD).await;
    assert_eq!(a.status.code, 200);
    // Four more failures are again below the allowance.
    for _ in 0..4 {
        let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", "wrong password!").await;
        assert_eq!(a.status.code, 401);
    }
    let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", PASSWORD).await;
    assert_eq!(a.status.code, 200, "{}", a.body);
}

#[rocket::async_test]
async fn one_client_guessing_many_accounts_is_locked() {
    let app = TestApp::with(|f| {
        f.merge(("login_lock_seconds", 60))
            .merge(("login_client_failures", 6))
    })
    .await;
    app.world().await;
    // One failure each on six accounts: no account is locked, the address is.
    for i in 0..6 {
        let a = login_from(
            &app,
            "198.51.100.7",
            &format!("guess{i}@sme-a.example"),
            "x",
        )
        .await;
        assert_eq!(a.status.code, 401);
    }
    let a = login_from(&app, "198.51.100.7", "ana@sme-a.example", PASSWORD).await;
    assert_throttled(&a, 60);
    // IPv6 clients are counted by their /64.
    for i in 0..6 {
        let ip = format!("[2001:db8:1:2::{i}]");
        let a = login_from(&app, &ip, &format!("v6guess{i}@sme-a.example"), "x").await;
        assert_eq!(a.status.code, 401);
    }
    let a = login_from(
        &app,
        "[2001:db8:1:2:ffff::1]",
        "ana@sme-a.example",
        PASSWORD,
    )
    .await;
    assert_throttled(&a, 60);
    // Another client signs in.
    let a = login_from(&app, "203.0.113.9", "ana@sme-a.example", PASSWORD).await;
    assert_eq!(a.status.code, 200, "{}", a.body);
}

fn fields(r: &crate::common::Resp) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[rocket::async_test]
async fn weak_passwords_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let new_user = |email: &str, password: &str| {
        json!({"email": email, "name": "Núria Puig", "role": "learner",
               "password": password, "sme_id": w.sme_a})
    };
    for weak in [
        "1234567890",
        "          ",
        "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
        "nuria.puig@sme-a.example",
        "Núria Puig",
        "password1234",
    ] {
        let r = app
            .post(
                "/api/users",
                &w.coord_a.token,
                new_user("nuria.puig@sme-a.example", weak),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(fields(&r), ["password"], "{weak:?}: {}", r.text);
    }
    let r = app
        .post(
            "/api/users",
            &w.coord_a.token,
            new_user("nuria.puig@sme-a.example", "nuria.puig@sme-a.example"),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "password.personal");
    assert_eq!(
        r.body["errors"][0]["message"],
        "The password must not be or contain your email address or name."
    );
    let r = app
        .post(
            "/api/users",
            &w.coord_a.token,
            new_user("nuria.puig@sme-a.example", "1234567890"),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "password.guessable");
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("This password is too easy to guess"));
    // Nothing was stored by the refused requests.
    let users = app.get("/api/users", &w.coord_a.token).await.expect(200);
    assert!(!users.text.contains("nuria.puig"));
    app.post(
        "/api/users",
        &w.coord_a.token,
        new_user("nuria.puig@sme-a.example", "tortilla mar azul 77 faro"),
    )
    .await
    .expect(201);

    // The same policy on a password change, naming `password.new`, and the old one still works.
    for weak in ["1234567890", "ana@sme-a.example", "          "] {
        let r = app
            .patch(
                "/api/me",
                &w.learner_a.token,
                json!({"password": {"current": PASSWORD, "new": weak}}),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(fields(&r), ["password.new"], "{weak:?}: {}", r.text);
    }
    app.post_anon(
        "/api/auth/login",
        json!({"email": "ana@sme-a.example", "password": PASSWORD}),
    )
    .await
    .expect(200);
}

#[rocket::async_test]
async fn look_alike_emails_are_refused() {
    let app = TestApp::new().await;
    let w = app.world().await;
    for email in [
        "\u{430}dmin@hub.example",     // Cyrillic а, then Latin
        "admin@hub.ex\u{430}mple",     // Cyrillic а in the domain
        "rob\u{3bf}t@sme-a.example",   // Greek omicron
        "ad\u{200b}min@sme-a.example", // zero-width space
    ] {
        let r = app
            .post(
                "/api/users",
                &w.admin.token,
                json!({"email": email, "name": "Look Alike", "role": "advisor",
                       "password": "tortilla mar azul 77 faro"}),
            )
            .await;
        assert_problem(&r, 422);
        assert_eq!(fields(&r), ["email"], "{email:?}: {}", r.text);
    }
    let r = app
        .post(
            "/api/users",
            &w.admin.token,
            json!({"email": "\u{430}dmin@hub.example", "name": "Look Alike", "role": "advisor",
                   "password": "tortilla mar azul 77 faro"}),
        )
        .await;
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("different scripts"));
    // Accented Latin addresses are fine.
    app.post(
        "/api/users",
        &w.admin.token,
        json!({"email": "josé.núñez@empresa.es", "name": "José Núñez", "role": "advisor",
               "password": "tortilla mar azul 77 faro"}),
    )
    .await
    .expect(201);
}

#[rocket::async_test]
async fn coordinators_do_not_learn_where_an_email_has_an_account() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let body = |email: &str| {
        json!({"email": email, "name": "Someone", "role": "learner",
               "password": "tortilla mar azul 77 faro", "sme_id": w.sme_a})
    };
    // An admin elsewhere, a learner of another partner, one of the coordinator's own learners.
    let mut details = Vec::new();
    for email in [
        "admin@hub.example",
        "joao.lisbon@sme-b.example",
        "bruno@sme-a.example",
    ] {
        let r = app.post("/api/users", &w.coord_a.token, body(email)).await;
        assert_problem(&r, 409);
        assert!(!r.text.contains(email), "{}", r.text);
        details.push(r.body["detail"].as_str().unwrap().to_string());
        assert_eq!(r.body["code"], "email.unavailable");
        assert!(r.body.get("params").is_none(), "{}", r.text);
    }
    assert!(details.iter().all(|d| d
        == "This email address cannot be used for a new account; please ask a hub administrator."));
    // Admins are told plainly.
    let r = app
        .post(
            "/api/users",
            &w.admin.token,
            body("joao.lisbon@sme-b.example"),
        )
        .await;
    assert_problem(&r, 409);
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("joao.lisbon@sme-b.example"));
}

#[rocket::async_test]
async fn who_may_disable_remove_and_move_whom() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let deactivate = |id: i64| format!("/api/users/{id}/deactivation");
    // A coordinator: only the learners of their own partner's SMEs; others do not exist.
    for id in [w.learner_b.id, w.advisor.id, w.coord_b.id, w.admin.id] {
        assert_problem(
            &app.post(&deactivate(id), &w.coord_a.token, json!({})).await,
            404,
        );
        assert_problem(
            &app.delete(&format!("/api/users/{id}"), &w.coord_a.token)
                .await,
            404,
        );
    }
    // Learners and advisors: 403.
    assert_problem(
        &app.post(&deactivate(w.learner_a2.id), &w.learner_a.token, json!({}))
            .await,
        403,
    );
    assert_problem(
        &app.delete(&format!("/api/users/{}", w.learner_a2.id), &w.advisor.token)
            .await,
        403,
    );
    // Nobody on themselves.
    assert_problem(
        &app.delete(&format!("/api/users/{}", w.admin.id), &w.admin.token)
            .await,
        403,
    );
    // Moves are for admins.
    assert_problem(
        &app.patch(
            &format!("/api/users/{}", w.learner_a.id),
            &w.coord_a.token,
            json!({"sme_id": w.sme_a}),
        )
        .await,
        403,
    );
    // Bad moves name the field and change nothing.
    let bad = app
        .patch(
            &format!("/api/users/{}", w.learner_a.id),
            &w.admin.token,
            json!({"sme_id": 999999}),
        )
        .await;
    assert_problem(&bad, 422);
    assert_eq!(fields(&bad), ["sme_id"]);
    let bad = app
        .patch(
            &format!("/api/users/{}", w.advisor.id),
            &w.admin.token,
            json!({"role": "coordinator"}),
        )
        .await;
    assert_problem(&bad, 422);
    assert_eq!(fields(&bad), ["partner_id"]);
    let bad = app
        .patch(
            &format!("/api/users/{}", w.advisor.id),
            &w.admin.token,
            json!({"role": "wizard"}),
        )
        .await;
    assert_eq!(fields(&bad), ["role"]);
    app.get("/api/me", &w.learner_a.token).await.expect(200);
    app.get("/api/me", &w.advisor.token).await.expect(200);
    // Unknown users: 404.
    assert_problem(&app.delete("/api/users/999999", &w.admin.token).await, 404);
    // An advisor made a coordinator of partner B sees partner B's SMEs after signing in.
    let r = app
        .patch(
            &format!("/api/users/{}", w.advisor.id),
            &w.admin.token,
            json!({"role": "coordinator", "partner_id": w.partner_b}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["role"], "coordinator");
    let t = app.token_for(w.advisor.id).await;
    let smes = app.get("/api/smes", &t).await.expect(200);
    assert_eq!(smes.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(smes.body["items"][0]["id"], w.sme_b);
}

#[rocket::async_test]
async fn a_removed_learner_stays_in_reports_but_leaves_the_user_list() {
    let app = cert_app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    app.delete(&format!("/api/users/{}", w.learner_a.id), &w.coord_a.token)
        .await
        .expect(204);
    // Removing again: gone.
    assert_problem(
        &app.delete(&format!("/api/users/{}", w.learner_a.id), &w.coord_a.token)
            .await,
        404,
    );
    let users = app.get("/api/users", &w.coord_a.token).await.expect(200);
    assert!(!users.text.contains("ana@sme-a.example"), "{}", users.text);
    let report = app
        .get("/api/reports/completions", &w.coord_a.token)
        .await
        .expect(200);
    assert!(report.text.contains("Ana Núñez"), "{}", report.text);
    let certs = app
        .get("/api/certificates", &w.coord_a.token)
        .await
        .expect(200);
    assert!(certs.text.contains("Ana Núñez"), "{}", certs.text);
}
