//! The web UI's session: the refresh token in an HttpOnly cookie (`X-Academy-Session: cookie`),
//! next to the JSON contract of scripts, which stays as it was.

use rocket::http::{ContentType, Cookie, Header};
use serde_json::json;

use crate::common::{assert_problem, dispatch, Resp, TestApp, PASSWORD};

const COOKIE: &str = "academy_refresh";
const MODE: (&str, &str) = ("X-Academy-Session", "cookie");

/// The `Set-Cookie` headers of the session cookie in an answer.
fn set_cookies(r: &Resp) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(k, v)| k.eq_ignore_ascii_case("Set-Cookie") && v.starts_with(COOKIE))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The value of the one session cookie an answer sets.
#[track_caller]
fn cookie_value(r: &Resp) -> String {
    let set = set_cookies(r);
    assert_eq!(set.len(), 1, "one session cookie: {set:?}; body {}", r.text);
    Cookie::parse(set[0].to_string())
        .expect("a cookie")
        .value()
        .to_string()
}

/// The attributes of a `Set-Cookie` value, lower-cased, without the name=value pair.
fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// A browser request to an auth route: the mode header, the cookie if any, extra headers.
async fn browser(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
    extra: &[(&str, &str)],
) -> Resp {
    let mut req = app
        .client
        .post(path.to_string())
        .header(Header::new(MODE.0, MODE.1));
    if let Some(c) = cookie {
        req = req.cookie(Cookie::new(COOKIE, c.to_string()));
    }
    if let Some(t) = bearer {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    for (k, v) in extra {
        req = req.header(Header::new(k.to_string(), v.to_string()));
    }
    dispatch(req).await
}

/// Sign in as the web UI does: JSON credentials and the mode header.
async fn browser_login(app: &TestApp, email: &str) -> Resp {
    let req = app
        .client
        .post("/api/auth/login")
        .header(Header::new(MODE.0, MODE.1))
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": PASSWORD}).to_string());
    dispatch(req).await
}

async fn refresh_by_cookie(app: &TestApp, cookie: &str) -> Resp {
    browser(app, "/api/auth/refresh", Some(cookie), None, &[]).await
}

#[track_caller]
fn assert_ended(r: &Resp, why: &str) {
    assert_problem(r, 401);
    assert_eq!(r.header("X-Academy-Session-End"), Some(why), "{}", r.text);
}

#[rocket::async_test]
async fn a_browser_sign_in_sets_an_httponly_strict_cookie_scoped_to_the_auth_routes() {
    let app = TestApp::new().await;
    app.world().await;
    let r = browser_login(&app, "ana@sme-a.example").await.expect(200);
    assert!(r.body["access_token"].is_string());
    assert_eq!(r.body["user"]["email"], "ana@sme-a.example");
    // The long-lived token never reaches the page's scripts.
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    let set = set_cookies(&r);
    assert_eq!(set.len(), 1, "{set:?}");
    let attrs = attributes(set[0]);
    assert!(attrs.contains(&"httponly".into()), "{attrs:?}");
    assert!(attrs.contains(&"samesite=strict".into()), "{attrs:?}");
    assert!(attrs.contains(&"path=/api/auth".into()), "{attrs:?}");
    // The refresh token's 30 days and the 7 days in which an expired session is told so.
    assert!(
        attrs.contains(&format!("max-age={}", 37 * 86_400)),
        "{attrs:?}"
    );
    // http://127.0.0.1 (the public URL of the tests): not Secure, or no browser but Chromium
    // would keep it.
    assert!(!attrs.contains(&"secure".into()), "{attrs:?}");
    assert!(!attrs.iter().any(|a| a.starts_with("domain")), "{attrs:?}");

    // Scripts: tokens in the body, no cookie.
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": PASSWORD}),
        )
        .await
        .expect(200);
    assert!(r.body["refresh_token"].is_string());
    assert!(set_cookies(&r).is_empty(), "{:?}", r.headers);

    // Behind https the cookie is Secure.
    let app = TestApp::with(|f| f.merge(("public_url", "https://academy.example"))).await;
    app.world().await;
    let r = browser_login(&app, "ana@sme-a.example").await.expect(200);
    assert!(attributes(set_cookies(&r)[0]).contains(&"secure".into()));
}

#[rocket::async_test]
async fn a_refresh_by_cookie_rotates_it_and_a_new_tab_gets_an_access_token() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let login = browser_login(&app, "ana@sme-a.example").await.expect(200);
    let first = cookie_value(&login);

    // A second tab: no access token, only the cookie.
    let r = refresh_by_cookie(&app, &first).await.expect(200);
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    assert_eq!(r.body["user"]["id"], w.learner_a.id);
    let second = cookie_value(&r);
    assert_ne!(first, second);
    let attrs = attributes(set_cookies(&r)[0]);
    assert!(attrs.contains(&"httponly".into()) && attrs.contains(&"path=/api/auth".into()));
    let access = r.body["access_token"].as_str().unwrap();
    app.get("/api/me", access).await.expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));

    // The rotated cookie goes on working; the first tab's access token too (one session).
    let r = refresh_by_cookie(&app, &second).await.expect(200);
    cookie_value(&r);
    app.get("/api/me", login.body["access_token"].as_str().unwrap())
        .await
        .expect(200);
}

#[rocket::async_test]
async fn a_refresh_without_a_usable_cookie_is_a_401_saying_why() {
    let app = TestApp::new().await;
    let w = app.world().await;

    let r = browser(&app, "/api/auth/refresh", None, None, &[]).await;
    assert_ended(&r, "missing");

    // Unknown: the browser is told to forget it.
    let r = refresh_by_cookie(&app, "not-a-token").await;
    assert_ended(&r, "revoked");
    let cleared = set_cookies(&r);
    assert_eq!(cleared.len(), 1, "{:?}", r.headers);
    let attrs = attributes(cleared[0]);
    assert!(attrs.contains(&"max-age=0".into()), "{attrs:?}");
    assert!(attrs.contains(&"path=/api/auth".into()), "{attrs:?}");

    // Expired.
    let cookie = cookie_value(&browser_login(&app, "ana@sme-a.example").await.expect(200));
    sqlx::query("UPDATE refresh_tokens SET expires_at = $1")
        .bind(academy::clock::now() - 1)
        .execute(app.pool())
        .await
        .unwrap();
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "expired");

    // Closed by a password change elsewhere.
    let cookie = cookie_value(&browser_login(&app, "ana@sme-a.example").await.expect(200));
    let other = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": PASSWORD}),
        )
        .await
        .expect(200);
    app.patch(
        "/api/me",
        other.body["access_token"].as_str().unwrap(),
        json!({"password": {"current": PASSWORD, "new": "tortilla mar azul 77 faro"}}),
    )
    .await
    .expect(200);
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "revoked");

    // The account was disabled.
    let cookie = cookie_value(&browser_login(&app, "bruno@sme-a.example").await.expect(200));
    app.post(
        &format!("/api/users/{}/deactivation", w.learner_a2.id),
        &w.coord_a.token,
        json!({}),
    )
    .await
    .expect(200);
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "account");
}

#[rocket::async_test]
async fn sign_out_clears_the_cookie_and_closes_the_session() {
    let app = TestApp::new().await;
    app.world().await;
    let login = browser_login(&app, "ana@sme-a.example").await.expect(200);
    let cookie = cookie_value(&login);
    let access = login.body["access_token"].as_str().unwrap();
    let r = browser(&app, "/api/auth/logout", Some(&cookie), Some(access), &[]).await;
    assert_eq!(r.status.code, 204, "{}", r.text);
    let cleared = set_cookies(&r);
    assert_eq!(cleared.len(), 1, "{:?}", r.headers);
    assert!(attributes(cleared[0]).contains(&"max-age=0".into()));
    assert_problem(&app.get("/api/me", access).await, 401);
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "revoked");

    // A tab whose access token is gone signs out with the cookie alone.
    let login = browser_login(&app, "ana@sme-a.example").await.expect(200);
    let cookie = cookie_value(&login);
    let r = browser(&app, "/api/auth/logout", Some(&cookie), None, &[]).await;
    assert_eq!(r.status.code, 204, "{}", r.text);
    assert_eq!(set_cookies(&r).len(), 1);
    assert_problem(
        &app.get("/api/me", login.body["access_token"].as_str().unwrap())
            .await,
        401,
    );
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "revoked");

    // Neither a token nor a cookie: 401, as before.
    assert_problem(
        &browser(&app, "/api/auth/logout", None, None, &[]).await,
        401,
    );
}

#[rocket::async_test]
async fn another_site_cannot_use_the_cookie() {
    let app = TestApp::new().await;
    app.world().await;
    let cookie = cookie_value(&browser_login(&app, "ana@sme-a.example").await.expect(200));

    for headers in [
        &[
            ("Origin", "https://evil.example"),
            ("Host", "127.0.0.1:8000"),
        ][..],
        &[
            ("Origin", "http://127.0.0.1:9999"),
            ("Host", "127.0.0.1:8000"),
        ][..],
        &[("Sec-Fetch-Site", "cross-site")][..],
        &[("Sec-Fetch-Site", "same-site")][..],
        &[("Origin", "null")][..],
    ] {
        let r = browser(&app, "/api/auth/refresh", Some(&cookie), None, headers).await;
        assert_problem(&r, 403);
        assert!(set_cookies(&r).is_empty(), "{headers:?}");
        // Nor sign out through it.
        let r = browser(&app, "/api/auth/logout", Some(&cookie), None, headers).await;
        assert_problem(&r, 403);
    }

    // Without the mode header the cookie is ignored: a cross-site form post (no custom header
    // possible) is refused before any token is looked at...
    let r = dispatch(
        app.client
            .post("/api/auth/refresh")
            .header(ContentType::Form)
            .cookie(Cookie::new(COOKIE, cookie.clone()))
            .body("refresh_token="),
    )
    .await;
    assert_problem(&r, 415);
    // ...and so is a bodiless one.
    let r = dispatch(
        app.client
            .post("/api/auth/refresh")
            .cookie(Cookie::new(COOKIE, cookie.clone())),
    )
    .await;
    assert_problem(&r, 400);
    let r = dispatch(
        app.client
            .post("/api/auth/logout")
            .cookie(Cookie::new(COOKIE, cookie.clone())),
    )
    .await;
    assert_problem(&r, 401);

    // The cookie was never used: the site's own pages still refresh with it (same origin by
    // Host, or the public URL's origin).
    let same = [
        ("Origin", "http://academy.local:8000"),
        ("Host", "academy.local:8000"),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    let r = browser(&app, "/api/auth/refresh", Some(&cookie), None, &same)
        .await
        .expect(200);
    let r = browser(
        &app,
        "/api/auth/refresh",
        Some(&cookie_value(&r)),
        None,
        &[
            ("Origin", "http://127.0.0.1:8000"),
            ("Host", "10.0.0.7:8000"),
        ],
    )
    .await
    .expect(200);
    cookie_value(&r);
}

#[rocket::async_test]
async fn two_tabs_refreshing_with_the_same_cookie_at_once_stay_signed_in() {
    let app = TestApp::new().await;
    app.world().await;
    let cookie = cookie_value(&browser_login(&app, "ana@sme-a.example").await.expect(200));

    // At the same moment: both get an access token; one of them rotates the cookie.
    let (a, b) = tokio::join!(
        refresh_by_cookie(&app, &cookie),
        refresh_by_cookie(&app, &cookie)
    );
    let (a, b) = (a.expect(200), b.expect(200));
    for r in [&a, &b] {
        app.get("/api/me", r.body["access_token"].as_str().unwrap())
            .await
            .expect(200);
    }
    let rotated: Vec<&Resp> = [&a, &b]
        .into_iter()
        .filter(|r| !set_cookies(r).is_empty())
        .collect();
    assert_eq!(rotated.len(), 1, "exactly one answer sets a new cookie");
    let next = cookie_value(rotated[0]);
    assert_ne!(next, cookie);

    // A moment later (the tab whose request was slower): still inside the grace window.
    let late = refresh_by_cookie(&app, &cookie).await.expect(200);
    assert!(
        set_cookies(&late).is_empty(),
        "the browser keeps the newer cookie"
    );

    // The session goes on with the newer cookie, and every access token handed out works.
    let r = refresh_by_cookie(&app, &next).await.expect(200);
    for r in [&a, &b, &late, &r] {
        app.get("/api/me", r.body["access_token"].as_str().unwrap())
            .await
            .expect(200);
    }

    // After the grace window, the old cookie again is reuse: the session is closed.
    sqlx::query("UPDATE refresh_tokens SET used_at = used_at - 60 WHERE used_at IS NOT NULL")
        .execute(app.pool())
        .await
        .unwrap();
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "revoked");
    assert_problem(
        &app.get("/api/me", a.body["access_token"].as_str().unwrap())
            .await,
        401,
    );
}

#[rocket::async_test]
async fn without_a_grace_window_a_second_use_closes_the_session() {
    let app = TestApp::with(|f| f.merge(("refresh_grace_seconds", 0))).await;
    app.world().await;
    let cookie = cookie_value(&browser_login(&app, "ana@sme-a.example").await.expect(200));
    let next = cookie_value(&refresh_by_cookie(&app, &cookie).await.expect(200));
    assert_ended(&refresh_by_cookie(&app, &cookie).await, "revoked");
    assert_ended(&refresh_by_cookie(&app, &next).await, "revoked");
}

#[rocket::async_test]
async fn scripts_get_no_grace_window() {
    let app = TestApp::new().await;
    app.world().await;
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": PASSWORD}),
        )
        .await
        .expect(200);
    let first = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = app
        .post_anon("/api/auth/refresh", json!({"refresh_token": first}))
        .await
        .expect(200);
    assert!(r.body["refresh_token"].is_string());
    assert!(set_cookies(&r).is_empty());
    let r = app
        .post_anon("/api/auth/refresh", json!({"refresh_token": first}))
        .await;
    assert_problem(&r, 401);
    assert_eq!(r.body["code"], "auth.refresh_reused");
    // Presented as a cookie, the token of a script's session works the same way.
    let login = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": PASSWORD}),
        )
        .await
        .expect(200);
    let token = login.body["refresh_token"].as_str().unwrap();
    cookie_value(&refresh_by_cookie(&app, token).await.expect(200));
}

#[rocket::async_test]
async fn an_accepted_invitation_signs_the_browser_in_with_the_cookie() {
    let app = TestApp::with(|f| f.merge(("mail_poll_milliseconds", 50))).await;
    let w = app.world().await;
    app.post(
        "/api/invitations",
        &w.coord_a.token,
        json!({"email": "nuria@sme-a.example", "name": "Nuria Nueva", "role": "learner",
            "sme_id": w.sme_a}),
    )
    .await
    .expect(201);
    // Without SMTP the mail is written as a file; its link carries the token.
    let dir = app.dir.path().join("data").join("outbox");
    let start = std::time::Instant::now();
    let text = loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with("invitation.eml"))
        });
        if let Some(file) = found {
            let bytes = std::fs::read(file).unwrap();
            let mail = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            break mail.body_text(0).unwrap_or_default().to_string();
        }
        assert!(start.elapsed().as_secs() < 20, "no invitation mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let token = crate::mail::token_in(&text);
    let req = app
        .client
        .post("/api/invitations/accept")
        .header(Header::new(MODE.0, MODE.1))
        .header(ContentType::JSON)
        .body(json!({"token": token, "password": "tortilla mar azul 77 faro"}).to_string());
    let r = dispatch(req).await.expect(200);
    assert!(r.body.get("refresh_token").is_none(), "{}", r.text);
    assert_eq!(r.body["user"]["email"], "nuria@sme-a.example");
    cookie_value(&refresh_by_cookie(&app, &cookie_value(&r)).await.expect(200));
}
