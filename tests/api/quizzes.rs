//! Quiz attempts: start, reload, save, submit, deadlines, limits, leakage, completion.
//!
//! The fixture course `quiz-lab` has one question of every kind, with answers that are easy to
//! spot in a JSON body (`ZEBRA-Office`, `4242`, `EXPLANATION-`, `FEEDBACK-`).

use std::collections::HashSet;

use futures::future::join_all;
use serde_json::{json, Map, Value};

use crate::common::{assert_problem, repo_path, TestApp, TestUser, World};

const START: &str = "/api/courses/quiz-lab/quiz/attempts";

async fn setup() -> (TestApp, World) {
    let app = TestApp::new().await;
    let w = app.world().await;
    for t in [&w.learner_a.token, &w.learner_a2.token] {
        let r = app
            .post("/api/courses/quiz-lab/enrolment", t, json!({}))
            .await;
        assert!(r.status.code == 201 || r.status.code == 200, "{}", r.text);
    }
    (app, w)
}

/// Change the stored quiz definition (the JSON the import wrote). Its hash is cleared, as in a
/// database upgraded from before `courses.quiz_hash`: a start then identifies the definition
/// by hashing it.
async fn edit_quiz(app: &TestApp, f: impl FnOnce(&mut Value)) {
    let (text,): (String,) = sqlx::query_as("SELECT quiz_json FROM courses WHERE slug = $1")
        .bind("quiz-lab")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let mut def: Value = serde_json::from_str(&text).unwrap();
    f(&mut def);
    sqlx::query("UPDATE courses SET quiz_json = $1, quiz_hash = NULL WHERE slug = $2")
        .bind(def.to_string())
        .bind("quiz-lab")
        .execute(app.pool())
        .await
        .unwrap();
}

/// `n` new learners of SME A (`{prefix}{i}@sme-a.example`), each enrolled in `quiz-lab`.
async fn enrolled_learners(app: &TestApp, w: &World, prefix: &str, n: usize) -> Vec<TestUser> {
    let mut learners = Vec::new();
    for i in 0..n {
        let u = app
            .user(
                &format!("{prefix}{i}@sme-a.example"),
                "Class learner",
                academy::auth::Role::Learner,
                Some(w.sme_a),
                None,
            )
            .await;
        app.post("/api/courses/quiz-lab/enrolment", &u.token, json!({}))
            .await
            .expect(201);
        learners.push(u);
    }
    learners
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(app.pool()).await.unwrap();
    n
}

/// The right answer to every question shown in `attempt`.
fn right_answers(attempt: &Value) -> Value {
    let mut out = Map::new();
    for q in attempt["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        let answer = match id {
            "q-single" => json!(["s-right"]),
            "q-multiple" => json!(["m-right2", "m-right1"]),
            "q-tf" => json!(false),
            "q-text" => json!("  zebra-office "),
            "q-numeric" => json!(4243.5),
            "q-match" => {
                let right = |label: &str| -> Value {
                    q["right"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| {
                            let l = r["label"].as_str().unwrap();
                            l == label || l.starts_with(&label[..5])
                        })
                        .map(|r| r["id"].clone())
                        .unwrap()
                };
                json!({
                    "p-licence": right("Permission to use"),
                    "p-patent": right("Exclusive right"),
                    "p-royalty": right("Share of sales"),
                })
            }
            other => panic!("unexpected question {other}"),
        };
        out.insert(id.to_string(), answer);
    }
    Value::Object(out)
}

/// Wrong answers that contain none of the correct values.
fn wrong_answers(attempt: &Value) -> Value {
    let mut out = Map::new();
    for q in attempt["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        let answer = match id {
            "q-single" => json!(["s-wrong1"]),
            "q-multiple" => json!(["m-wrong"]),
            "q-tf" => json!(true),
            "q-text" => json!("no idea"),
            "q-numeric" => json!(7),
            "q-match" => json!({}),
            _ => continue,
        };
        out.insert(id.to_string(), answer);
    }
    Value::Object(out)
}

/// Nothing in `v` gives away an answer: no answer keys, no accepted text, no numeric answer,
/// no explanation or option feedback, no correct option in a result.
#[track_caller]
fn assert_no_answers(v: &Value) {
    let text = v.to_string();
    for needle in [
        "ZEBRA",
        "Zebra",
        "zebra",
        "4242",
        "EXPLANATION",
        "EXPLICACION",
        "FEEDBACK",
        "\"correct_answer\"",
        "\"explanation",
        "\"accepted\"",
        "\"tolerance\"",
        "\"answer\"",
        "\"feedback_html\"",
    ] {
        assert!(!text.contains(needle), "{needle} leaked in {text}");
    }
    fn walk(v: &Value) {
        match v {
            Value::Object(m) => {
                assert!(
                    !m.contains_key("correct") || !m.contains_key("label"),
                    "an option carries `correct`: {v}"
                );
                assert!(!m.contains_key("pairs"), "pairs leaked: {v}");
                m.values().for_each(walk);
            }
            Value::Array(a) => a.iter().for_each(walk),
            _ => {}
        }
    }
    walk(v);
    // Matching right sides are not named after their pairs.
    for q in v["questions"].as_array().into_iter().flatten() {
        for r in q["right"].as_array().into_iter().flatten() {
            assert!(!r["id"].as_str().unwrap().starts_with("p-"), "{r}");
        }
    }
}

#[rocket::async_test]
async fn starting_shows_questions_without_answers_and_a_reload_shows_the_same_attempt() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    assert_no_answers(&a.body);
    let qs = a.body["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 6);
    let kinds: HashSet<&str> = qs.iter().map(|q| q["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert_eq!(a.body["status"], "open");
    assert_eq!(a.body["attempt_no"], 1);
    assert!(a.body["deadline"].is_string());
    let single = qs.iter().find(|q| q["id"] == "q-single").unwrap();
    assert_eq!(
        single["prompt_html"],
        "How long does a <strong>patent</strong> last?"
    );
    assert_eq!(single["options"].as_array().unwrap().len(), 3);
    let matching = qs.iter().find(|q| q["id"] == "q-match").unwrap();
    assert_eq!(matching["left"].as_array().unwrap().len(), 3);
    assert_eq!(matching["right"].as_array().unwrap().len(), 3);

    let id = a.body["id"].as_i64().unwrap();
    let again = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(
        again.body["questions"], a.body["questions"],
        "the order is stable on reload"
    );
    // The start answers from what it wrote (no read back): exactly what a reload reads.
    let mut started = a.body.clone();
    let mut read = again.body.clone();
    for v in [&mut started, &mut read] {
        v.as_object_mut().unwrap().remove("time_left_seconds");
    }
    assert_eq!(started, read);
    // Starting again while the attempt is open returns it, order and all.
    let restart = app.post(START, t, json!({})).await.expect(200);
    assert_eq!(restart.body["id"], id);
    assert_eq!(restart.body["questions"], a.body["questions"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quiz_attempts").await, 1);

    // Another language, same attempt.
    let es = app
        .get(&format!("/api/quiz-attempts/{id}?lang=es"), t)
        .await
        .expect(200);
    assert_eq!(es.body["language"], "es");
    let ids = |v: &Value| -> Vec<Value> {
        v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].clone())
            .collect()
    };
    assert_eq!(ids(&es.body), ids(&a.body));
    assert!(
        es.text
            .contains("¿Cuánto dura una <strong>patente</strong>?"),
        "{}",
        es.text
    );
    assert_problem(
        &app.get(&format!("/api/quiz-attempts/{id}?lang=fr"), t)
            .await,
        422,
    );
}

#[rocket::async_test]
async fn shuffling_differs_between_attempts_but_not_within_one() {
    let (app, w) = setup().await;
    edit_quiz(&app, |d| d["max_attempts"] = json!(20)).await;
    let t = &w.learner_a.token;
    let mut orders = HashSet::new();
    for _ in 0..6 {
        let a = app.post(START, t, json!({})).await.expect(201);
        let id = a.body["id"].as_i64().unwrap();
        let g = app
            .get(&format!("/api/quiz-attempts/{id}"), t)
            .await
            .expect(200);
        assert_eq!(g.body["questions"], a.body["questions"]);
        orders.insert(a.body["questions"].to_string());
        app.post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    }
    assert!(
        orders.len() > 1,
        "six attempts, one order: shuffling is off"
    );
}

#[rocket::async_test]
async fn full_marks_pass_and_reveal_the_answers() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": right_answers(&a.body)}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["score"], 100, "{}", r.text);
    assert_eq!(r.body["passed"], true);
    assert_eq!(r.body["late"], false);
    assert_eq!(r.body["answers_revealed"], true);
    // Modules are not read: passing alone does not complete the course.
    assert_eq!(r.body["course_completed"], false);
    let fb = r.body["feedback"].as_array().unwrap();
    assert_eq!(fb.len(), 6);
    assert!(fb
        .iter()
        .all(|f| f["correct"] == true && f["points"] == 1.0));
    let single = fb.iter().find(|f| f["question_id"] == "q-single").unwrap();
    assert_eq!(single["correct_answer"], json!(["s-right"]));
    assert_eq!(single["feedback_html"], json!(["FEEDBACK-single-right"]));
    assert!(single["explanation_html"]
        .as_str()
        .unwrap()
        .starts_with("EXPLANATION-single"));
    let text = fb.iter().find(|f| f["question_id"] == "q-text").unwrap();
    assert_eq!(
        text["correct_answer"],
        json!(["ZEBRA-Office", "Zebra Bureau"])
    );

    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "submitted");
    assert_eq!(g.body["result"]["score"], 100);
    assert_eq!(g.body["result"]["feedback"], r.body["feedback"]);
}

#[rocket::async_test]
async fn nothing_leaks_before_the_review_policy_allows_it() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    // after_passing: a failed attempt shows which questions were right, nothing more.
    let a = app.post(START, t, json!({})).await.expect(201);
    assert_no_answers(&a.body);
    let id = a.body["id"].as_i64().unwrap();
    let wrong = wrong_answers(&a.body);
    let saved = app
        .put(
            &format!("/api/quiz-attempts/{id}/answers"),
            t,
            json!({"answers": wrong}),
        )
        .await
        .expect(200);
    assert_no_answers(&saved.body);
    assert_no_answers(
        &app.get(&format!("/api/quiz-attempts/{id}"), t)
            .await
            .expect(200)
            .body,
    );
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["score"], 0, "{}", r.text);
    assert_eq!(r.body["passed"], false);
    assert_eq!(r.body["answers_revealed"], false);
    assert_no_answers(&r.body);
    assert!(r.body["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["correct"] == false));
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_no_answers(&g.body);

    // Once passed, the review of the earlier attempt opens too.
    let b = app.post(START, t, json!({})).await.expect(201);
    assert_no_answers(&b.body);
    let bid = b.body["id"].as_i64().unwrap();
    app.post(
        &format!("/api/quiz-attempts/{bid}/submission"),
        t,
        json!({"answers": right_answers(&b.body)}),
    )
    .await
    .expect(200);
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["result"]["answers_revealed"], true);
    assert!(g.text.contains("EXPLANATION-single"));
    // The wrong option chosen gets its feedback.
    assert!(g.text.contains("FEEDBACK-single-wrong1"));

    // A later attempt that fails is reviewed in full at once: the learner passed before.
    let c = app.post(START, t, json!({})).await.expect(201);
    assert_no_answers(&c.body);
    let cid = c.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{cid}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["passed"], false);
    assert_eq!(r.body["answers_revealed"], true, "{}", r.text);
    assert!(r.text.contains("EXPLANATION-single"), "{}", r.text);
    // Another learner's pass opens nothing for this one.
    let t2 = &w.learner_a2.token;
    let d = app.post(START, t2, json!({})).await.expect(201);
    let did = d.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{did}/submission"),
            t2,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["answers_revealed"], false, "{}", r.text);
    assert_no_answers(&r.body);
}

#[rocket::async_test]
async fn never_means_never_and_after_each_attempt_means_after_each() {
    let (app, w) = setup().await;
    edit_quiz(&app, |d| d["show_answers"] = json!("never")).await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": right_answers(&a.body)}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["passed"], true);
    assert_eq!(r.body["answers_revealed"], false);
    assert!(
        !r.text.contains("correct_answer") && !r.text.contains("EXPLANATION"),
        "{}",
        r.text
    );

    let t2 = &w.learner_a2.token;
    edit_quiz(&app, |d| d["show_answers"] = json!("after_each_attempt")).await;
    let b = app.post(START, t2, json!({})).await.expect(201);
    let bid = b.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{bid}/submission"),
            t2,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["passed"], false);
    assert_eq!(r.body["answers_revealed"], true);
    assert!(
        r.text.contains("4242") && r.text.contains("ZEBRA-Office"),
        "{}",
        r.text
    );
}

#[rocket::async_test]
async fn partial_credit_and_the_floor_of_the_percentage() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let mut answers = right_answers(&a.body);
    // Half of the multiple-choice question, a third of the matching one wrong (2 of 3 right
    // would need a swap; leaving one out gives 2/3).
    answers["q-multiple"] = json!(["m-right1"]);
    answers["q-match"]
        .as_object_mut()
        .unwrap()
        .remove("p-royalty");
    answers["q-numeric"] = json!("4243,5"); // decimal comma, within tolerance 2
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": answers}),
        )
        .await
        .expect(200);
    // (4 + 0.5 + 2/3) / 6 = 86.1%
    assert_eq!(r.body["score"], 86, "{}", r.text);
    let fb = r.body["feedback"].as_array().unwrap();
    let multi = fb
        .iter()
        .find(|f| f["question_id"] == "q-multiple")
        .unwrap();
    assert_eq!(multi["points"], 0.5);
    assert_eq!(multi["correct"], false);
}

#[rocket::async_test]
async fn answers_are_saved_during_the_attempt_and_checked() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let path = format!("/api/quiz-attempts/{id}/answers");
    let r = app
        .put(
            &path,
            t,
            json!({"answers": {"q-single": ["s-right"], "q-text": "abc"}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["answers"]["q-single"], json!(["s-right"]));
    // Merged, and null clears an answer.
    let r = app
        .put(
            &path,
            t,
            json!({"answers": {"q-tf": false, "q-text": null}}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["answers"],
        json!({"q-single": ["s-right"], "q-tf": false})
    );
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(
        g.body["answers"],
        json!({"q-single": ["s-right"], "q-tf": false})
    );
    assert!(g.body["answers_saved_at"].is_string());

    for bad in [
        json!({"q-nope": true}),
        json!({"q-single": ["zz"]}),
        json!({"q-single": true}),
        json!({"q-multiple": "m-right1"}),
        json!({"q-tf": "false"}),
        json!({"q-numeric": "many"}),
        json!({"q-text": 3}),
        json!({"q-match": {"p-licence": "p-licence"}}),
        json!({"q-match": {"p-unknown": "r1"}}),
        json!({"q-match": ["r1"]}),
    ] {
        let r = app.put(&path, t, json!({"answers": bad.clone()})).await;
        assert_problem(&r, 422);
        let field = r.body["errors"][0]["field"].as_str().unwrap().to_string();
        assert!(field.starts_with("answers.q-"), "{bad}: {}", r.text);
    }
    assert_problem(&app.put(&path, t, json!({"answer": {}})).await, 422);
    // Nothing of the refused bodies was kept.
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(
        g.body["answers"],
        json!({"q-single": ["s-right"], "q-tf": false})
    );

    // Submission grades saved answers merged with those sent.
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {"q-numeric": 4242}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["score"], 50, "{}", r.text);
    // Saving after submission is refused.
    assert_problem(
        &app.put(&path, t, json!({"answers": {"q-tf": true}})).await,
        409,
    );
}

#[rocket::async_test]
async fn submitting_twice_is_a_conflict_even_at_the_same_moment() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let path = format!("/api/quiz-attempts/{id}/submission");
    let body = json!({"answers": right_answers(&a.body)});
    let results = join_all((0..8).map(|_| app.post(&path, t, body.clone()))).await;
    let ok = results.iter().filter(|r| r.status.code == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results.iter().map(|r| r.status.code).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status.code != 200) {
        assert_problem(r, 409);
    }
    assert_problem(&app.post(&path, t, body).await, 409);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM quiz_attempts WHERE status = 'submitted'"
        )
        .await,
        1
    );
}

#[rocket::async_test]
async fn another_learners_attempt_is_not_found() {
    let (app, w) = setup().await;
    let a = app
        .post(START, &w.learner_a.token, json!({}))
        .await
        .expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let other = &w.learner_a2.token;
    assert_problem(
        &app.get(&format!("/api/quiz-attempts/{id}"), other).await,
        404,
    );
    assert_problem(
        &app.put(
            &format!("/api/quiz-attempts/{id}/answers"),
            other,
            json!({"answers": {}}),
        )
        .await,
        404,
    );
    assert_problem(
        &app.post(
            &format!("/api/quiz-attempts/{id}/submission"),
            other,
            json!({"answers": {}}),
        )
        .await,
        404,
    );
    assert_problem(
        &app.get("/api/quiz-attempts/999999", &w.learner_a.token)
            .await,
        404,
    );
    // Staff are not learners; the attempt is untouched.
    assert_problem(
        &app.get(&format!("/api/quiz-attempts/{id}"), &w.admin.token)
            .await,
        403,
    );
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "open");
}

#[rocket::async_test]
async fn starting_needs_an_enrolment_and_a_quiz() {
    let (app, w) = setup().await;
    // learner_b is not enrolled.
    assert_problem(&app.post(START, &w.learner_b.token, json!({})).await, 403);
    assert_problem(
        &app.post(
            "/api/courses/nope/quiz/attempts",
            &w.learner_a.token,
            json!({}),
        )
        .await,
        404,
    );
    app.post(
        "/api/courses/short-course/enrolment",
        &w.learner_a.token,
        json!({}),
    )
    .await;
    assert_problem(
        &app.post(
            "/api/courses/short-course/quiz/attempts",
            &w.learner_a.token,
            json!({}),
        )
        .await,
        404,
    );
    assert_problem(&app.post(START, &w.advisor.token, json!({})).await, 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quiz_attempts").await, 0);
}

#[rocket::async_test]
async fn the_attempt_limit_holds() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    for n in 1..=3 {
        let a = app.post(START, t, json!({})).await.expect(201);
        assert_eq!(a.body["attempt_no"], n);
        let id = a.body["id"].as_i64().unwrap();
        app.post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    }
    let r = app.post(START, t, json!({})).await;
    assert_problem(&r, 409);
    assert!(r.body["code"] == "quiz.no_attempts_left", "{}", r.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quiz_attempts").await, 3);
}

#[rocket::async_test]
async fn twenty_concurrent_starts_open_one_attempt() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let results = join_all((0..20).map(|_| app.post(START, t, json!({})))).await;
    let codes: Vec<u16> = results.iter().map(|r| r.status.code).collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 19, "{codes:?}");
    let ids: HashSet<i64> = results
        .iter()
        .map(|r| r.body["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let first = &results[0].body["questions"];
    assert!(results.iter().all(|r| &r.body["questions"] == first));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quiz_attempts").await, 1);
}

#[rocket::async_test]
async fn twenty_concurrent_start_and_submit_loops_never_exceed_the_limit() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let run = || async {
        let mut created = 0;
        for _ in 0..3 {
            let a = app.post(START, t, json!({})).await;
            match a.status.code {
                201 | 200 => {
                    created += usize::from(a.status.code == 201);
                    let id = a.body["id"].as_i64().unwrap();
                    let s = app
                        .post(
                            &format!("/api/quiz-attempts/{id}/submission"),
                            t,
                            json!({"answers": {}}),
                        )
                        .await;
                    assert!(s.status.code == 200 || s.status.code == 409, "{}", s.text);
                }
                409 => {}
                _ => panic!("unexpected {}", a.text),
            }
        }
        created
    };
    let created: usize = join_all((0..20).map(|_| run())).await.into_iter().sum();
    let rows = count(&app, "SELECT COUNT(*) FROM quiz_attempts").await;
    assert!(rows <= 3, "{rows} attempts for a limit of 3");
    assert_eq!(created as i64, rows, "every 201 is one row");
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT attempt_no) FROM quiz_attempts").await,
        rows
    );
    // And the limit still answers 409 afterwards when it is reached.
    if rows == 3 {
        assert_problem(&app.post(START, t, json!({})).await, 409);
    }
}

/// Move an attempt's deadline into the past.
async fn expire(app: &TestApp, id: i64) {
    let past = academy::clock::now() - 120;
    sqlx::query("UPDATE quiz_attempts SET started_at = $1, deadline = $2 WHERE id = $3")
        .bind(past - 600)
        .bind(past)
        .bind(id)
        .execute(app.pool())
        .await
        .unwrap();
}

#[rocket::async_test]
async fn a_late_submission_is_graded_on_what_was_saved_in_time() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let right = right_answers(&a.body);
    app.put(
        &format!("/api/quiz-attempts/{id}/answers"),
        t,
        json!({"answers": {"q-single": right["q-single"], "q-tf": false, "q-text": right["q-text"]}}),
    )
    .await
    .expect(200);
    expire(&app, id).await;
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "open");
    assert_eq!(g.body["time_left_seconds"], 0);
    // Saving after the deadline is refused.
    assert_problem(
        &app.put(
            &format!("/api/quiz-attempts/{id}/answers"),
            t,
            json!({"answers": {"q-numeric": 4242}}),
        )
        .await,
        409,
    );
    // Everything right, but late: only the three saved answers count.
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": right}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["score"], 50, "{}", r.text);
    assert_eq!(r.body["late"], true);
    assert_eq!(r.body["passed"], false);
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "late");
    assert_problem(
        &app.post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await,
        409,
    );
}

#[rocket::async_test]
async fn a_quiz_that_refuses_late_submissions_refuses_them() {
    let (app, w) = setup().await;
    edit_quiz(&app, |d| d["late_submission"] = json!("refuse")).await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    app.put(
        &format!("/api/quiz-attempts/{id}/answers"),
        t,
        json!({"answers": right_answers(&a.body)}),
    )
    .await
    .expect(200);
    expire(&app, id).await;
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": right_answers(&a.body)}),
        )
        .await;
    assert_problem(&r, 409);
    assert!(
        r.body["detail"].as_str().unwrap().contains("time limit"),
        "{}",
        r.text
    );
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "expired");
    assert_eq!(g.body["result"]["score"], 0);
    assert_eq!(g.body["result"]["passed"], false);
}

#[rocket::async_test]
async fn an_expired_open_attempt_is_closed_when_the_next_one_starts() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    app.put(
        &format!("/api/quiz-attempts/{id}/answers"),
        t,
        json!({"answers": right_answers(&a.body)}),
    )
    .await
    .expect(200);
    expire(&app, id).await;
    let b = app.post(START, t, json!({})).await.expect(201);
    assert_ne!(b.body["id"], a.body["id"]);
    assert_eq!(b.body["attempt_no"], 2);
    let g = app
        .get(&format!("/api/quiz-attempts/{id}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["status"], "late");
    assert_eq!(
        g.body["result"]["score"], 100,
        "saved in time, so it counts"
    );
}

#[rocket::async_test]
async fn passing_with_every_module_read_completes_the_course_once() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    for m in ["patents", "licensing"] {
        let r = app
            .post(
                &format!("/api/courses/quiz-lab/modules/{m}/completion"),
                t,
                json!({}),
            )
            .await;
        assert_eq!(r.status.code, 204, "{}", r.text);
    }
    // A failed attempt completes nothing.
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["course_completed"], false);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        0
    );

    let b = app.post(START, t, json!({})).await.expect(201);
    let bid = b.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{bid}/submission"),
            t,
            json!({"answers": right_answers(&b.body)}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["passed"], true);
    assert_eq!(r.body["course_completed"], true, "{}", r.text);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        1
    );
    let p = app
        .get("/api/courses/quiz-lab/progress", t)
        .await
        .expect(200);
    assert!(p.body["completed_at"].is_string(), "{}", p.text);
    assert_eq!(p.body["quiz"]["best_score"], 100, "{}", p.text);

    // Passing again neither completes it again nor lowers the best score.
    let c = app.post(START, t, json!({})).await.expect(201);
    let cid = c.body["id"].as_i64().unwrap();
    let mut answers = right_answers(&c.body);
    answers["q-tf"] = json!(true);
    let r = app
        .post(
            &format!("/api/quiz-attempts/{cid}/submission"),
            t,
            json!({"answers": answers}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["passed"], true);
    assert_eq!(r.body["course_completed"], false);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        1
    );
    let p = app
        .get("/api/courses/quiz-lab/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["quiz"]["best_score"], 100, "{}", p.text);
    let g = app
        .get(&format!("/api/quiz-attempts/{bid}"), t)
        .await
        .expect(200);
    assert_eq!(g.body["result"]["course_completed"], true);
}

#[rocket::async_test]
async fn a_drawn_quiz_shows_and_grades_only_the_drawn_questions() {
    let (app, w) = setup().await;
    edit_quiz(&app, |d| d["draw"] = json!(3)).await;
    let t = &w.learner_a.token;
    let a = app.post(START, t, json!({})).await.expect(201);
    assert_eq!(a.body["questions"].as_array().unwrap().len(), 3);
    let id = a.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/api/quiz-attempts/{id}/submission"),
            t,
            json!({"answers": right_answers(&a.body)}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["score"], 100, "{}", r.text);
    assert_eq!(r.body["feedback"].as_array().unwrap().len(), 3);
    // A question that was not drawn cannot be answered.
    let b = app.post(START, t, json!({})).await.expect(201);
    let shown: HashSet<&str> = b.body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    let missing = [
        "q-single",
        "q-multiple",
        "q-tf",
        "q-text",
        "q-numeric",
        "q-match",
    ]
    .into_iter()
    .find(|q| !shown.contains(q))
    .unwrap();
    let bid = b.body["id"].as_i64().unwrap();
    assert_problem(
        &app.put(
            &format!("/api/quiz-attempts/{bid}/answers"),
            t,
            json!({"answers": {missing: true}}),
        )
        .await,
        422,
    );
}

#[rocket::async_test]
async fn another_device_finds_the_open_attempt_and_its_saved_answers() {
    let (app, w) = setup().await;
    let phone = &w.learner_a.token;
    let progress = "/api/courses/quiz-lab/progress";
    let before = app.get(progress, phone).await.expect(200);
    assert!(
        before.body["quiz"]["open_attempt_id"].is_null(),
        "{}",
        before.text
    );
    let a = app.post(START, phone, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    app.put(
        &format!("/api/quiz-attempts/{id}/answers"),
        phone,
        json!({"answers": {"q-single": ["s-right"]}}),
    )
    .await
    .expect(200);
    // The laptop: another session of the same learner, nothing in its browser.
    let (laptop, _) = app.session_for(w.learner_a.id).await;
    let seen = app.get(progress, &laptop).await.expect(200);
    assert_eq!(seen.body["quiz"]["open_attempt_id"].as_i64(), Some(id));
    assert_eq!(seen.body["quiz"]["attempts_used"], 1);
    let resumed = app
        .get(&format!("/api/quiz-attempts/{id}"), &laptop)
        .await
        .expect(200);
    assert_eq!(resumed.body["answers"]["q-single"], json!(["s-right"]));
    // Another learner's progress does not show it; once submitted, nothing is open.
    let other = app.get(progress, &w.learner_a2.token).await.expect(200);
    assert!(other.body["quiz"]["open_attempt_id"].is_null());
    app.post(
        &format!("/api/quiz-attempts/{id}/submission"),
        &laptop,
        json!({"answers": {}}),
    )
    .await
    .expect(200);
    let after = app.get(progress, phone).await.expect(200);
    assert!(
        after.body["quiz"]["open_attempt_id"].is_null(),
        "{}",
        after.text
    );
}

/// Each step of an attempt runs on the one connection it holds: with a pool of one, a step
/// that asked the pool for a second connection would wait for itself until the acquire
/// timeout. Every step here must answer at once.
#[rocket::async_test]
async fn every_step_of_an_attempt_runs_on_a_pool_of_one_connection() {
    let app = TestApp::with(|f| f.merge(("database_max_connections", 1))).await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let quick = std::time::Duration::from_secs(5);
    let step = |what: &'static str| move |_| panic!("{what} waited for a second connection");
    app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
        .await
        .expect(201);
    for round in 0..2 {
        let a = tokio::time::timeout(quick, app.post(START, t, json!({})))
            .await
            .unwrap_or_else(step("start"))
            .expect(201);
        let id = a.body["id"].as_i64().unwrap();
        let path = format!("/api/quiz-attempts/{id}");
        tokio::time::timeout(
            quick,
            app.put(&format!("{path}/answers"), t, json!({"answers": {}})),
        )
        .await
        .unwrap_or_else(step("save"))
        .expect(200);
        tokio::time::timeout(quick, app.get(&path, t))
            .await
            .unwrap_or_else(step("read"))
            .expect(200);
        let answers = if round == 0 {
            json!({})
        } else {
            right_answers(&a.body)
        };
        let r = tokio::time::timeout(
            quick,
            app.post(
                &format!("{path}/submission"),
                t,
                json!({ "answers": answers }),
            ),
        )
        .await
        .unwrap_or_else(step("submit"))
        .expect(200);
        assert_eq!(r.body["passed"], round == 1, "{}", r.text);
        // The review of a submitted attempt reads whether any attempt passed.
        tokio::time::timeout(quick, app.get(&path, t))
            .await
            .unwrap_or_else(step("review"))
            .expect(200);
    }
}

/// A shared request connection goes back to the pool when the handler returns, not when the
/// response has been sent: with one connection, a response not yet read by its client (here
/// not even dropped) must not stop the next request.
#[rocket::async_test]
async fn a_response_still_being_sent_holds_no_connection() {
    use rocket::http::{ContentType, Header};
    let app = TestApp::with(|f| f.merge(("database_max_connections", 1))).await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let quick = std::time::Duration::from_secs(5);
    let pending = |path: &str, body: &str| {
        app.client
            .post(path.to_string())
            .header(ContentType::JSON)
            .header(Header::new("Authorization", format!("Bearer {t}")))
            .body(body)
    };
    app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
        .await
        .expect(201);
    // Held, unread: a start, a module read, then an autosave and a submission (with a body).
    let start = pending(START, "{}").dispatch().await;
    assert_eq!(start.status().code, 201);
    let read = pending("/api/courses/quiz-lab/modules/patents/completion", "{}")
        .dispatch()
        .await;
    assert_eq!(read.status().code, 204);
    let id = tokio::time::timeout(quick, app.post(START, t, json!({})))
        .await
        .expect("the start's response held the only connection")
        .expect(200)
        .body["id"]
        .as_i64()
        .unwrap();
    let save = app
        .client
        .put(format!("/api/quiz-attempts/{id}/answers"))
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {t}")))
        .body(r#"{"answers": {}}"#)
        .dispatch()
        .await;
    assert_eq!(save.status().code, 200);
    let submit = pending(
        &format!("/api/quiz-attempts/{id}/submission"),
        r#"{"answers": {}}"#,
    )
    .dispatch()
    .await;
    assert_eq!(submit.status().code, 200);
    tokio::time::timeout(quick, app.get(&format!("/api/quiz-attempts/{id}"), t))
        .await
        .expect("a held response kept the only connection")
        .expect(200);
    drop((start, read, save, submit));
}

async fn stored_definition(app: &TestApp) -> (String, Option<String>) {
    sqlx::query_as("SELECT quiz_json, quiz_hash FROM courses WHERE slug = $1")
        .bind("quiz-lab")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The import stores the SHA-256 of each quiz definition beside it, and a start finds the
/// stored version by it. A database upgraded in place has no hash yet: its starts still land
/// on the same version (none is stored twice), and the next import fills the hash in.
#[rocket::async_test]
async fn the_definition_is_found_by_its_hash_also_before_an_upgraded_database_has_one() {
    let (app, w) = setup().await;
    let (json, hash) = stored_definition(&app).await;
    assert_eq!(hash, Some(sha256_hex(&json)), "the import writes the hash");

    let first = app
        .post(START, &w.learner_a.token, json!({}))
        .await
        .expect(201);
    let versions = "SELECT COUNT(*) FROM quiz_versions";
    assert_eq!(count(&app, versions).await, 1);

    sqlx::query("UPDATE courses SET quiz_hash = NULL")
        .execute(app.pool())
        .await
        .unwrap();
    let second = app
        .post(START, &w.learner_a2.token, json!({}))
        .await
        .expect(201);
    assert_eq!(
        count(&app, versions).await,
        1,
        "the same definition, one version"
    );
    let same: i64 = count(
        &app,
        &format!(
            "SELECT COUNT(DISTINCT version_id) FROM quiz_attempts WHERE id IN ({}, {})",
            first.body["id"], second.body["id"]
        ),
    )
    .await;
    assert_eq!(same, 1, "both attempts are at the same stored version");
    // Reading and submitting the attempt started without the hash works as any other.
    let id = second.body["id"].as_i64().unwrap();
    let reloaded = app
        .get(&format!("/api/quiz-attempts/{id}"), &w.learner_a2.token)
        .await
        .expect(200);
    app.post(
        &format!("/api/quiz-attempts/{id}/submission"),
        &w.learner_a2.token,
        json!({ "answers": right_answers(&reloaded.body) }),
    )
    .await
    .expect(200);

    let report =
        academy::courses::import::import_dir(app.pool(), &repo_path("tests/fixtures/courses"))
            .await
            .unwrap();
    assert_eq!(report.updated, 0, "{report:?}");
    let (json, hash) = stored_definition(&app).await;
    assert_eq!(
        hash,
        Some(sha256_hex(&json)),
        "the import filled the hash in"
    );
    app.post(START, &w.learner_a.token, json!({}))
        .await
        .expect(200);
    assert_eq!(count(&app, versions).await, 1);
}

/// A class on SQLite: 30 learners read the modules, start, autosave and pass the quiz, then
/// book an advisory slot each and cancel it, all at the same moment. Their writes take turns
/// in the runtime (`academy::db::write_turn`) instead of meeting on SQLite's write lock,
/// whose busy handler sleeps 1, 2, 5, 10 ms between tries. With SQLite's busy timeout at 0 on
/// every pooled connection, two writers that met would fail at once ("database is locked", a
/// 503): none does, and every course is completed once.
#[rocket::async_test]
async fn a_class_writing_at_once_takes_turns_on_sqlite() {
    let app = TestApp::new().await;
    if app.is_postgres() {
        return; // row locks order PostgreSQL's writers
    }
    let w = app.world().await;
    let mut learners = Vec::new();
    for (i, u) in (0..).zip(enrolled_learners(&app, &w, "class", 30).await) {
        // A slot of its own, on whole hours from two days ahead.
        let starts_at = (academy::clock::now() / 3600 + 48 + i) * 3600;
        let slot = app
            .post(
                "/api/slots",
                &w.advisor.token,
                json!({
                    "starts_at": academy::clock::rfc3339(starts_at),
                    "ends_at": academy::clock::rfc3339(starts_at + 1800),
                    "topic": "finance",
                    "mode": "online",
                    "location": "https://meet.example/class",
                }),
            )
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        learners.push((u.token, slot));
    }
    // Every pooled connection gives up on the write lock at once.
    app.on_every_connection("PRAGMA busy_timeout = 0").await;

    let learn = |(t, slot): (String, i64)| {
        let app = &app;
        async move {
            for m in ["patents", "licensing"] {
                let path = format!("/api/courses/quiz-lab/modules/{m}/completion");
                let r = app.post(&path, &t, json!({})).await;
                assert_eq!(r.status.code, 204, "{}", r.text);
            }
            let a = app.post(START, &t, json!({})).await.expect(201);
            let id = a.body["id"].as_i64().unwrap();
            let answers = right_answers(&a.body);
            app.put(
                &format!("/api/quiz-attempts/{id}/answers"),
                &t,
                json!({ "answers": answers }),
            )
            .await
            .expect(200);
            let s = app
                .post(
                    &format!("/api/quiz-attempts/{id}/submission"),
                    &t,
                    json!({ "answers": {} }),
                )
                .await
                .expect(200);
            assert_eq!(s.body["passed"], true, "{}", s.text);
            assert_eq!(s.body["course_completed"], true, "{}", s.text);
            let b = app
                .post(&format!("/api/slots/{slot}/booking"), &t, json!({}))
                .await
                .expect(201);
            let id = b.body["id"].as_i64().unwrap();
            let reason = json!({"reason": "the class moved"});
            app.post(&format!("/api/bookings/{id}/cancellation"), &t, reason)
                .await
                .expect(200);
        }
    };
    join_all(learners.into_iter().map(learn)).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        30
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM quiz_attempts WHERE passed = 1").await,
        30
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bookings WHERE status = 'cancelled'"
        )
        .await,
        30
    );
}

/// The last module read and a passing submission at the same moment, for 24 learners: whichever
/// comes last completes the course, once, with its certificate. On PostgreSQL the submission
/// of a learner whose modules were not all read when it began is one statement outside a
/// transaction; a module read that lands between its read and its write must still end in a
/// completion.
#[rocket::async_test]
async fn the_last_module_and_a_pass_at_the_same_moment_complete_the_course_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let mut attempts = Vec::new();
    for u in enrolled_learners(&app, &w, "race", 24).await {
        let r = app
            .post(
                "/api/courses/quiz-lab/modules/patents/completion",
                &u.token,
                json!({}),
            )
            .await;
        assert_eq!(r.status.code, 204, "{}", r.text);
        let a = app.post(START, &u.token, json!({})).await.expect(201);
        attempts.push((u.token, a.body));
    }
    let race = |(t, attempt): (String, Value)| {
        let app = &app;
        async move {
            let id = attempt["id"].as_i64().unwrap();
            let read = app.post(
                "/api/courses/quiz-lab/modules/licensing/completion",
                &t,
                json!({}),
            );
            let path = format!("/api/quiz-attempts/{id}/submission");
            let submit = app.post(&path, &t, json!({ "answers": right_answers(&attempt) }));
            let (read, submit) = futures::join!(read, submit);
            assert_eq!(read.status.code, 204, "{}", read.text);
            let submit = submit.expect(200);
            assert_eq!(submit.body["passed"], true, "{}", submit.text);
            let p = app
                .get("/api/courses/quiz-lab/progress", &t)
                .await
                .expect(200);
            assert!(p.body["completed_at"].is_string(), "{}", p.text);
            submit.body["course_completed"] == true
        }
    };
    let completed_by_submission = join_all(attempts.into_iter().map(race))
        .await
        .into_iter()
        .filter(|c| *c)
        .count();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        24
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM certificates").await, 24);
    // An attempt is marked as completing the course exactly when its submission said so.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM quiz_attempts WHERE completed_course = 1"
        )
        .await,
        completed_by_submission as i64
    );
}

/// A submission whose learner is no longer enrolled is a 404 that writes nothing: the attempt
/// stays open and ungraded, with or without a completion in prospect (on PostgreSQL these are
/// the one-statement path and the transaction).
#[rocket::async_test]
async fn a_submission_without_an_enrolment_is_a_404_and_writes_nothing() {
    let (app, w) = setup().await;
    for (learner, read_all, pass) in [(&w.learner_a, false, false), (&w.learner_a2, true, true)] {
        let t = &learner.token;
        if read_all {
            for m in ["patents", "licensing"] {
                let path = format!("/api/courses/quiz-lab/modules/{m}/completion");
                assert_eq!(app.post(&path, t, json!({})).await.status.code, 204);
            }
        }
        let a = app.post(START, t, json!({})).await.expect(201);
        let id = a.body["id"].as_i64().unwrap();
        sqlx::query("DELETE FROM enrolments WHERE user_id = $1")
            .bind(learner.id)
            .execute(app.pool())
            .await
            .unwrap();
        let answers = if pass {
            right_answers(&a.body)
        } else {
            wrong_answers(&a.body)
        };
        let r = app
            .post(
                &format!("/api/quiz-attempts/{id}/submission"),
                t,
                json!({ "answers": answers }),
            )
            .await;
        assert_problem(&r, 404);
        let (status, score): (String, Option<i64>) =
            sqlx::query_as("SELECT status, score FROM quiz_attempts WHERE id = $1")
                .bind(id)
                .fetch_one(app.pool())
                .await
                .unwrap();
        assert_eq!((status.as_str(), score), ("open", None), "attempt {id}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        0
    );
}

/// PostgreSQL answers a statement's subqueries from the snapshot taken when the statement
/// began. Here the submission's write has to wait for its attempt's row (another transaction
/// holds it), and the learner's last module read lands meanwhile: that read's completion check
/// finds the quiz not yet passed, and the write's own answer was read before the module was.
/// The course must still be completed once the pass is written.
#[rocket::async_test]
async fn a_module_read_while_the_passing_write_waits_still_completes_the_course() {
    let (app, w) = setup().await;
    if !app.is_postgres() {
        return; // SQLite's writer reads the latest commit
    }
    let t = &w.learner_a.token;
    let read = |m: &'static str| {
        let app = &app;
        async move {
            let path = format!("/api/courses/quiz-lab/modules/{m}/completion");
            assert_eq!(app.post(&path, t, json!({})).await.status.code, 204);
        }
    };
    read("patents").await;
    let a = app.post(START, t, json!({})).await.expect(201);
    let id = a.body["id"].as_i64().unwrap();
    let mut holder = app.pool().begin().await.unwrap();
    sqlx::query("SELECT id FROM quiz_attempts WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let path = format!("/api/quiz-attempts/{id}/submission");
    let submit = app.post(&path, t, json!({ "answers": right_answers(&a.body) }));
    let meanwhile = async {
        // Until the submission's write waits for the attempt's row.
        for _ in 0..500 {
            let waiting = count(
                &app,
                "SELECT COUNT(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .await;
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        read("licensing").await;
        holder.commit().await.unwrap();
    };
    let (submitted, ()) = futures::join!(submit, meanwhile);
    let submitted = submitted.expect(200);
    assert_eq!(submitted.body["passed"], true, "{}", submitted.text);
    assert_eq!(
        submitted.body["course_completed"], true,
        "{}",
        submitted.text
    );
    let p = app
        .get("/api/courses/quiz-lab/progress", t)
        .await
        .expect(200);
    assert!(p.body["completed_at"].is_string(), "{}", p.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM certificates").await, 1);
}

/// A quiz start, an enrolment and a module read run the token check and their own statements
/// on one pooled connection (`db::RequestConn`): one checkout each, so one returning ping, where
/// a route with a connection of its own takes two. A request refused before the token check
/// takes none. (Background workers share the pool and only add checkouts: the fewest of five
/// tries is the route's.)
#[rocket::async_test]
async fn a_start_and_a_module_read_take_one_connection_with_the_token_check() {
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let checkouts = || checkouts(&app);
    let id = app.post(START, t, json!({})).await.expect(201).body["id"]
        .as_i64()
        .unwrap();
    let mut fewest = (u64::MAX, u64::MAX, u64::MAX);
    let mut shared = [u64::MAX; 2];
    for _ in 0..5 {
        let before = checkouts().await;
        app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
            .await
            .expect(200);
        shared[0] = shared[0].min(checkouts().await - before);
        let before = checkouts().await;
        let read = "/api/courses/quiz-lab/modules/patents/completion";
        assert_eq!(app.post(read, t, json!({})).await.status.code, 204);
        shared[1] = shared[1].min(checkouts().await - before);
        let before = checkouts().await;
        app.post(START, t, json!({})).await.expect(200);
        fewest.0 = fewest.0.min(checkouts().await - before);
        let before = checkouts().await;
        app.get(&format!("/api/quiz-attempts/{id}"), t)
            .await
            .expect(200);
        fewest.1 = fewest.1.min(checkouts().await - before);
        let before = checkouts().await;
        let r = app.post(START, "not-a-token", json!({})).await;
        assert_problem(&r, 401);
        fewest.2 = fewest.2.min(checkouts().await - before);
    }
    assert_eq!(fewest, (1, 1, 0), "start, attempt read, bad token");
    assert_eq!(shared, [1, 1], "enrolment, module read");
    // The course page, and a module page not yet cached (one language each time): their
    // statements (course, modules, materials or content) run on the token check's connection,
    // and so do the progress page's.
    let mut pages = [u64::MAX; 3];
    for lang in ["en", "es", "pt", "gl"] {
        let before = checkouts().await;
        app.get(&format!("/api/courses/quiz-lab?lang={lang}"), t)
            .await
            .expect(200);
        pages[0] = pages[0].min(checkouts().await - before);
        let before = checkouts().await;
        app.get(
            &format!("/api/courses/quiz-lab/modules/patents?lang={lang}"),
            t,
        )
        .await
        .expect(200);
        pages[1] = pages[1].min(checkouts().await - before);
        let before = checkouts().await;
        app.get("/api/courses/quiz-lab/progress", t)
            .await
            .expect(200);
        pages[2] = pages[2].min(checkouts().await - before);
    }
    assert_eq!(
        pages,
        [1, 1, 1],
        "course page, module page not cached, progress"
    );
}

/// The pool's checkout count, as `/metrics` serves it.
async fn checkouts(app: &TestApp) -> u64 {
    let m = app.get_anon("/metrics").await.expect(200);
    m.text
        .lines()
        .find_map(|l| l.strip_prefix("academy_db_checkouts_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no checkout count in {}", m.text))
}

#[rocket::async_test]
async fn an_autosave_and_a_submission_check_the_token_after_the_body_on_one_connection() {
    use rocket::http::{ContentType, Method};
    let (app, w) = setup().await;
    let t = &w.learner_a.token;
    let id = app.post(START, t, json!({})).await.expect(201).body["id"]
        .as_i64()
        .unwrap();
    let answers = format!("/api/quiz-attempts/{id}/answers");
    let submission = format!("/api/quiz-attempts/{id}/submission");
    // Fewest over a few tries: another test's pool is not counted, but a background job of
    // this app may take one now and then.
    let mut fewest = [u64::MAX; 5];
    for _ in 0..3 {
        let before = checkouts(&app).await;
        app.put(&answers, t, json!({"answers": {}}))
            .await
            .expect(200);
        fewest[0] = fewest[0].min(checkouts(&app).await - before);
        // A malformed body is refused before the database is asked about the token.
        let before = checkouts(&app).await;
        let r = app
            .raw(
                Method::Put,
                &answers,
                Some(t),
                ContentType::JSON,
                b"{\"answers\": ",
            )
            .await;
        assert_problem(&r, 400);
        fewest[1] = fewest[1].min(checkouts(&app).await - before);
        let before = checkouts(&app).await;
        let r = app
            .raw(
                Method::Post,
                &submission,
                Some(t),
                ContentType::Text,
                b"hello",
            )
            .await;
        assert_problem(&r, 415);
        fewest[2] = fewest[2].min(checkouts(&app).await - before);
        // No token, or a bad one: a 401 before the body, malformed or not.
        let before = checkouts(&app).await;
        let r = app
            .raw(Method::Post, &submission, None, ContentType::JSON, b"{")
            .await;
        assert_problem(&r, 401);
        let r = app
            .raw(
                Method::Post,
                &submission,
                Some("x.y.z"),
                ContentType::JSON,
                b"{",
            )
            .await;
        assert_problem(&r, 401);
        fewest[3] = fewest[3].min(checkouts(&app).await - before);
    }
    // Another role's token with a good body: the role is checked, 403, and nothing written.
    let r = app
        .post(&submission, &w.advisor.token, json!({"answers": {}}))
        .await;
    assert_problem(&r, 403);
    // A token revoked since it was signed: 401 with a good body, and nothing written.
    let revoked = app.token_for(w.learner_a.id).await;
    sqlx::query("UPDATE users SET token_version = token_version + 1 WHERE id = $1")
        .bind(w.learner_a.id)
        .execute(app.pool())
        .await
        .unwrap();
    let r = app
        .post(&submission, &revoked, json!({"answers": {}}))
        .await;
    assert_problem(&r, 401);
    let open = app.token_for(w.learner_a.id).await;
    let attempt = app
        .get(&format!("/api/quiz-attempts/{id}"), &open)
        .await
        .expect(200);
    assert_eq!(attempt.body["status"], "open", "{}", attempt.body);
    let before = checkouts(&app).await;
    let r = app
        .post(&submission, &open, json!({"answers": {}}))
        .await
        .expect(200);
    fewest[4] = checkouts(&app).await - before;
    assert!(r.body["score"].is_number(), "{}", r.body);
    assert_eq!(
        fewest,
        [1, 0, 0, 0, 1],
        "autosave, 400, 415, 401s, submission"
    );
}
