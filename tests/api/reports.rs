//! Coordinator reports: completions (JSON, CSV), per-SME summary, programme indicators.

use academy::auth::Role;
use serde_json::{json, Value};

use crate::certificates::{app, code_of, complete_biotech_basics, complete_short_course};
use crate::common::{assert_problem, TestApp, World};

fn ts(s: &str) -> i64 {
    academy::clock::parse_rfc3339(s).unwrap()
}

/// An attended advisory session of a learner, starting at `starts_at`.
async fn attended_session(app: &TestApp, w: &World, learner: i64, sme: i64, starts_at: i64) {
    let slot: i64 = sqlx::query_scalar(
        "INSERT INTO slots (advisor_id, starts_at, ends_at, topic, mode, location, time_zone, \
         created_at) VALUES ($1, $2, $3, 'finance', 'online', 'https://meet.example/x', \
         'Europe/Madrid', 0) RETURNING id",
    )
    .bind(w.advisor.id)
    .bind(starts_at)
    .bind(starts_at + 3600)
    .fetch_one(app.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO bookings (slot_id, learner_id, sme_id, note, status, uid, created_at, \
         updated_at, attended, outcome_at) VALUES ($1, $2, $3, '', 'active', $4, 0, 0, 1, $5)",
    )
    .bind(slot)
    .bind(learner)
    .bind(sme)
    .bind(format!("uid-{slot}@test"))
    .bind(starts_at + 3600)
    .execute(app.pool())
    .await
    .unwrap();
}

fn learners(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["learner_name"].as_str().unwrap().to_string())
        .collect()
}

#[rocket::async_test]
async fn completions_report_in_json_within_the_coordinators_partner() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    complete_biotech_basics(&app, &w.learner_a, 77).await;
    app.post(
        "/api/courses/short-course/enrolment",
        &w.learner_a2.token,
        json!({}),
    )
    .await
    .expect(201);
    complete_short_course(&app, &w.learner_b.token).await;

    let r = app
        .get("/api/reports/completions", &w.coord_a.token)
        .await
        .expect(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", r.text);
    assert!(learners(&r.body).iter().all(|n| n != "João Gonçalves"));
    let bb = items
        .iter()
        .find(|i| i["course"] == "biotech-basics")
        .unwrap();
    assert_eq!(bb["learner_name"], "Ana Núñez");
    assert_eq!(bb["sme_name"], "SME A");
    assert_eq!(bb["sme_id"], w.sme_a);
    assert_eq!(bb["learner_id"], w.learner_a.id);
    assert_eq!(bb["score"], 77);
    assert_eq!(
        bb["certificate_code"],
        code_of(&app, &w.learner_a.token, "biotech-basics").await
    );
    assert!(bb["enrolled_at"].as_str().unwrap().ends_with('Z'));
    assert!(bb["completed_at"].as_str().unwrap().ends_with('Z'));
    let in_progress = items
        .iter()
        .find(|i| i["learner_name"] == "Bruno Díaz")
        .unwrap();
    assert_eq!(in_progress["completed_at"], Value::Null);
    assert_eq!(in_progress["certificate_code"], Value::Null);

    // Filters.
    let one = app
        .get(
            "/api/reports/completions?course=biotech-basics",
            &w.coord_a.token,
        )
        .await
        .expect(200);
    assert_eq!(one.body["items"].as_array().unwrap().len(), 1);
    let all = app
        .get("/api/reports/completions", &w.admin.token)
        .await
        .expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 4);
    let b_only = app
        .get(
            &format!("/api/reports/completions?sme_id={}", w.sme_b),
            &w.admin.token,
        )
        .await
        .expect(200);
    assert_eq!(learners(&b_only.body), vec!["João Gonçalves"]);
    // Another partner's SME is not found; learners and advisors are refused.
    assert_problem(
        &app.get(
            &format!("/api/reports/completions?sme_id={}", w.sme_b),
            &w.coord_a.token,
        )
        .await,
        404,
    );
    assert_problem(
        &app.get("/api/reports/completions", &w.learner_a.token)
            .await,
        403,
    );
    assert_problem(
        &app.get("/api/reports/completions", &w.advisor.token).await,
        403,
    );
}

#[rocket::async_test]
async fn completions_csv_opens_in_a_spreadsheet_and_formulas_stay_text() {
    let app = app().await;
    let w = app.world().await;
    let evil = app
        .user(
            "evil@sme-a.example",
            "=HYPERLINK(\"http://x\",\"y\")",
            Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    complete_short_course(&app, &evil.token).await;
    complete_short_course(&app, &w.learner_a.token).await;

    let by_accept = app
        .get_with(
            "/api/reports/completions",
            Some(&w.coord_a.token),
            &[("Accept", "text/csv")],
        )
        .await
        .expect(200);
    let by_suffix = app
        .get("/api/reports/completions.csv", &w.coord_a.token)
        .await
        .expect(200);
    for r in [&by_accept, &by_suffix] {
        assert!(
            r.content_type.as_deref().unwrap().starts_with("text/csv"),
            "{:?}",
            r.content_type
        );
        let disposition = r.header("Content-Disposition").unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"completions-")
                && disposition.ends_with(".csv\""),
            "{disposition}"
        );
        assert!(r.bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
        let text = std::str::from_utf8(&r.bytes[3..]).unwrap();
        assert!(text.contains("\r\n"), "CRLF rows");
        assert!(text.contains("Ana Núñez"), "accents survive: {text}");
        let mut reader = csv::Reader::from_reader(&r.bytes[3..]);
        let header = reader.headers().unwrap().clone();
        assert_eq!(
            header.iter().take(9).collect::<Vec<_>>(),
            vec![
                "sme_id",
                "sme_name",
                "learner_id",
                "learner_name",
                "course",
                "enrolled_at",
                "completed_at",
                "score",
                "certificate_code"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        let names: Vec<&str> = rows.iter().map(|r| &r[3]).collect();
        assert!(
            names.contains(&"'=HYPERLINK(\"http://x\",\"y\")"),
            "the formula is neutralised: {names:?}"
        );
        // No cell anywhere starts with a formula character.
        for row in &rows {
            for cell in row.iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell:?}"
                );
            }
        }
    }
    // JSON keeps the name as it is: neutralising is a CSV concern.
    let json = app
        .get("/api/reports/completions", &w.coord_a.token)
        .await
        .expect(200);
    assert!(learners(&json.body).contains(&"=HYPERLINK(\"http://x\",\"y\")".to_string()));
    // Semicolons on request, for spreadsheets set to Spanish or Portuguese.
    let semi = app
        .get("/api/reports/completions.csv?sep=%3B", &w.coord_a.token)
        .await
        .expect(200);
    assert!(std::str::from_utf8(&semi.bytes[3..])
        .unwrap()
        .starts_with("sme_id;sme_name;"));
    // The spreadsheet form in Spanish: semicolons by default, headers in words, the course's
    // title, dates as people write them, formulas still neutralised.
    let es = app
        .get("/api/reports/completions.csv?lang=es", &w.coord_a.token)
        .await
        .expect(200);
    assert!(es.bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&es.bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "Pyme",
            "Participante",
            "Curso",
            "Inscripción",
            "Finalización",
            "Mejor nota (%)",
            "Certificado",
            "Certificado revocado"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let ana = rows
        .iter()
        .find(|r| &r[1] == "Ana Núñez")
        .expect("Ana's row");
    assert_ne!(&ana[2], "short-course", "the title, not the slug");
    assert!(
        ana[4].contains('/') && ana[4].contains(':') && !ana[4].contains('T'),
        "a local date and time: {:?}",
        &ana[4]
    );
    assert_eq!(&ana[7], "No");
    assert!(rows
        .iter()
        .any(|r| &r[1] == "'=HYPERLINK(\"http://x\",\"y\")"));
    // English keeps the comma unless asked; a language the platform does not have is a 422.
    let en = app
        .get("/api/reports/completions.csv?lang=en", &w.coord_a.token)
        .await
        .expect(200);
    assert!(std::str::from_utf8(&en.bytes[3..])
        .unwrap()
        .starts_with("SME,Learner,Course,"));
    assert_problem(
        &app.get("/api/reports/completions.csv?lang=fr", &w.coord_a.token)
            .await,
        422,
    );
    assert_problem(
        &app.get("/api/reports/completions.csv", &w.learner_a.token)
            .await,
        403,
    );
    assert_problem(
        &app.get(
            &format!("/api/reports/completions.csv?sme_id={}", w.sme_b),
            &w.coord_a.token,
        )
        .await,
        404,
    );
}

#[rocket::async_test]
async fn sme_summary_counts_staff_enrolments_completions_and_sessions() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    app.post(
        "/api/courses/biotech-basics/enrolment",
        &w.learner_a2.token,
        json!({}),
    )
    .await
    .expect(201);
    attended_session(
        &app,
        &w,
        w.learner_a.id,
        w.sme_a,
        ts("2026-02-10T09:00:00Z"),
    )
    .await;
    attended_session(
        &app,
        &w,
        w.learner_a2.id,
        w.sme_a,
        ts("2026-05-10T09:00:00Z"),
    )
    .await;
    attended_session(
        &app,
        &w,
        w.learner_b.id,
        w.sme_b,
        ts("2026-05-10T11:00:00Z"),
    )
    .await;

    let r = app
        .get("/api/reports/smes", &w.coord_a.token)
        .await
        .expect(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the partner's SMEs: {}", r.text);
    let a = &items[0];
    assert_eq!(a["sme_id"], w.sme_a);
    assert_eq!(a["learners"], 2);
    assert_eq!(a["enrolments"], 2);
    assert_eq!(a["completions"], 1);
    assert_eq!(a["certificates"], 1);
    assert_eq!(a["advisory_sessions_attended"], 2);

    let all = app
        .get("/api/reports/smes", &w.admin.token)
        .await
        .expect(200);
    let b = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sme_id"] == w.sme_b)
        .unwrap()
        .clone();
    assert_eq!(b["learners"], 1);
    assert_eq!(b["enrolments"], 0);
    assert_eq!(b["completions"], 0);
    assert_eq!(b["advisory_sessions_attended"], 1);
    assert_problem(&app.get("/api/reports/smes", &w.learner_a.token).await, 403);
}

#[rocket::async_test]
async fn indicators_count_smes_served_by_region_and_quarter() {
    let app = app().await;
    let w = app.world().await;
    // A third SME (partner A, another region) that only attends advice.
    let sme_c = app.sme("SME C", w.partner_a).await;
    sqlx::query("UPDATE smes SET region = 'Galicia' WHERE id = $1")
        .bind(sme_c)
        .execute(app.pool())
        .await
        .unwrap();
    let carla = app
        .user(
            "carla@sme-c.example",
            "Carla Outeiro",
            Role::Learner,
            Some(sme_c),
            Some(w.partner_a),
        )
        .await;
    // SME A: two completions in 2026-Q1 (counted once) and advice in Q1 too.
    complete_short_course(&app, &w.learner_a.token).await;
    complete_short_course(&app, &w.learner_a2.token).await;
    sqlx::query("UPDATE course_completions SET completed_at = $1")
        .bind(ts("2026-02-01T10:00:00Z"))
        .execute(app.pool())
        .await
        .unwrap();
    attended_session(
        &app,
        &w,
        w.learner_a.id,
        w.sme_a,
        ts("2026-03-03T10:00:00Z"),
    )
    .await;
    // SME C: advice on 31 March 23:30 UTC, which is already Q2 in Madrid.
    attended_session(&app, &w, carla.id, sme_c, ts("2026-03-31T23:30:00Z")).await;
    // SME B (partner B, PT): advice in Q2.
    attended_session(
        &app,
        &w,
        w.learner_b.id,
        w.sme_b,
        ts("2026-05-05T10:00:00Z"),
    )
    .await;
    // A booking that was not attended counts for nothing.
    attended_session(
        &app,
        &w,
        w.learner_b.id,
        w.sme_b,
        ts("2026-08-05T10:00:00Z"),
    )
    .await;
    sqlx::query("UPDATE bookings SET attended = 0 WHERE slot_id = (SELECT MAX(id) FROM slots)")
        .execute(app.pool())
        .await
        .unwrap();

    let r = app
        .get("/api/reports/indicators", &w.admin.token)
        .await
        .expect(200);
    assert_eq!(
        r.body["items"],
        json!([
            {"quarter": "2026-Q1", "country": "ES", "region": "Madrid", "smes_served": 1,
             "smes_with_completion": 1, "smes_with_advisory_session": 1},
            {"quarter": "2026-Q2", "country": "ES", "region": "Galicia", "smes_served": 1,
             "smes_with_completion": 0, "smes_with_advisory_session": 1},
            {"quarter": "2026-Q2", "country": "ES", "region": "Madrid", "smes_served": 1,
             "smes_with_completion": 0, "smes_with_advisory_session": 1},
        ]),
        "{}",
        r.text
    );
    assert_eq!(r.body["smes_served_total"], 3);
    assert_eq!(
        r.body["quarters"],
        json!([{"quarter": "2026-Q1", "smes_served": 1}, {"quarter": "2026-Q2", "smes_served": 2}])
    );

    // Coordinators: their partner's SMEs only.
    let a = app
        .get("/api/reports/indicators", &w.coord_a.token)
        .await
        .expect(200);
    assert_eq!(a.body["smes_served_total"], 2);
    let b = app
        .get("/api/reports/indicators", &w.coord_b.token)
        .await
        .expect(200);
    assert_eq!(b.body["smes_served_total"], 1);
    assert_eq!(b.body["items"][0]["region"], "Madrid");
    // Period bounds.
    let q2 = app
        .get(
            "/api/reports/indicators?from=2026-Q2&to=2026-Q2",
            &w.admin.token,
        )
        .await
        .expect(200);
    assert_eq!(q2.body["smes_served_total"], 2);
    assert_problem(
        &app.get("/api/reports/indicators?from=2026-13", &w.admin.token)
            .await,
        422,
    );
    assert_problem(
        &app.get("/api/reports/indicators", &w.learner_a.token).await,
        403,
    );
}
