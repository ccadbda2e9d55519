//! The programme's advisory hours: a coordinator allots an SME hours per quarter; bookings and
//! moves beyond them are refused with a clear message; no-shows count unless waived; the SME's
//! quarters show allotted, used, attended and no-show hours; colleagues booking at the same
//! moment never take the SME over its hours (one process or two).

use academy::bookings::quota::period_of;
use academy::clock::{now, rfc3339};
use futures::future::join_all;
use serde_json::{json, Value};

use crate::common::{assert_problem, post_via, Resp, TestApp, TestUser};

const HOUR: i64 = 3600;

fn in_hours(hours: i64) -> i64 {
    (now() / HOUR + hours) * HOUR
}

async fn slot_at(app: &TestApp, advisor: &TestUser, starts_at: i64, minutes: i64) -> i64 {
    app.post(
        "/api/slots",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + minutes * 60),
            "topic": "finance",
            "mode": "online",
            "location": "https://meet.example/hours",
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

async fn book(app: &TestApp, learner: &TestUser, slot: i64) -> Resp {
    app.post(
        &format!("/api/slots/{slot}/booking"),
        &learner.token,
        json!({"note": ""}),
    )
    .await
}

async fn hours_of(app: &TestApp, who: &TestUser, sme: i64, period: &str) -> Value {
    let r = app
        .get(&format!("/api/smes/{sme}/advisory-hours"), &who.token)
        .await
        .expect(200);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["period"] == period)
        .cloned()
        .unwrap_or_else(|| panic!("no {period} in {}", r.text))
}

fn field_code(r: &Resp) -> String {
    r.body["errors"][0]["code"]
        .as_str()
        .or(r.body["code"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[rocket::async_test]
async fn allotted_hours_limit_bookings_and_the_quarters_say_where_they_went() {
    let app = TestApp::with(|f| f.merge(("booking_max_per_learner", 10))).await;
    let w = app.world().await;
    let s1 = slot_at(&app, &w.advisor, in_hours(48), 60).await;
    let s2 = slot_at(&app, &w.advisor, in_hours(50), 60).await;
    let s3 = slot_at(&app, &w.advisor, in_hours(52), 60).await;
    let period = period_of(in_hours(48));
    assert_eq!(
        period_of(in_hours(52)),
        period,
        "the test's slots share a quarter"
    );
    let path = format!("/api/smes/{}/advisory-hours/{period}", w.sme_a);

    // Two hours for SME A this quarter.
    let r = app
        .put(&path, &w.coord_a.token, json!({"hours": 2}))
        .await
        .expect(200);
    assert_eq!(r.body["allotted_hours"], 2.0);
    assert_eq!(r.body["remaining_hours"], 2.0);
    // The SME's staff see what is left before booking; other SMEs see nothing of it.
    let mine = app
        .get("/api/me/advisory-hours", &w.learner_a2.token)
        .await
        .expect(200);
    let q = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["period"] == period.as_str())
        .cloned()
        .unwrap();
    assert_eq!(q["remaining_hours"], 2.0);
    let theirs = app
        .get("/api/me/advisory-hours", &w.learner_b.token)
        .await
        .expect(200);
    assert_eq!(theirs.body["items"], json!([]), "{}", theirs.text);
    assert_problem(
        &app.get("/api/me/advisory-hours", &w.coord_a.token).await,
        403,
    );
    book(&app, &w.learner_a, s1).await.expect(201);
    book(&app, &w.learner_a2, s2).await.expect(201);
    let mine = app
        .get("/api/me/advisory-hours", &w.learner_a2.token)
        .await
        .expect(200);
    assert_eq!(
        mine.body["items"][0]["remaining_hours"], 0.0,
        "{}",
        mine.text
    );
    // A third hour is one too many, whoever of the SME asks.
    let r = book(&app, &w.learner_a, s3).await;
    assert_problem(&r, 422);
    assert_eq!(field_code(&r), "booking.quota");
    let params = &r.body["errors"][0]["params"];
    assert_eq!(params["period"], period.as_str());
    assert_eq!(params["allotted"], "2 h");
    assert_eq!(params["left"], "0 min");
    assert_eq!(params["needed"], "1 h");
    // Another SME has no limit.
    book(&app, &w.learner_b, s3).await.expect(201);

    let q = hours_of(&app, &w.coord_a, w.sme_a, &period).await;
    assert_eq!(q["allotted_hours"], 2.0);
    assert_eq!(q["used_hours"], 2.0);
    assert_eq!(q["remaining_hours"], 0.0);
    // The SME report shows this quarter's hours (when the sessions fall in it).
    if period == period_of(now()) {
        let report = app
            .get("/api/reports/smes", &w.coord_a.token)
            .await
            .expect(200);
        let row = report.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sme_id"] == w.sme_a)
            .cloned()
            .unwrap();
        assert_eq!(row["advisory_hours"]["period"], period.as_str());
        assert_eq!(row["advisory_hours"]["allotted_hours"], 2.0);
        assert_eq!(row["advisory_hours"]["used_hours"], 2.0);
        let other = report.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sme_id"] != w.sme_a);
        assert!(
            other.is_none(),
            "a coordinator sees only their partner's SMEs"
        );
    }

    // A cancelled session gives its hour back.
    let mine = app
        .get("/api/bookings?status=active", &w.learner_a2.token)
        .await
        .expect(200);
    let b2 = mine.body["items"][0]["id"].as_i64().unwrap();
    app.post(
        &format!("/api/bookings/{b2}/cancellation"),
        &w.learner_a2.token,
        json!({"reason": "not needed"}),
    )
    .await
    .expect(200);
    assert_eq!(
        hours_of(&app, &w.coord_a, w.sme_a, &period).await["remaining_hours"],
        1.0
    );
    // Half an hour more is refused for a 90-minute session, then fits a 60-minute one.
    let long = slot_at(&app, &w.advisor, in_hours(56), 90).await;
    let r = book(&app, &w.learner_a2, long).await;
    assert_eq!(field_code(&r), "booking.quota", "{}", r.text);
    assert_eq!(r.body["errors"][0]["params"]["needed"], "1 h 30 min");
    let fits = slot_at(&app, &w.advisor, in_hours(60), 60).await;
    let b_fit = book(&app, &w.learner_a2, fits).await.expect(201).body["id"]
        .as_i64()
        .unwrap();

    // A move into a full quarter is refused too, on `slot_id`.
    let other = slot_at(&app, &w.advisor, in_hours(64), 60).await;
    let r = app
        .post(
            &format!("/api/bookings/{b_fit}/reschedule"),
            &w.learner_a2.token,
            json!({ "slot_id": long }),
        )
        .await;
    assert_eq!(field_code(&r), "booking.quota", "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "slot_id");
    // ... but moving to a slot of the same length is no extra hour.
    app.post(
        &format!("/api/bookings/{b_fit}/reschedule"),
        &w.learner_a2.token,
        json!({ "slot_id": other }),
    )
    .await
    .expect(200);

    // A no-show counts until the coordinator waives it.
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now() - 2 * HOUR)
        .bind(now() - HOUR)
        .bind(other)
        .execute(app.pool())
        .await
        .unwrap();
    let past_period = period_of(now() - 2 * HOUR);
    app.put(
        &format!("/api/bookings/{b_fit}/outcome"),
        &w.advisor.token,
        json!({"attended": false, "notes": "did not come"}),
    )
    .await
    .expect(200);
    let q = hours_of(&app, &w.coord_a, w.sme_a, &past_period).await;
    assert_eq!(q["no_show_hours"], 1.0, "{q}");
    let used_before = q["used_hours"].as_f64().unwrap();
    let waiver = format!("/api/bookings/{b_fit}/no-show-waiver");
    assert_problem(
        &app.post(&waiver, &w.learner_a2.token, json!({})).await,
        403,
    );
    assert_problem(&app.post(&waiver, &w.coord_b.token, json!({})).await, 404);
    let r = app
        .post(&waiver, &w.coord_a.token, json!({}))
        .await
        .expect(200);
    assert_eq!(r.body["outcome"]["no_show_waived"], true);
    let q = hours_of(&app, &w.coord_a, w.sme_a, &past_period).await;
    assert_eq!(q["waived_hours"], 1.0);
    assert_eq!(q["no_show_hours"], 0.0);
    assert_eq!(q["used_hours"].as_f64().unwrap(), used_before - 1.0);
    // Twice, or for a session that was attended: nothing to waive.
    let r = app.post(&waiver, &w.coord_a.token, json!({})).await;
    assert_problem(&r, 409);
    assert_eq!(r.body["code"], "booking.not_no_show");
    // Corrected to attended, the session counts as attended and carries no waiver any more.
    let r = app
        .put(
            &format!("/api/bookings/{b_fit}/outcome"),
            &w.advisor.token,
            json!({"attended": true, "notes": "came late after all"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["outcome"]["no_show_waived"], false);
    let q = hours_of(&app, &w.coord_a, w.sme_a, &past_period).await;
    assert_eq!(q["waived_hours"], 0.0);
    assert_eq!(q["attended_hours"], 1.0);
    assert_eq!(q["used_hours"].as_f64().unwrap(), used_before);
    let r = app.post(&waiver, &w.coord_a.token, json!({})).await;
    assert_problem(&r, 409);

    // Clearing the allotment lifts the limit.
    app.delete(&path, &w.coord_a.token).await.expect(204);
    assert_eq!(
        hours_of(&app, &w.coord_a, w.sme_a, &period).await["allotted_hours"],
        Value::Null
    );
    book(&app, &w.learner_a2, long).await.expect(201);
}

#[rocket::async_test]
async fn only_the_smes_coordinators_and_admins_allot_hours_and_bad_values_are_refused() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let path = |period: &str| format!("/api/smes/{}/advisory-hours/{period}", w.sme_a);
    for hours in [
        json!(-1),
        json!(3.1),
        json!(2001),
        json!("ten"),
        json!(null),
    ] {
        let r = app
            .put(
                &path("2027-Q1"),
                &w.coord_a.token,
                json!({ "hours": hours }),
            )
            .await;
        assert!(
            [400, 422].contains(&r.status.code),
            "{hours}: {} {}",
            r.status,
            r.text
        );
        assert_problem(&r, r.status.code);
    }
    for period in ["2027-Q5", "2027", "Q1-2027", "2027-q1"] {
        let r = app
            .put(&path(period), &w.coord_a.token, json!({"hours": 5}))
            .await;
        assert_problem(&r, 422);
        assert_eq!(r.body["errors"][0]["field"], "period", "{period}");
        assert_eq!(r.body["errors"][0]["code"], "quota.period");
    }
    // Quarter hours are fine; the admin may too.
    app.put(&path("2027-Q1"), &w.coord_a.token, json!({"hours": 7.25}))
        .await
        .expect(200);
    let r = app
        .put(&path("2027-Q2"), &w.admin.token, json!({"hours": 0}))
        .await
        .expect(200);
    assert_eq!(r.body["allotted_hours"], 0.0);
    // Another partner's coordinator sees no such SME; learners and advisors may not.
    assert_problem(
        &app.put(&path("2027-Q1"), &w.coord_b.token, json!({"hours": 100}))
            .await,
        404,
    );
    assert_problem(
        &app.get(
            &format!("/api/smes/{}/advisory-hours", w.sme_a),
            &w.coord_b.token,
        )
        .await,
        404,
    );
    for who in [&w.learner_a, &w.advisor] {
        assert_problem(
            &app.put(&path("2027-Q1"), &who.token, json!({"hours": 100}))
                .await,
            403,
        );
    }
    let q = hours_of(&app, &w.coord_a, w.sme_a, "2027-Q1").await;
    assert_eq!(q["allotted_hours"], 7.25);
}

/// Ten colleagues of one SME book ten one-hour slots at the same moment, half through a
/// second process: with three hours allotted, exactly three get a session.
#[rocket::async_test]
async fn colleagues_booking_at_once_never_go_over_the_smes_hours() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let other = app.second_instance().await;
    let mut crowd = Vec::new();
    for i in 0..10 {
        crowd.push(
            app.user(
                &format!("colleague{i}@sme-a.example"),
                &format!("Colleague {i}"),
                academy::auth::Role::Learner,
                Some(w.sme_a),
                None,
            )
            .await,
        );
    }
    let mut slots = Vec::new();
    for i in 0..10 {
        slots.push(slot_at(&app, &w.advisor, in_hours(30 + 2 * i), 60).await);
    }
    let period = period_of(in_hours(30));
    assert_eq!(period_of(in_hours(48)), period);
    app.put(
        &format!("/api/smes/{}/advisory-hours/{period}", w.sme_a),
        &w.coord_a.token,
        json!({"hours": 3}),
    )
    .await
    .expect(200);
    let answers = join_all(crowd.iter().zip(&slots).enumerate().map(|(i, (l, s))| {
        let path = format!("/api/slots/{s}/booking");
        let body = json!({"note": "race"});
        let (app, other) = (&app, &other);
        async move {
            if i % 2 == 0 {
                app.post(&path, &l.token, body).await
            } else {
                post_via(other, &path, &l.token, &body).await
            }
        }
    }))
    .await;
    let codes: Vec<u16> = answers.iter().map(|r| r.status.code).collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 3, "{codes:?}");
    for r in answers.iter().filter(|r| r.status.code != 201) {
        assert_problem(r, 422);
        assert_eq!(field_code(r), "booking.quota", "{}", r.text);
    }
    let (booked,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM bookings WHERE sme_id = $1 AND status = 'active'")
            .bind(w.sme_a)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(booked, 3);
    assert_eq!(
        hours_of(&app, &w.coord_a, w.sme_a, &period).await["used_hours"],
        3.0
    );
}
