//! Enrolment, module completion, progress and course completion.

use rocket_db_pools::Database;
use serde_json::json;

use crate::common::{assert_problem, TestApp};

#[rocket::async_test]
async fn only_learners_enrol_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let r = app
        .post(
            "/api/courses/biotech-basics/enrolment",
            &w.learner_a.token,
            json!({}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["course"], "biotech-basics");
    let at = r.body["enrolled_at"].as_str().unwrap().to_string();
    let again = app
        .post(
            "/api/courses/biotech-basics/enrolment",
            &w.learner_a.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again.body["enrolled_at"], at);
    for t in [&w.advisor.token, &w.coord_a.token, &w.admin.token] {
        assert_problem(
            &app.post("/api/courses/biotech-basics/enrolment", t, json!({}))
                .await,
            403,
        );
        // Staff can read courses and modules.
        app.get("/api/courses/biotech-basics/modules/welcome", t)
            .await
            .expect(200);
        assert_problem(
            &app.get("/api/courses/biotech-basics/progress", t).await,
            403,
        );
        assert_problem(
            &app.post(
                "/api/courses/biotech-basics/modules/welcome/completion",
                t,
                json!({}),
            )
            .await,
            403,
        );
    }
    assert_problem(
        &app.post("/api/courses/nope/enrolment", &w.learner_a.token, json!({}))
            .await,
        404,
    );
    assert_problem(
        &app.post_anon("/api/courses/biotech-basics/enrolment", json!({}))
            .await,
        401,
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enrolments")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[rocket::async_test]
async fn module_completion_needs_an_enrolment_and_a_real_module() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let done = "/api/courses/short-course/modules/intro/completion";
    assert_problem(&app.post(done, t, json!({})).await, 403);
    assert_problem(&app.get("/api/courses/short-course/progress", t).await, 404);
    app.post("/api/courses/short-course/enrolment", t, json!({}))
        .await
        .expect(201);
    assert_problem(
        &app.post(
            "/api/courses/short-course/modules/nope/completion",
            t,
            json!({}),
        )
        .await,
        404,
    );
    assert_problem(
        &app.post("/api/courses/nope/modules/intro/completion", t, json!({}))
            .await,
        404,
    );
    // A module of another course is not a module of this one.
    assert_problem(
        &app.post(
            "/api/courses/short-course/modules/welcome/completion",
            t,
            json!({}),
        )
        .await,
        404,
    );
    let p = app
        .get("/api/courses/short-course/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["modules_completed"], 0);
    assert_eq!(p.body["modules_total"], 2);
    assert!(p.body["completed_at"].is_null());
    assert!(p.body["quiz"].is_null());
    assert!(p.body["certificate_code"].is_null());

    // Only "intro" is required here: reading it completes the course, idempotently.
    app.post(done, t, json!({})).await.expect(204);
    app.post(done, t, json!({})).await.expect(204);
    let p = app
        .get("/api/courses/short-course/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["modules_completed"], 1);
    assert_eq!(p.body["completed_modules"], json!(["intro"]));
    assert_eq!(p.body["modules_missing"], json!([]));
    let completed_at = p.body["completed_at"].as_str().unwrap().to_string();
    assert!(p.body["score"].is_null());
    app.post(
        "/api/courses/short-course/modules/extra/completion",
        t,
        json!({}),
    )
    .await
    .expect(204);
    let p = app
        .get("/api/courses/short-course/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["modules_completed"], 2);
    assert_eq!(p.body["completed_at"], completed_at);

    // Someone else's progress is theirs: another learner is not enrolled.
    assert_problem(
        &app.get("/api/courses/short-course/progress", &w.learner_b.token)
            .await,
        404,
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM course_completions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

async fn course_id(app: &TestApp, slug: &str) -> i64 {
    academy::courses::course_id(app.pool(), slug).await.unwrap()
}

#[rocket::async_test]
async fn quiz_and_modules_complete_the_course_whichever_comes_last() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let course = course_id(&app, "biotech-basics").await;
    let pool = app.pool();
    let modules = ["welcome", "regulation", "wrap-up"];

    // Ana reads everything first, then passes the quiz.
    let ana = &w.learner_a;
    app.post(
        "/api/courses/biotech-basics/enrolment",
        &ana.token,
        json!({}),
    )
    .await
    .expect(201);
    for m in modules {
        app.post(
            &format!("/api/courses/biotech-basics/modules/{m}/completion"),
            &ana.token,
            json!({}),
        )
        .await
        .expect(204);
    }
    let p = app
        .get("/api/courses/biotech-basics/progress", &ana.token)
        .await
        .expect(200);
    assert!(
        p.body["completed_at"].is_null(),
        "the quiz is still required"
    );
    assert_eq!(p.body["quiz"]["passed"], false);
    let mut conn = pool.acquire().await.unwrap();
    // A failed attempt keeps the best score and completes nothing.
    let none = crate::common::record_quiz_result(&mut conn, ana.id, course, 40, false)
        .await
        .unwrap();
    assert_eq!(none, None);
    let id = crate::common::record_quiz_result(&mut conn, ana.id, course, 80, true)
        .await
        .unwrap();
    assert!(id.is_some());
    // A later, lower pass changes neither the best score nor the completion.
    let again = crate::common::record_quiz_result(&mut conn, ana.id, course, 65, true)
        .await
        .unwrap();
    assert_eq!(again, None);
    let p = app
        .get("/api/courses/biotech-basics/progress", &ana.token)
        .await
        .expect(200);
    assert_eq!(p.body["quiz"]["best_score"], 80);
    assert_eq!(p.body["quiz"]["passed"], true);
    assert_eq!(p.body["score"], 80);
    assert!(p.body["completed_at"].is_string());
    // The completion carries its certificate.
    assert!(p.body["certificate_code"]
        .as_str()
        .is_some_and(|c| c.starts_with("IBA-")));

    // Bruno passes first; the last module he reads completes the course.
    let bruno = &w.learner_a2;
    app.post(
        "/api/courses/biotech-basics/enrolment",
        &bruno.token,
        json!({}),
    )
    .await
    .expect(201);
    let none = crate::common::record_quiz_result(&mut conn, bruno.id, course, 100, true)
        .await
        .unwrap();
    assert_eq!(none, None, "modules are still unread");
    for (i, m) in modules.iter().enumerate() {
        app.post(
            &format!("/api/courses/biotech-basics/modules/{m}/completion"),
            &bruno.token,
            json!({}),
        )
        .await
        .expect(204);
        let p = app
            .get("/api/courses/biotech-basics/progress", &bruno.token)
            .await
            .expect(200);
        assert_eq!(p.body["completed_at"].is_string(), i == 2, "after {m}");
    }

    // Not enrolled: the quiz result is refused, completion is not possible.
    let err = crate::common::record_quiz_result(&mut conn, w.learner_b.id, course, 100, true).await;
    assert!(
        matches!(err, Err(academy::error::Error::NotFound(_))),
        "{err:?}"
    );
    assert_eq!(
        academy::progress::complete_if_eligible(&mut conn, w.learner_b.id, course, None)
            .await
            .unwrap(),
        None
    );
    assert!(academy::progress::is_enrolled(pool, ana.id, course)
        .await
        .unwrap());
    assert!(
        !academy::progress::is_enrolled(pool, w.learner_b.id, course)
            .await
            .unwrap()
    );
    assert_eq!(
        academy::courses::course_title(pool, course, "es")
            .await
            .unwrap(),
        "Biotecnología básica"
    );
    assert_problem(
        &app.get("/api/courses/biotech-basics/progress", &w.learner_b.token)
            .await,
        404,
    );
}

/// Many concurrent completion checks for one learner record exactly one completion.
#[rocket::async_test]
async fn concurrent_completion_is_recorded_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let course = course_id(&app, "short-course").await;
    let t = &w.learner_a.token;
    app.post("/api/courses/short-course/enrolment", t, json!({}))
        .await
        .expect(201);
    // Read the required module without triggering completion through the route.
    let module: i64 =
        sqlx::query_scalar("SELECT id FROM course_modules WHERE course_id = $1 AND slug = 'intro'")
            .bind(course)
            .fetch_one(app.pool())
            .await
            .unwrap();
    sqlx::query("INSERT INTO module_completions (user_id, course_id, module_id, completed_at) VALUES ($1, $2, $3, 0)")
        .bind(w.learner_a.id)
        .bind(course)
        .bind(module)
        .execute(app.pool())
        .await
        .unwrap();
    let pool = academy::db::Db::fetch(app.client.rocket())
        .unwrap()
        .pool
        .clone();
    let user = w.learner_a.id;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut conn = pool.acquire().await.unwrap();
                academy::progress::complete_if_eligible(&mut conn, user, course, None).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().is_some() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM course_completions WHERE user_id = $1")
        .bind(user)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}
