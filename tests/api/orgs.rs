use serde_json::json;

use crate::common::{assert_problem, TestApp};

#[rocket::async_test]
async fn admin_manages_partners_and_smes() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let a = &w.admin.token;
    let p = app
        .post(
            "/api/partners",
            a,
            json!({"name": "BioGalicia", "country": "ES", "region": "Galicia"}),
        )
        .await
        .expect(201);
    let pid = p.body["id"].as_i64().unwrap();
    assert_problem(
        &app.post(
            "/api/partners",
            a,
            json!({"name": "BioGalicia", "country": "ES", "region": "Galicia"}),
        )
        .await,
        409,
    );
    let bad = app
        .post(
            "/api/partners",
            a,
            json!({"name": " ", "country": "FR", "region": "x"}),
        )
        .await;
    assert_problem(&bad, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/partners", a).await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let s = app
        .post("/api/smes", a, json!({"name": "Célula SL", "country": "ES", "region": "Galicia", "sector": "Cell therapy", "partner_id": pid}))
        .await
        .expect(201);
    assert_eq!(s.body["partner_name"], "BioGalicia");
    let missing = app
        .post(
            "/api/smes",
            a,
            json!({"name": "X", "country": "ES", "region": "R", "sector": "S"}),
        )
        .await;
    assert_problem(&missing, 422);
    let nope = app
        .post(
            "/api/smes",
            a,
            json!({"name": "X", "country": "ES", "region": "R", "sector": "S", "partner_id": 9999}),
        )
        .await;
    assert_problem(&nope, 422);
}

#[rocket::async_test]
async fn role_boundaries_of_organisation_routes() {
    let app = TestApp::new().await;
    let w = app.world().await;
    for t in [&w.coord_a.token, &w.learner_a.token, &w.advisor.token] {
        assert_problem(&app.get("/api/partners", t).await, 403);
        assert_problem(
            &app.post(
                "/api/partners",
                t,
                json!({"name": "X", "country": "ES", "region": "R"}),
            )
            .await,
            403,
        );
    }
    for t in [&w.learner_a.token, &w.advisor.token] {
        assert_problem(&app.get("/api/smes", t).await, 403);
        assert_problem(&app.get("/api/users", t).await, 403);
        assert_problem(&app.get(&format!("/api/smes/{}", w.sme_a), t).await, 403);
    }
}

#[rocket::async_test]
async fn coordinators_see_only_their_partner() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let c = &w.coord_a.token;
    let list = app.get("/api/smes", c).await.expect(200);
    let ids: Vec<i64> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [w.sme_a]);
    app.get(&format!("/api/smes/{}", w.sme_a), c)
        .await
        .expect(200);
    assert_problem(&app.get(&format!("/api/smes/{}", w.sme_b), c).await, 404);
    assert_problem(&app.get("/api/smes/999999", c).await, 404);
    assert_problem(&app.get("/api/smes/not-a-number", c).await, 404);

    // Creating an SME lands in the coordinator's own partner; another partner is a 404.
    let s = app
        .post(
            "/api/smes",
            c,
            json!({"name": "New SL", "country": "ES", "region": "R", "sector": "S"}),
        )
        .await
        .expect(201);
    assert_eq!(s.body["partner_id"], w.partner_a);
    assert_problem(&app.post("/api/smes", c, json!({"name": "N", "country": "ES", "region": "R", "sector": "S", "partner_id": w.partner_b})).await, 404);

    // Users: the coordinator sees learners of own SMEs only.
    let users = app.get("/api/users", c).await.expect(200);
    let emails: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ana@sme-a.example", "bruno@sme-a.example"]);
    let all = app.get("/api/users", &w.admin.token).await.expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 8);
}

#[rocket::async_test]
async fn user_creation_rules() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let c = &w.coord_a.token;
    let learner = json!({"email": "Nuria@SME-A.example", "name": "Núria Puig", "role": "learner", "password": "long enough password", "sme_id": w.sme_a, "locale": "es"});
    let r = app.post("/api/users", c, learner.clone()).await.expect(201);
    assert_eq!(r.body["email"], "nuria@sme-a.example");
    assert_eq!(r.body["partner_id"], w.partner_a);
    assert!(r.body.get("password").is_none() && r.body.get("password_hash").is_none());

    // Same email in another case: 409.
    let mut dup = learner.clone();
    dup["email"] = json!("NURIA@sme-a.example");
    assert_problem(&app.post("/api/users", &w.admin.token, dup).await, 409);

    // Coordinators: other partner's SME is a 404, other roles a 403.
    let mut other = learner.clone();
    other["email"] = json!("x@sme-b.example");
    other["sme_id"] = json!(w.sme_b);
    assert_problem(&app.post("/api/users", c, other).await, 404);
    let mut coord = learner.clone();
    coord["email"] = json!("y@hub.example");
    coord["role"] = json!("admin");
    assert_problem(&app.post("/api/users", c, coord).await, 403);

    // Validation names every bad field.
    let bad = app
        .post("/api/users", &w.admin.token, json!({"email": "nope", "name": "", "role": "wizard", "password": "short", "locale": "de", "time_zone": "Nowhere/Land"}))
        .await;
    assert_problem(&bad, 422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["email", "name", "role", "password", "locale", "time_zone"]
    );
    let no_sme = app.post("/api/users", &w.admin.token, json!({"email": "z@a.example", "name": "Z", "role": "learner", "password": "long enough password"})).await;
    assert_problem(&no_sme, 422);
    assert_eq!(no_sme.body["errors"][0]["field"], "sme_id");
    let no_partner = app.post("/api/users", &w.admin.token, json!({"email": "z@a.example", "name": "Z", "role": "coordinator", "password": "long enough password"})).await;
    assert_eq!(no_partner.body["errors"][0]["field"], "partner_id");

    // Admins create any role; the new user can log in.
    app.post("/api/users", &w.admin.token, json!({"email": "adv@hub.example", "name": "New Advisor", "role": "advisor", "password": "long enough password", "time_zone": "Atlantic/Canary"})).await.expect(201);
    app.post_anon(
        "/api/auth/login",
        json!({"email": "adv@hub.example", "password": "long enough password"}),
    )
    .await
    .expect(200);
}

#[rocket::async_test]
async fn smes_page_in_name_order_without_gaps_or_repeats() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // Names that tie, differ only in case or accents, and sort before and after the world's.
    for name in [
        "Ñu Bio", "Alfa SL", "alfa SL", "Alfa SL", "Zeta Bio", "Ómicron", "Beta",
    ] {
        app.sme(name, w.partner_a).await;
    }
    let a = &w.admin.token;
    let all = app.get("/api/smes", a).await.expect(200);
    assert!(all.body["next_cursor"].is_null());
    let every: Vec<i64> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert!(every.len() >= 9, "{}", all.text);
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let path = match &cursor {
            Some(c) => format!("/api/smes?limit=2&cursor={c}"),
            None => "/api/smes?limit=2".to_string(),
        };
        let page = app.get(&path, a).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(|s| s["id"].as_i64().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        paged, every,
        "pages put together are the whole list, in its order"
    );
    // A coordinator's pages hold their partner's SMEs only.
    let coordinator = app
        .get("/api/smes?limit=500", &w.coord_b.token)
        .await
        .expect(200);
    assert!(coordinator.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["partner_id"] == w.partner_b));
    for bad in ["x", "1.%25%25", "abc.QUJD", "1.gA"] {
        assert_problem(&app.get(&format!("/api/smes?cursor={bad}"), a).await, 422);
    }
    app.get("/api/smes?limit=0", a).await.expect(200);
}
