use base64::Engine;
use rocket::http::{ContentType, Method};
use serde_json::json;

use crate::common::{assert_problem, TestApp, PASSWORD};

async fn login(app: &TestApp, email: &str, password: &str) -> crate::common::Resp {
    app.post_anon(
        "/api/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

#[rocket::async_test]
async fn login_success_returns_tokens_and_user() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let r = login(&app, "ANA@sme-a.example ", PASSWORD)
        .await
        .expect(200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    assert_eq!(r.body["user"]["id"], w.learner_a.id);
    assert_eq!(r.body["user"]["role"], "learner");
    assert!(r.body["user"].get("password_hash").is_none());
    let token = r.body["access_token"].as_str().unwrap();
    let me = app.get("/api/me", token).await.expect(200);
    assert_eq!(me.body["email"], "ana@sme-a.example");
    assert_eq!(me.body["sme_id"], w.sme_a);
}

#[rocket::async_test]
async fn login_failures_are_identical() {
    let app = TestApp::new().await;
    app.world().await;
    let wrong = login(&app, "ana@sme-a.example", "not the password").await;
    let unknown = login(&app, "nobody@sme-a.example", PASSWORD).await;
    assert_problem(&wrong, 401);
    assert_problem(&unknown, 401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert!(!wrong.text.to_lowercase().contains("unknown"));
}

#[rocket::async_test]
async fn bad_tokens_are_401() {
    let app = TestApp::new().await;
    let w = app.world().await;
    assert_problem(&app.get_anon("/api/me").await, 401);
    assert_problem(&app.get("/api/me", "garbage").await, 401);

    // Tampered: change the payload, keep the signature.
    let parts: Vec<&str> = w.learner_a.token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    assert_problem(&app.get("/api/partners", &forged).await, 401);

    // alg: none.
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims.to_string())
    );
    assert_problem(&app.get("/api/partners", &none).await, 401);

    // Expired, and wrong audience, properly signed.
    let user = academy::orgs::get_user(app.pool(), w.learner_a.id)
        .await
        .unwrap();
    let now = academy::clock::now();
    let mut c = app.keys().claims_for(&user, "s", now - 3600);
    c.exp = now - 120;
    let expired = app.keys().issue(&c).unwrap();
    let r = app.get("/api/me", &expired).await;
    assert_problem(&r, 401);
    assert!(r.body["detail"].as_str().unwrap().contains("expired"));
    let mut c = app.keys().claims_for(&user, "s", now);
    c.aud = "someone-else".into();
    assert_problem(
        &app.get("/api/me", &app.keys().issue(&c).unwrap()).await,
        401,
    );

    // Basic auth scheme.
    let r = app
        .client
        .get("/api/me")
        .header(rocket::http::Header::new("Authorization", "Basic YTpi"))
        .dispatch()
        .await;
    assert_eq!(r.status().code, 401);
}

#[rocket::async_test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    app.world().await;
    let first = login(&app, "ana@sme-a.example", PASSWORD).await.expect(200);
    let r1 = first.body["refresh_token"].as_str().unwrap().to_string();
    let second = app
        .post_anon("/api/auth/refresh", json!({"refresh_token": r1}))
        .await
        .expect(200);
    let r2 = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert!(
        app.get("/api/me", second.body["access_token"].as_str().unwrap())
            .await
            .status
            .code
            == 200
    );

    // Reusing r1 (stolen token replay) fails and kills r2 too.
    let replay = app
        .post_anon("/api/auth/refresh", json!({"refresh_token": r1}))
        .await;
    assert_problem(&replay, 401);
    assert_eq!(replay.body["code"], "auth.refresh_reused");
    assert_problem(
        &app.post_anon("/api/auth/refresh", json!({"refresh_token": r2}))
            .await,
        401,
    );

    // Another session of the same user is unaffected.
    let other = login(&app, "ana@sme-a.example", PASSWORD).await.expect(200);
    let r3 = other.body["refresh_token"].as_str().unwrap();
    app.post_anon("/api/auth/refresh", json!({"refresh_token": r3}))
        .await
        .expect(200);

    assert_problem(
        &app.post_anon("/api/auth/refresh", json!({"refresh_token": "made-up"}))
            .await,
        401,
    );
}

#[rocket::async_test]
async fn logout_revokes_this_session() {
    let app = TestApp::new().await;
    app.world().await;
    let s = login(&app, "ana@sme-a.example", PASSWORD).await.expect(200);
    let access = s.body["access_token"].as_str().unwrap();
    let refresh = s.body["refresh_token"].as_str().unwrap();
    let r = app
        .request(Method::Post, "/api/auth/logout", Some(access), None)
        .await;
    assert_eq!(r.status.code, 204);
    assert_problem(
        &app.post_anon("/api/auth/refresh", json!({"refresh_token": refresh}))
            .await,
        401,
    );
    assert_problem(
        &app.request(Method::Post, "/api/auth/logout", None, None)
            .await,
        401,
    );
}

#[rocket::async_test]
async fn password_change_revokes_refresh_tokens() {
    let app = TestApp::new().await;
    app.world().await;
    let s = login(&app, "ana@sme-a.example", PASSWORD).await.expect(200);
    let access = s.body["access_token"].as_str().unwrap();
    let refresh = s.body["refresh_token"].as_str().unwrap();

    let wrong = app
        .patch(
            "/api/me",
            access,
            json!({"password": {"current": "nope nope nope", "new": "a brand new password"}}),
        )
        .await;
    assert_problem(&wrong, 422);
    assert_eq!(wrong.body["errors"][0]["field"], "password.current");
    let short = app
        .patch(
            "/api/me",
            access,
            json!({"password": {"current": PASSWORD, "new": "short"}}),
        )
        .await;
    assert_problem(&short, 422);

    app.patch(
        "/api/me",
        access,
        json!({"password": {"current": PASSWORD, "new": "a brand new password"}}),
    )
    .await
    .expect(200);
    assert_problem(
        &app.post_anon("/api/auth/refresh", json!({"refresh_token": refresh}))
            .await,
        401,
    );
    assert_problem(&login(&app, "ana@sme-a.example", PASSWORD).await, 401);
    login(&app, "ana@sme-a.example", "a brand new password")
        .await
        .expect(200);
}

#[rocket::async_test]
async fn profile_update_validates() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let r = app
        .patch(
            "/api/me",
            t,
            json!({"locale": "pt", "time_zone": "Europe/Lisbon", "name": "Ana Núñez Peña"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["locale"], "pt");
    assert_eq!(r.body["time_zone"], "Europe/Lisbon");
    assert_eq!(r.body["name"], "Ana Núñez Peña");
    let bad = app
        .patch(
            "/api/me",
            t,
            json!({"locale": "fr", "time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_problem(&bad, 422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["locale", "time_zone"]);
    assert_problem(
        &app.patch("/api/me", t, json!({"role": "admin"})).await,
        422,
    );
    // Nothing changed by the refused requests.
    assert_eq!(app.get("/api/me", t).await.body["locale"], "pt");
}

#[rocket::async_test]
async fn malformed_bodies_are_4xx_problems() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::JSON,
            b"{\"email\": ",
        )
        .await;
    assert_problem(&r, 400);
    assert!(
        r.body["detail"].as_str().unwrap().contains("line 1"),
        "{}",
        r.text
    );
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::JSON,
            b"",
        )
        .await;
    assert_problem(&r, 400);
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::JSON,
            br#"{"email": 5, "password": "x"}"#,
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "email");
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::JSON,
            br#"{"email": "a@b.es"}"#,
        )
        .await;
    assert_problem(&r, 422);
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::Text,
            b"email=a",
        )
        .await;
    assert_problem(&r, 415);
    let r = app
        .raw(
            Method::Post,
            "/api/users",
            Some(&w.admin.token),
            ContentType::JSON,
            b"[1,2,3]",
        )
        .await;
    assert_problem(&r, 422);
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = app
        .raw(
            Method::Post,
            "/api/auth/login",
            None,
            ContentType::JSON,
            huge.as_bytes(),
        )
        .await;
    assert_problem(&r, 413);
}
