//! The transport layer: client addresses (peer, trusted proxies, allow-lists, rate-limit
//! keys), caching headers, 405 for known paths, and the OpenAPI document's completeness.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use rocket::http::{Header, Method};
use serde_json::{json, Value};

use crate::certificates::{code_of, complete_short_course};
use crate::common::{assert_problem, send, Resp, TestApp, World};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

async fn get_from(app: &TestApp, path: &str, peer: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = app.client.get(path.to_string()).remote(addr(peer));
    for (k, v) in headers {
        req.add_header(Header::new(k.to_string(), v.to_string()));
    }
    send(req).await
}

#[rocket::async_test]
async fn metrics_allow_list_is_cidr_exact_and_headers_are_not_believed() {
    let app = TestApp::new().await;
    // The default allow-list: 127.0.0.1 and ::1.
    get_from(&app, "/metrics", "127.0.0.1:4000", &[])
        .await
        .expect(200);
    get_from(&app, "/metrics", "[::1]:4000", &[])
        .await
        .expect(200);
    get_from(&app, "/metrics", "[::ffff:127.0.0.1]:4000", &[])
        .await
        .expect(200);
    for peer in ["127.0.0.10:4000", "127.0.0.100:4000", "203.0.113.9:4000"] {
        get_from(&app, "/metrics", peer, &[]).await.expect(403);
    }
    // A spoofed header from an outside peer changes nothing.
    for header in ["X-Real-IP", "X-Forwarded-For"] {
        get_from(
            &app,
            "/metrics",
            "203.0.113.9:4000",
            &[(header, "127.0.0.1")],
        )
        .await
        .expect(403);
    }

    let app = TestApp::with(|f| f.merge(("metrics_allow", ["10.0.0.0/8", "192.0.2.7"]))).await;
    get_from(&app, "/metrics", "10.200.3.4:1", &[])
        .await
        .expect(200);
    get_from(&app, "/metrics", "192.0.2.7:1", &[])
        .await
        .expect(200);
    for peer in ["100.0.0.1:1", "11.0.0.1:1", "192.0.2.70:1", "127.0.0.1:1"] {
        get_from(&app, "/metrics", peer, &[]).await.expect(403);
    }
}

#[rocket::async_test]
async fn a_malformed_network_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let figment = crate::common::base_figment(dir.path())
        .merge((
            "database_url",
            format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        ))
        .merge(("metrics_allow", ["10.0."]));
    match rocket::local::asynchronous::Client::untracked(academy::app(figment)).await {
        Ok(_) => panic!("a prefix like `10.0.` is not a network"),
        // Looking at the error marks it handled (Rocket panics on an unhandled one).
        Err(e) => assert!(matches!(
            e.kind(),
            rocket::error::ErrorKind::FailedFairings(_)
        )),
    }
}

#[rocket::async_test]
async fn trusted_proxies_are_believed_and_nobody_else() {
    let app = TestApp::with(|f| f.merge(("trusted_proxies", "10.0.0.0/8, 2001:db8::/32"))).await;
    // Through the proxy, the client's address is what the proxy appended.
    get_from(
        &app,
        "/metrics",
        "10.0.0.5:1",
        &[("X-Forwarded-For", "127.0.0.1")],
    )
    .await
    .expect(200);
    get_from(
        &app,
        "/metrics",
        "10.0.0.5:1",
        &[("X-Real-IP", "127.0.0.1")],
    )
    .await
    .expect(200);
    get_from(
        &app,
        "/metrics",
        "[2001:db8::1]:1",
        &[("X-Forwarded-For", "203.0.113.9")],
    )
    .await
    .expect(403);
    // A client that writes its own header in front of the proxy's is still itself.
    get_from(
        &app,
        "/metrics",
        "10.0.0.5:1",
        &[("X-Forwarded-For", "127.0.0.1, 203.0.113.9")],
    )
    .await
    .expect(403);
    // The proxy itself, without a header, is the client.
    get_from(&app, "/metrics", "10.0.0.5:1", &[])
        .await
        .expect(403);
    // Not a trusted proxy: its headers are ignored.
    get_from(
        &app,
        "/metrics",
        "203.0.113.9:1",
        &[("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1")],
    )
    .await
    .expect(403);
}

#[rocket::async_test]
async fn verify_rate_limit_holds_against_rotating_headers() {
    let app = TestApp::with(|f| {
        f.merge(("verify_rate_per_minute", 3))
            .merge(("trusted_proxies", ["10.0.0.0/8"]))
    })
    .await;
    let w: World = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let path = format!("/api/verify/{code}");
    // One peer rotating X-Real-IP and X-Forwarded-For: one allowance.
    for i in 0..3 {
        let fake = format!("198.51.100.{i}");
        get_from(
            &app,
            &path,
            "203.0.113.9:1",
            &[("X-Real-IP", &fake), ("X-Forwarded-For", &fake)],
        )
        .await
        .expect(200);
    }
    let r = get_from(
        &app,
        &path,
        "203.0.113.9:1",
        &[("X-Real-IP", "198.51.100.77")],
    )
    .await;
    assert_problem(&r, 429);
    // Another peer has its own allowance.
    get_from(&app, &path, "203.0.113.10:1", &[])
        .await
        .expect(200);
    // IPv6: one /64 is one client.
    for i in 1..=3 {
        get_from(&app, &path, &format!("[2001:db8:1:2::{i}]:1"), &[])
            .await
            .expect(200);
    }
    let r = get_from(&app, &path, "[2001:db8:1:2:ffff::9]:1", &[]).await;
    assert_problem(&r, 429);
    get_from(&app, &path, "[2001:db8:1:3::1]:1", &[])
        .await
        .expect(200);
    // Behind the trusted proxy, each forwarded client has its own allowance...
    for client in ["198.51.100.1", "198.51.100.2"] {
        for _ in 0..3 {
            get_from(&app, &path, "10.0.0.5:1", &[("X-Forwarded-For", client)])
                .await
                .expect(200);
        }
    }
    // ...and rotating a fake first hop does not buy another.
    let r = get_from(
        &app,
        &path,
        "10.0.0.5:1",
        &[("X-Forwarded-For", "192.0.2.99, 198.51.100.1")],
    )
    .await;
    assert_problem(&r, 429);
}

#[rocket::async_test]
async fn answers_with_tokens_or_personal_data_are_not_stored_by_caches() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "ana@sme-a.example", "password": crate::common::PASSWORD}),
        )
        .await
        .expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
    let r = app
        .post_anon("/api/auth/refresh", json!({ "refresh_token": refresh }))
        .await
        .expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let r = app
        .post_anon(
            "/api/auth/login",
            json!({"email": "x@y.example", "password": "nope"}),
        )
        .await;
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    for path in ["/api/me", "/api/certificates", "/api/nothing-here"] {
        let r = app.get(path, t).await;
        assert_eq!(r.header("Cache-Control"), Some("no-store"), "{path}");
    }
    // The catalogue is the same for every reader: kept by the browser only, and revalidated.
    let r = app.get("/api/courses", t).await.expect(200);
    assert_eq!(r.header("Cache-Control"), Some("private, no-cache"));
    let r = app
        .get("/api/reports/completions.csv", &w.coord_a.token)
        .await
        .expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    // A route that chose its own policy keeps it.
    complete_short_course(&app, t).await;
    let code = code_of(&app, t, "short-course").await;
    let r = app
        .get(&format!("/api/certificates/{code}/pdf"), t)
        .await
        .expect(200);
    assert_eq!(r.header("Cache-Control"), Some("private, no-store"));
    let r = app
        .get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    assert!(r.header("Cache-Control").unwrap().contains("no-store"));
    // Public answers may be cached as before.
    let r = app.get_anon("/health").await.expect(200);
    assert_eq!(r.header("Cache-Control"), None);
    let r = app.get_anon("/api/openapi.json").await.expect(200);
    assert_eq!(r.header("Cache-Control"), None);
}

#[rocket::async_test]
async fn unknown_methods_on_known_paths_are_405() {
    let app = TestApp::new().await;
    let w: World = app.world().await;
    let t = &w.learner_a.token;
    for (method, path, allow) in [
        (Method::Trace, "/api/courses", "GET, HEAD"),
        (Method::Trace, "/api/me", "GET, HEAD, PATCH"),
        (Method::Delete, "/api/me", "GET, HEAD, PATCH"),
        (Method::Put, "/api/courses/short-course", "GET, HEAD"),
        (Method::Get, "/api/auth/login", "POST"),
        (Method::Trace, "/health", "GET, HEAD"),
    ] {
        let r = app.request(method, path, Some(t), None).await;
        assert_problem(&r, 405);
        assert_eq!(r.header("Allow"), Some(allow), "{method} {path}");
        assert!(
            r.body["detail"].as_str().unwrap().contains("not allowed"),
            "{}",
            r.text
        );
    }
    // Unknown paths stay 404, whatever the method; so do unknown static files.
    for (method, path) in [
        (Method::Trace, "/api/nothing"),
        (Method::Get, "/api/courses/a/b/c/d"),
        (Method::Post, "/no-such-file.html"),
    ] {
        assert_problem(&app.request(method, path, Some(t), None).await, 404);
    }
    // HEAD on a GET route is not a 405.
    let r = app.request(Method::Head, "/health", None, None).await;
    assert_eq!(r.status.code, 200);
}

fn operations(doc: &Value) -> Vec<(String, String, Value, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.push((
                    path.clone(),
                    method.clone(),
                    op.clone(),
                    item["parameters"].clone(),
                ));
            }
        }
    }
    out
}

#[rocket::async_test]
async fn the_openapi_document_declares_auth_failures_and_path_parameters() {
    let app = TestApp::new().await;
    let doc = app.get_anon("/api/openapi.json").await.expect(200).body;
    let ops = operations(&doc);
    assert!(ops.len() > 40, "{}", ops.len());
    let mut secured = 0;
    let mut missing = Vec::new();
    for (path, method, op, item_params) in &ops {
        let needs_token = op["security"].as_array().is_some_and(|s| !s.is_empty());
        if needs_token {
            secured += 1;
            for code in ["401", "403"] {
                if op["responses"][code].is_null() {
                    missing.push(format!("{method} {path}: no {code}"));
                }
            }
        }
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(item_params.as_array().into_iter().flatten())
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap_or_default().to_string())
            .collect();
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if !declared.contains(name) {
                    missing.push(format!("{method} {path}: path parameter {name} undeclared"));
                }
            }
        }
    }
    assert!(secured > 30, "{secured}");
    assert!(missing.is_empty(), "{missing:#?}");
    // The public verification needs no token and does not pretend to answer 401.
    let verify = &doc["paths"]["/api/verify/{code}"]["get"];
    assert!(verify["responses"]["401"].is_null());
    assert_eq!(verify["parameters"][0]["name"], "code");
}
