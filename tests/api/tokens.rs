//! The token suite: every way an access token is revoked refuses it on the very next request
//! (401), not when it expires. Tokens here come from real sign-ins (real sessions).

use academy::auth::Role;
use rocket::http::Method;
use serde_json::json;

use crate::certificates::{app, code_of, complete_short_course};
use crate::common::{assert_problem, Resp, TestApp, PASSWORD};

struct Session {
    access: String,
    refresh: String,
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": email, "password": password}),
        )
        .await
        .expect(200);
    Session {
        access: r.body["access_token"].as_str().unwrap().into(),
        refresh: r.body["refresh_token"].as_str().unwrap().into(),
    }
}

async fn refresh(app: &TestApp, token: &str) -> Resp {
    app.post_anon("/api/auth/refresh", json!({"refresh_token": token}))
        .await
}

/// The access token is refused now, with the revocation message.
#[track_caller]
fn assert_revoked(r: &Resp) {
    assert_problem(r, 401);
    assert_eq!(r.body["code"], "auth.token_revoked", "{}", r.text);
}

#[rocket::async_test]
async fn logout_refuses_that_sessions_access_token_only() {
    let app = TestApp::new().await;
    app.world().await;
    let one = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let two = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    app.get("/api/me", &one.access).await.expect(200);
    let r = app
        .request(Method::Post, "/api/auth/logout", Some(&one.access), None)
        .await;
    assert_eq!(r.status.code, 204);
    assert_revoked(&app.get("/api/me", &one.access).await);
    assert_revoked(&app.get("/api/courses", &one.access).await);
    assert_problem(&refresh(&app, &one.refresh).await, 401);
    // The other session goes on.
    app.get("/api/me", &two.access).await.expect(200);
    refresh(&app, &two.refresh).await.expect(200);
}

#[rocket::async_test]
async fn a_password_change_refuses_every_earlier_access_token() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let one = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let two = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    app.patch(
        "/api/me",
        &one.access,
        json!({"password": {"current": PASSWORD, "new": "tortilla mar azul 77 faro"}}),
    )
    .await
    .expect(200);
    assert_revoked(&app.get("/api/me", &one.access).await);
    assert_revoked(&app.get("/api/me", &two.access).await);
    // Minted tokens of the old version too (the harness's token for this user).
    assert_revoked(&app.get("/api/me", &w.learner_a.token).await);
    assert_problem(&refresh(&app, &two.refresh).await, 401);
    let again = sign_in(&app, "ana@sme-a.example", "tortilla mar azul 77 faro").await;
    app.get("/api/me", &again.access).await.expect(200);
}

#[rocket::async_test]
async fn refresh_token_reuse_refuses_the_familys_access_tokens() {
    let app = TestApp::new().await;
    app.world().await;
    let first = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let other = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let rotated = refresh(&app, &first.refresh).await.expect(200);
    let second_access = rotated.body["access_token"].as_str().unwrap().to_string();
    app.get("/api/me", &second_access).await.expect(200);

    // The stolen first refresh token is replayed: the whole family is closed.
    assert_problem(&refresh(&app, &first.refresh).await, 401);
    assert_revoked(&app.get("/api/me", &first.access).await);
    assert_revoked(&app.get("/api/me", &second_access).await);
    // Another session of the same user is untouched.
    app.get("/api/me", &other.access).await.expect(200);
}

#[rocket::async_test]
async fn a_removed_coordinator_can_no_longer_download_reports_or_certificates() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let coord = sign_in(&app, "coord.a@hub.example", PASSWORD).await;
    let zip = format!("/api/smes/{}/certificates.zip", w.sme_a);
    let pdf = format!("/api/certificates/{code}/pdf");
    app.get("/api/reports/completions", &coord.access)
        .await
        .expect(200);
    app.get(&zip, &coord.access).await.expect(200);
    app.get(&pdf, &coord.access).await.expect(200);

    app.delete(&format!("/api/users/{}", w.coord_a.id), &w.admin.token)
        .await
        .expect(204);
    assert_revoked(&app.get("/api/reports/completions", &coord.access).await);
    assert_revoked(&app.get(&zip, &coord.access).await);
    assert_revoked(&app.get(&pdf, &coord.access).await);
    assert_revoked(
        &app.get("/api/reports/completions.csv", &w.coord_a.token)
            .await,
    );
    assert_problem(&refresh(&app, &coord.refresh).await, 401);
    // They cannot sign in either, and the answer is the one for a wrong password.
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "coord.a@hub.example", "password": PASSWORD}),
        )
        .await;
    assert_problem(&r, 401);
    assert_eq!(r.body["code"], "login.refused");
}

#[rocket::async_test]
async fn a_disabled_learner_is_refused_until_enabled_again() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let s = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let r = app
        .post(
            &format!("/api/users/{}/deactivation", w.learner_a.id),
            &w.coord_a.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["disabled"], true);
    assert_revoked(&app.get("/api/me", &s.access).await);
    assert_revoked(&app.get("/api/me", &w.learner_a.token).await);
    assert_problem(&refresh(&app, &s.refresh).await, 401);
    assert_problem(
        &app.post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": PASSWORD}),
        )
        .await,
        401,
    );

    let r = app
        .delete(
            &format!("/api/users/{}/deactivation", w.learner_a.id),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    assert_eq!(r.body["disabled"], false);
    // Old tokens stay revoked; a new sign-in works.
    assert_revoked(&app.get("/api/me", &s.access).await);
    let again = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    app.get("/api/me", &again.access).await.expect(200);
}

#[rocket::async_test]
async fn a_move_to_another_partner_refuses_the_old_token_and_refresh_gives_the_new_place() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let coord = sign_in(&app, "coord.a@hub.example", PASSWORD).await;
    let smes = app.get("/api/smes", &coord.access).await.expect(200);
    assert_eq!(smes.body["items"][0]["id"], w.sme_a);

    let r = app
        .patch(
            &format!("/api/users/{}", w.coord_a.id),
            &w.admin.token,
            json!({"partner_id": w.partner_b}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["partner_id"], w.partner_b);
    assert_revoked(&app.get("/api/smes", &coord.access).await);
    assert_revoked(&app.get("/api/reports/completions", &coord.access).await);

    // Moves are not a sign-out: the refresh token gives a token for the new partner.
    let moved = refresh(&app, &coord.refresh).await.expect(200);
    let access = moved.body["access_token"].as_str().unwrap();
    let smes = app.get("/api/smes", access).await.expect(200);
    let ids: Vec<i64> = smes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [w.sme_b]);

    // A learner moved to another SME.
    let learner = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    app.patch(
        &format!("/api/users/{}", w.learner_a.id),
        &w.admin.token,
        json!({"sme_id": w.sme_b}),
    )
    .await
    .expect(200);
    assert_revoked(&app.get("/api/me", &learner.access).await);
    let moved = refresh(&app, &learner.refresh).await.expect(200);
    assert_eq!(moved.body["user"]["sme_id"], w.sme_b);
    assert_eq!(moved.body["user"]["partner_id"], w.partner_b);
}

#[rocket::async_test]
async fn role_partner_and_sme_come_from_the_database_not_the_token() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // A properly signed token whose claims say admin of partner B, for a learner of SME A: the
    // database decides.
    let user = academy::orgs::get_user(app.pool(), w.learner_a.id)
        .await
        .unwrap();
    let mut claims = app
        .keys()
        .claims_for(&user, "test-session", academy::clock::now());
    claims.role = Role::Admin;
    claims.partner = Some(w.partner_b);
    claims.sme = Some(w.sme_b);
    let token = app.keys().issue(&claims).unwrap();
    let r = app.get("/api/partners", &token).await;
    assert_problem(&r, 403);
    assert_eq!(r.body["code"], "auth.wrong_role");
    assert_eq!(r.body["params"]["role"], "learner");
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("you are signed in as a learner"));
    // A token for a user id that does not exist.
    claims.sub = "999999".into();
    assert_revoked(
        &app.get("/api/me", &app.keys().issue(&claims).unwrap())
            .await,
    );
    // A token from before a version bump (ver 0 after the user moved once).
    app.patch(
        &format!("/api/users/{}", w.learner_a2.id),
        &w.admin.token,
        json!({"sme_id": w.sme_a}),
    )
    .await
    .expect(200);
    assert_revoked(&app.get("/api/me", &w.learner_a2.token).await);
}

#[rocket::async_test]
async fn a_second_process_refuses_a_token_revoked_through_the_first() {
    let app = TestApp::new().await;
    app.world().await;
    let other = app.second_instance().await;
    let s = sign_in(&app, "ana@sme-a.example", PASSWORD).await;
    let me = |token: String| {
        let req = other.get("/api/me").header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {token}"),
        ));
        async move { req.dispatch().await.status().code }
    };
    assert_eq!(me(s.access.clone()).await, 200);
    app.request(Method::Post, "/api/auth/logout", Some(&s.access), None)
        .await;
    assert_eq!(me(s.access.clone()).await, 401);
}
