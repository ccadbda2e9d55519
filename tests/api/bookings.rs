//! Advisory slots and bookings: overlap rules, time zones and DST, the booking race, limits,
//! cancellation, invites, outcomes and who sees what.

use academy::auth::Role;
use academy::bookings::availability::last_sunday;
use academy::clock::{now, parse_rfc3339, rfc3339};
use futures::future::join_all;
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus};
use jiff::tz::TimeZone;
use jiff::ToSpan;
use serde_json::{json, Value};

use crate::common::{assert_problem, ics_instant, post_via, Resp, TestApp, TestUser, World};

const HOUR: i64 = 3600;

/// A whole hour `hours` from now, as RFC 3339.
fn in_hours(hours: i64) -> i64 {
    (now() / HOUR + hours) * HOUR
}

fn slot_body(starts_at: i64, minutes: i64, topic: &str) -> Value {
    json!({
        "starts_at": rfc3339(starts_at),
        "ends_at": rfc3339(starts_at + minutes * 60),
        "topic": topic,
        "mode": "online",
        "location": "https://meet.example/room-1",
    })
}

async fn new_slot(app: &TestApp, advisor: &TestUser, starts_at: i64) -> i64 {
    app.post(
        "/api/slots",
        &advisor.token,
        slot_body(starts_at, 60, "finance"),
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
        json!({"note": "We need help with a Series A term sheet"}),
    )
    .await
}

async fn book_ok(app: &TestApp, learner: &TestUser, slot: i64) -> i64 {
    book(app, learner, slot).await.expect(201).body["id"]
        .as_i64()
        .unwrap()
}

fn ids(r: &Resp) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn set_time_zone(app: &TestApp, user: &TestUser, tz: &str) {
    sqlx::query("UPDATE users SET time_zone = $1 WHERE id = $2")
        .bind(tz)
        .bind(user.id)
        .execute(app.pool())
        .await
        .unwrap();
}

/// Move a slot into the past (the API refuses to create one there).
async fn move_slot_to(app: &TestApp, slot: i64, starts_at: i64) {
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(starts_at)
        .bind(starts_at + HOUR)
        .bind(slot)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn learners(app: &TestApp, w: &World, n: usize, tag: &str) -> Vec<TestUser> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            app.user(
                &format!("learner{i}.{tag}@sme-a.example"),
                &format!("Learner {i}"),
                Role::Learner,
                Some(w.sme_a),
                Some(w.partner_a),
            )
            .await,
        );
    }
    out
}

#[rocket::async_test]
async fn slots_refuse_overlaps_past_times_and_bad_input() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.advisor.token;
    let start = in_hours(48);
    let first = app
        .post("/api/slots", t, slot_body(start, 60, "finance"))
        .await
        .expect(201);
    assert_eq!(first.body["status"], "open");
    assert_eq!(first.body["duration_minutes"], 60);
    assert_eq!(first.body["advisor_time_zone"], "Europe/Madrid");
    assert_eq!(first.body["starts_at"], rfc3339(start));

    // Overlaps: same start, inside, straddling the end, enclosing.
    for (s, m) in [
        (start, 60),
        (start + 900, 30),
        (start + 1800, 60),
        (start - 1800, 120),
    ] {
        let r = app.post("/api/slots", t, slot_body(s, m, "ip")).await;
        assert_problem(&r, 422);
        assert!(r.text.contains("overlaps your slot"), "{}", r.text);
    }
    // Touching ends are fine, and another advisor may use the same hour.
    app.post("/api/slots", t, slot_body(start + HOUR, 60, "ip"))
        .await
        .expect(201);
    app.post("/api/slots", t, slot_body(start - HOUR, 60, "talent"))
        .await
        .expect(201);
    app.post(
        "/api/slots",
        &w.advisor2.token,
        slot_body(start, 60, "market_entry"),
    )
    .await
    .expect(201);

    // The past, and a slot that already started.
    let r = app
        .post("/api/slots", t, slot_body(in_hours(-2), 60, "finance"))
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "starts_at");
    assert!(r.text.contains("past"));

    let bad = [
        (
            json!({"starts_at": "tomorrow at nine", "ends_at": rfc3339(start), "topic": "finance", "mode": "online", "location": "https://x.example"}),
            "starts_at",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(100)), "topic": "finance", "mode": "online", "location": "https://x.example"}),
            "ends_at",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(99)), "topic": "finance", "mode": "online", "location": "https://x.example"}),
            "ends_at",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(110)), "topic": "finance", "mode": "online", "location": "https://x.example"}),
            "ends_at",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(101)), "topic": "astrology", "mode": "online", "location": "https://x.example"}),
            "topic",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(101)), "topic": "ip", "mode": "carrier_pigeon", "location": "x"}),
            "mode",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(101)), "topic": "ip", "mode": "online", "location": "Calle Mayor 1"}),
            "location",
        ),
        (
            json!({"starts_at": rfc3339(in_hours(100)), "ends_at": rfc3339(in_hours(101)), "topic": "ip", "mode": "in_person", "location": "  "}),
            "location",
        ),
    ];
    for (body, field) in bad {
        let r = app.post("/api/slots", t, body).await;
        assert_problem(&r, 422);
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {}",
            r.text
        );
    }
    // In person with an address is fine; an RFC 3339 offset is honoured.
    let r = app
        .post(
            "/api/slots",
            t,
            json!({"starts_at": "2099-01-05T10:00:00+01:00", "ends_at": "2099-01-05T11:00:00+01:00", "topic": "talent", "mode": "in_person", "location": "Parc Científic, Paterna"}),
        )
        .await;
    assert_problem(&r, 422); // beyond the two-year horizon
    let s = in_hours(200);
    let r = app
        .post(
            "/api/slots",
            t,
            json!({"starts_at": rfc3339(s), "ends_at": rfc3339(s + HOUR), "topic": "talent", "mode": "in_person", "location": "Parc Científic, Paterna"}),
        )
        .await
        .expect(201);
    assert_eq!(r.body["mode"], "in_person");

    // Malformed JSON, a missing field, and roles.
    let raw = app
        .raw(
            rocket::http::Method::Post,
            "/api/slots",
            Some(t),
            rocket::http::ContentType::JSON,
            b"{\"starts_at\": ",
        )
        .await;
    assert_problem(&raw, 400);
    assert_problem(
        &app.post("/api/slots", t, json!({"starts_at": rfc3339(s)}))
            .await,
        422,
    );
    assert_problem(
        &app.post(
            "/api/slots",
            &w.learner_a.token,
            slot_body(in_hours(300), 60, "ip"),
        )
        .await,
        403,
    );
    assert_problem(
        &app.post(
            "/api/slots",
            &w.coord_a.token,
            slot_body(in_hours(300), 60, "ip"),
        )
        .await,
        403,
    );
    assert_problem(
        &app.post_anon("/api/slots", slot_body(in_hours(300), 60, "ip"))
            .await,
        401,
    );
}

#[rocket::async_test]
async fn open_slots_are_listed_with_local_times_and_filters() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let start = in_hours(72);
    let a = new_slot(&app, &w.advisor, start).await;
    let b = app
        .post(
            "/api/slots",
            &w.advisor2.token,
            slot_body(start + 2 * HOUR, 30, "ip"),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let later = new_slot(&app, &w.advisor, in_hours(24 * 20)).await;

    // Learner B is in Lisbon: local times carry Lisbon's offset, the advisor's zone is shown.
    let r = app.get("/api/slots", &w.learner_b.token).await.expect(200);
    assert_eq!(ids(&r), vec![a, b, later]);
    let first = &r.body["items"][0];
    assert_eq!(first["advisor_name"], "Inês Advisor");
    assert_eq!(first["advisor_time_zone"], "Europe/Madrid");
    assert_eq!(first["time_zone"], "Europe/Lisbon");
    let lisbon = TimeZone::get("Europe/Lisbon").unwrap();
    let expected = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(lisbon)
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    assert_eq!(first["starts_at_local"], expected);
    assert_eq!(
        parse_rfc3339(first["starts_at_local"].as_str().unwrap()),
        Some(start)
    );
    assert_eq!(r.body["items"][1]["advisor_time_zone"], "Europe/Lisbon");

    // Filters.
    let r = app
        .get("/api/slots?topic=ip", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![b]);
    let r = app
        .get(
            &format!("/api/slots?advisor_id={}", w.advisor.id),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![a, later]);
    let to = rfc3339(start + 10 * HOUR).replace('+', "%2B");
    let r = app
        .get(&format!("/api/slots?to={to}"), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![a, b]);
    let from = rfc3339(start + HOUR);
    let r = app
        .get(
            &format!("/api/slots?from={from}&limit=1"),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![b]);
    assert_problem(
        &app.get("/api/slots?from=yesterday", &w.learner_a.token)
            .await,
        422,
    );
    assert_problem(
        &app.get("/api/slots?topic=astrology", &w.learner_a.token)
            .await,
        422,
    );
    assert_problem(&app.get_anon("/api/slots").await, 401);

    // Keyset paging walks every open slot once.
    let mut seen = Vec::new();
    let mut path = "/api/slots?limit=2".to_string();
    loop {
        let r = app.get(&path, &w.learner_a.token).await.expect(200);
        seen.extend(ids(&r));
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/slots?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![a, b, later]);
    assert_problem(
        &app.get("/api/slots?cursor=abc", &w.learner_a.token).await,
        422,
    );

    // A booked slot is no longer open; its advisor still sees it with include_booked.
    book_ok(&app, &w.learner_a, a).await;
    let r = app.get("/api/slots", &w.learner_b.token).await.expect(200);
    assert_eq!(ids(&r), vec![b, later]);
    let r = app
        .get("/api/slots?include_booked=true", &w.advisor.token)
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![a, later]);
    assert_eq!(r.body["items"][0]["status"], "booked");
    // Learners cannot use include_booked to see who is busy.
    let r = app
        .get("/api/slots?include_booked=true", &w.learner_b.token)
        .await
        .expect(200);
    assert_eq!(ids(&r), vec![b, later]);
    // Past slots are never open.
    move_slot_to(&app, later, now() - 10 * HOUR).await;
    let r = app.get("/api/slots", &w.learner_b.token).await.expect(200);
    assert_eq!(ids(&r), vec![b]);
}

/// The next last Sunday of `month` whose preceding week is still ahead of us.
fn next_change(month: i8) -> jiff::civil::Date {
    let today = jiff::Timestamp::now().to_zoned(TimeZone::UTC).date();
    let mut year = today.year();
    loop {
        let d = last_sunday(year, month).unwrap();
        if d.checked_sub(7.days()).unwrap() > today {
            return d;
        }
        year += 1;
    }
}

fn local_of(ts: i64, tz: &str) -> String {
    jiff::Timestamp::from_second(ts)
        .unwrap()
        .to_zoned(TimeZone::get(tz).unwrap())
        .strftime("%Y-%m-%dT%H:%M%:z")
        .to_string()
}

#[rocket::async_test]
async fn weekly_patterns_keep_local_time_across_dst_changes() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let spring = next_change(3);
    let autumn = next_change(10);
    // (zone, change day, UTC hour of 09:00 local the week before, and on the day)
    let cases = [
        ("Europe/Madrid", spring, 8, 7),
        ("Europe/Lisbon", spring, 9, 8),
        ("Atlantic/Canary", spring, 9, 8),
        ("Europe/Madrid", autumn, 7, 8),
        ("Europe/Lisbon", autumn, 8, 9),
        ("Atlantic/Canary", autumn, 8, 9),
    ];
    for (i, (tz, day, before_utc, after_utc)) in cases.into_iter().enumerate() {
        // Each case gets its own advisor so the patterns do not collide.
        let advisor = app
            .user(
                &format!("pattern{i}@hub.example"),
                "Pattern Advisor",
                Role::Advisor,
                None,
                None,
            )
            .await;
        set_time_zone(&app, &advisor, tz).await;
        let week_before = day.checked_sub(7.days()).unwrap();
        let r = app
            .post(
                "/api/slots/pattern",
                &advisor.token,
                json!({
                    "weekdays": [7],
                    "start_time": "09:00",
                    "end_time": "10:30",
                    "session_minutes": 60,
                    "buffer_minutes": 15,
                    "weeks": 2,
                    "start_date": week_before.to_string(),
                    "topic": "finance",
                    "mode": "online",
                    "location": "https://meet.example/pattern"
                }),
            )
            .await
            .expect(201);
        assert_eq!(r.body["time_zone"], tz);
        let created = r.body["created"].as_array().unwrap();
        assert_eq!(created.len(), 2, "{tz} {day}: {}", r.text);
        let s0 = parse_rfc3339(created[0]["starts_at"].as_str().unwrap()).unwrap();
        let s1 = parse_rfc3339(created[1]["starts_at"].as_str().unwrap()).unwrap();
        assert_eq!(
            created[0]["starts_at"],
            format!("{week_before}T{before_utc:02}:00:00Z")
        );
        assert_eq!(
            created[1]["starts_at"],
            format!("{day}T{after_utc:02}:00:00Z")
        );
        assert!(
            local_of(s0, tz).contains("T09:00"),
            "{tz}: {}",
            local_of(s0, tz)
        );
        assert!(
            local_of(s1, tz).contains("T09:00"),
            "{tz}: {}",
            local_of(s1, tz)
        );
        // The advisor sees them at 09:00 with the right offset.
        assert!(created[1]["starts_at_local"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{day}T09:00:00")));
        assert_eq!(created[1]["duration_minutes"], 60);

        // Publishing the same pattern again creates nothing: everything overlaps.
        let again = app
            .post(
                "/api/slots/pattern",
                &advisor.token,
                json!({
                    "weekdays": [7], "start_time": "09:00", "end_time": "10:30",
                    "session_minutes": 60, "weeks": 2, "start_date": week_before.to_string(),
                    "topic": "finance", "mode": "online", "location": "https://meet.example/pattern"
                }),
            )
            .await
            .expect(201);
        assert_eq!(again.body["created"].as_array().unwrap().len(), 0);
        assert_eq!(again.body["skipped"].as_array().unwrap().len(), 2);
    }

    // A spring-forward gap: 02:00 and 02:30 do not exist in Madrid that night.
    let r = app
        .post(
            "/api/slots/pattern",
            &w.advisor2.token,
            json!({
                "weekdays": [7], "start_time": "01:00", "end_time": "04:00",
                "session_minutes": 30, "weeks": 1, "start_date": spring.to_string(),
                "time_zone": "Europe/Madrid",
                "topic": "ip", "mode": "online", "location": "https://meet.example/night"
            }),
        )
        .await
        .expect(201);
    let local: Vec<String> = r.body["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            local_of(
                parse_rfc3339(s["starts_at"].as_str().unwrap()).unwrap(),
                "Europe/Madrid",
            )
        })
        .collect();
    assert_eq!(
        local,
        [
            "T01:00+01:00",
            "T01:30+01:00",
            "T03:00+02:00",
            "T03:30+02:00"
        ]
        .map(|t| format!("{spring}{t}"))
    );
    let skipped = r.body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2);
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("does not exist"));

    // A single slot on the change day, seen from three zones.
    let start = parse_rfc3339(&format!("{spring}T09:00:00+02:00")).unwrap();
    let id = new_slot(&app, &w.advisor, start).await;
    let _ = id;
    for (viewer, tz, expect) in [
        (&w.learner_a, "Europe/Madrid", "T09:00:00+02:00"),
        (&w.learner_b, "Europe/Lisbon", "T08:00:00+01:00"),
        (&w.learner_a2, "Atlantic/Canary", "T08:00:00+01:00"),
    ] {
        set_time_zone(&app, viewer, tz).await;
        let r = app
            .get(
                &format!("/api/slots?advisor_id={}", w.advisor.id),
                &viewer.token,
            )
            .await
            .expect(200);
        assert_eq!(
            r.body["items"][0]["starts_at"],
            format!("{spring}T07:00:00Z")
        );
        assert_eq!(
            r.body["items"][0]["starts_at_local"],
            format!("{spring}{expect}")
        );
        assert_eq!(r.body["items"][0]["time_zone"], tz);
    }

    // Bad patterns say which field is wrong.
    for (patch, field) in [
        (json!({"weekdays": [0, 8]}), "weekdays"),
        (json!({"weekdays": []}), "weekdays"),
        (json!({"start_time": "9am"}), "start_time"),
        (json!({"end_time": "08:00"}), "end_time"),
        (json!({"session_minutes": 5}), "session_minutes"),
        (json!({"weeks": 0}), "weeks"),
        (json!({"weeks": 60}), "weeks"),
        (json!({"time_zone": "Europe/Atlantis"}), "time_zone"),
        (json!({"start_date": "2020-01-01"}), "start_date"),
        (json!({"start_date": "next monday"}), "start_date"),
        (json!({"topic": "astrology"}), "topic"),
    ] {
        let mut body = json!({
            "weekdays": [1, 3], "start_time": "09:00", "end_time": "13:00",
            "session_minutes": 45, "buffer_minutes": 15, "weeks": 2,
            "topic": "finance", "mode": "online", "location": "https://meet.example/x"
        });
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/api/slots/pattern", &w.advisor.token, body).await;
        assert_problem(&r, 422);
        assert!(
            r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {}",
            r.text
        );
    }
    assert_problem(
        &app.post("/api/slots/pattern", &w.learner_a.token, json!({}))
            .await,
        403,
    );
}

#[rocket::async_test]
async fn fifty_concurrent_bookings_for_one_slot_give_exactly_one_201() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let slot = new_slot(&app, &w.advisor, in_hours(72)).await;
    let crowd = learners(&app, &w, 50, "race").await;
    let path = format!("/api/slots/{slot}/booking");
    let responses = join_all(
        crowd
            .iter()
            .map(|l| app.post(&path, &l.token, json!({"note": "me first"}))),
    )
    .await;
    let created = responses.iter().filter(|r| r.status.code == 201).count();
    let conflicts = responses.iter().filter(|r| r.status.code == 409).count();
    let others: Vec<&str> = responses
        .iter()
        .filter(|r| r.status.code != 201 && r.status.code != 409)
        .map(|r| r.text.as_str())
        .collect();
    assert!(others.is_empty(), "unexpected answers: {others:?}");
    assert_eq!((created, conflicts), (1, 49));
    for r in responses.iter().filter(|r| r.status.code == 409) {
        assert_problem(r, 409);
    }
    let all = app
        .get("/api/bookings?status=active", &w.admin.token)
        .await
        .expect(200);
    assert_eq!(ids(&all).len(), 1);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bookings WHERE slot_id = $1")
        .bind(slot)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    // The database itself refuses a second active booking for the slot.
    let direct = sqlx::query(
        "INSERT INTO bookings (slot_id, learner_id, sme_id, note, status, uid, sequence, created_at, updated_at)
         VALUES ($1, $2, $3, '', 'active', 'direct-uid', 0, 0, 0)",
    )
    .bind(slot)
    .bind(w.learner_a.id)
    .bind(w.sme_a)
    .execute(app.pool())
    .await
    .expect_err("a second active booking must be refused");
    assert!(academy::error::is_unique_violation(&direct), "{direct}");
}

#[rocket::async_test]
async fn two_app_instances_on_one_database_book_a_slot_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let other = app.second_instance().await;
    let slot = new_slot(&app, &w.advisor, in_hours(72)).await;
    let crowd = learners(&app, &w, 40, "two").await;
    let path = format!("/api/slots/{slot}/booking");
    let body = json!({"note": "two processes"});
    let responses = join_all(crowd.iter().enumerate().map(|(i, l)| {
        let (path, body, other, app) = (&path, &body, &other, &app);
        async move {
            if i % 2 == 0 {
                app.post(path, &l.token, body.clone()).await
            } else {
                post_via(other, path, &l.token, body).await
            }
        }
    }))
    .await;
    let codes: Vec<u16> = responses.iter().map(|r| r.status.code).collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 39, "{codes:?}");
}

#[rocket::async_test]
async fn minimum_notice_and_maximum_upcoming_bookings() {
    let app = TestApp::with(|f| {
        f.merge(("booking_min_notice_hours", 48))
            .merge(("booking_max_per_learner", 2))
    })
    .await;
    let w = app.world().await;
    let soon = new_slot(&app, &w.advisor, in_hours(24)).await;
    let r = book(&app, &w.learner_a, soon).await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["code"], "booking.notice", "{}", r.text);
    assert_eq!(r.body["errors"][0]["params"]["hours"], 48);

    let s1 = new_slot(&app, &w.advisor, in_hours(72)).await;
    let s2 = new_slot(&app, &w.advisor, in_hours(96)).await;
    let s3 = new_slot(&app, &w.advisor, in_hours(120)).await;
    let b1 = book_ok(&app, &w.learner_a, s1).await;
    book_ok(&app, &w.learner_a, s2).await;
    let r = book(&app, &w.learner_a, s3).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("at most 2"), "{}", r.text);
    // Another learner is not affected; a cancellation frees a place.
    app.post(
        &format!("/api/bookings/{b1}/cancellation"),
        &w.learner_a.token,
        json!({"reason": "plans changed"}),
    )
    .await
    .expect(200);
    book_ok(&app, &w.learner_a, s3).await;

    // Two sessions at the same time (different advisors) are refused.
    let clash_a = new_slot(&app, &w.advisor, in_hours(200)).await;
    let clash_b = new_slot(&app, &w.advisor2, in_hours(200)).await;
    book_ok(&app, &w.learner_b, clash_a).await;
    let r = book(&app, &w.learner_b, clash_b).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("at that time"), "{}", r.text);

    // Taken, unknown, past, wrong role, bad body.
    assert_problem(&book(&app, &w.learner_a2, s3).await, 409);
    assert_problem(&book(&app, &w.learner_a2, 999_999).await, 404);
    let past = new_slot(&app, &w.advisor, in_hours(300)).await;
    move_slot_to(&app, past, now() - HOUR).await;
    let r = book(&app, &w.learner_a2, past).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("already started"), "{}", r.text);
    let free = new_slot(&app, &w.advisor, in_hours(400)).await;
    assert_problem(
        &book(
            &app,
            &TestUser {
                id: 0,
                email: String::new(),
                token: w.advisor.token.clone(),
            },
            free,
        )
        .await,
        403,
    );
    assert_problem(
        &book(
            &app,
            &TestUser {
                id: 0,
                email: String::new(),
                token: w.coord_a.token.clone(),
            },
            free,
        )
        .await,
        403,
    );
    let long = "x".repeat(1001);
    assert_problem(
        &app.post(
            &format!("/api/slots/{free}/booking"),
            &w.learner_a2.token,
            json!({"note": long}),
        )
        .await,
        422,
    );
    assert_problem(
        &app.post(
            &format!("/api/slots/{free}/booking"),
            &w.learner_a2.token,
            json!({"note": 42}),
        )
        .await,
        422,
    );
}

#[rocket::async_test]
async fn cancellation_cut_off_reopens_the_slot_and_keeps_history() {
    let app = TestApp::new().await; // cut-off 24 h, notice 2 h
    let w = app.world().await;
    let slot = new_slot(&app, &w.advisor, in_hours(10)).await;
    let b = book_ok(&app, &w.learner_a, slot).await;
    let path = format!("/api/bookings/{b}/cancellation");

    // Inside the cut-off the learner is refused and told why; the advisor may cancel.
    let r = app
        .post(&path, &w.learner_a.token, json!({"reason": "ill"}))
        .await;
    assert_problem(&r, 422);
    assert!(r.text.contains("24 hours"), "{}", r.text);
    assert_problem(
        &app.post(&path, &w.advisor.token, json!({"reason": ""}))
            .await,
        422,
    );
    assert_problem(
        &app.post(&path, &w.coord_a.token, json!({"reason": "x"}))
            .await,
        403,
    );
    assert_problem(
        &app.post(&path, &w.advisor2.token, json!({"reason": "x"}))
            .await,
        404,
    );
    assert_problem(
        &app.post(&path, &w.learner_a2.token, json!({"reason": "x"}))
            .await,
        404,
    );
    let r = app
        .post(
            &path,
            &w.advisor.token,
            json!({"reason": "advisor travelling"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["cancelled_by"], w.advisor.id);
    assert_eq!(r.body["cancelled_by_role"], "advisor");
    assert_eq!(r.body["cancel_reason"], "advisor travelling");
    assert!(r.body["cancelled_at"].is_string());
    assert_eq!(r.body["sequence"], 1);
    assert_problem(
        &app.post(&path, &w.advisor.token, json!({"reason": "again"}))
            .await,
        409,
    );

    // The learner was told.
    let n = app
        .get("/api/bookings/notifications", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(n.body["items"][0]["booking_id"], b);
    assert!(n.body["items"][0]["message"]
        .as_str()
        .unwrap()
        .contains("advisor travelling"));

    // The slot is open again and can be rebooked.
    let open = app.get("/api/slots", &w.learner_a2.token).await.expect(200);
    assert_eq!(ids(&open), vec![slot]);
    let b2 = book_ok(&app, &w.learner_a2, slot).await;
    assert_ne!(b, b2);
    // The cancelled booking shows that its slot is now taken by someone else.
    let old = app
        .get(&format!("/api/bookings/{b}"), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(old.body["status"], "cancelled");
    assert_eq!(old.body["slot"]["status"], "booked");
    // History: both bookings of the slot are kept.
    let all = app.get("/api/bookings", &w.advisor.token).await.expect(200);
    let statuses: Vec<(i64, String)> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_i64().unwrap(),
                i["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![(b, "cancelled".into()), (b2, "active".into())]
    );
    let first = app
        .get("/api/bookings?limit=1", &w.advisor.token)
        .await
        .expect(200);
    assert_eq!(ids(&first), vec![b]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .get(
            &format!("/api/bookings?limit=1&cursor={cursor}"),
            &w.advisor.token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&second), vec![b2]);
    assert!(second.body["next_cursor"].is_null());
    let active = app
        .get("/api/bookings?status=active", &w.advisor.token)
        .await
        .expect(200);
    assert_eq!(ids(&active), vec![b2]);
    assert_problem(
        &app.get("/api/bookings?status=maybe", &w.advisor.token)
            .await,
        422,
    );

    // Before the cut-off the learner may cancel; the advisor is told.
    let later = new_slot(&app, &w.advisor, in_hours(48)).await;
    let b3 = book_ok(&app, &w.learner_b, later).await;
    let r = app
        .post(
            &format!("/api/bookings/{b3}/cancellation"),
            &w.learner_b.token,
            json!({"reason": "found an answer"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["cancelled_by_role"], "learner");
    assert_eq!(r.body["cancelled_by"], w.learner_b.id);
    let n = app
        .get("/api/bookings/notifications", &w.advisor.token)
        .await
        .expect(200);
    assert_eq!(n.body["items"][0]["booking_id"], b3);
    let open = app.get("/api/slots", &w.learner_a.token).await.expect(200);
    assert!(ids(&open).contains(&later));
}

#[rocket::async_test]
async fn withdrawing_a_booked_slot_cancels_the_booking_and_tells_the_learner() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let slot = new_slot(&app, &w.advisor, in_hours(50)).await;
    let b = book_ok(&app, &w.learner_b, slot).await;
    assert_problem(
        &app.delete(&format!("/api/slots/{slot}"), &w.advisor2.token)
            .await,
        404,
    );
    assert_problem(
        &app.delete(&format!("/api/slots/{slot}"), &w.learner_b.token)
            .await,
        403,
    );
    assert_problem(
        &app.delete("/api/slots/999999", &w.advisor.token).await,
        404,
    );
    app.delete(&format!("/api/slots/{slot}"), &w.advisor.token)
        .await
        .expect(204);
    assert_problem(
        &app.delete(&format!("/api/slots/{slot}"), &w.advisor.token)
            .await,
        404,
    );

    let r = app
        .get(&format!("/api/bookings/{b}"), &w.learner_b.token)
        .await
        .expect(200);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["slot"]["status"], "withdrawn");
    assert_eq!(r.body["cancelled_by_role"], "advisor");
    assert_eq!(r.body["cancelled_by"], w.advisor.id);
    let n = app
        .get("/api/bookings/notifications", &w.learner_b.token)
        .await
        .expect(200);
    assert_eq!(n.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(n.body["items"][0]["kind"], "booking_cancelled");
    // Nobody typed a reason: none is stored, and each reader is told in their own words.
    assert!(r.body["cancel_reason"].is_null(), "{}", r.text);
    let es = app
        .get("/api/bookings/notifications?lang=es", &w.learner_b.token)
        .await
        .expect(200);
    let message = es.body["items"][0]["message"].as_str().unwrap();
    assert!(message.contains("retiró el horario"), "{message}");
    assert!(!message.contains("withdrew"), "{message}");
    assert!(
        app.get("/api/slots", &w.learner_a.token).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_problem(&book(&app, &w.learner_a, slot).await, 404);
    // The time is free again for the advisor.
    new_slot(&app, &w.advisor, in_hours(50)).await;
    // A slot that has started cannot be withdrawn.
    let started = new_slot(&app, &w.advisor, in_hours(90)).await;
    move_slot_to(&app, started, now() - 60).await;
    assert_problem(
        &app.delete(&format!("/api/slots/{started}"), &w.advisor.token)
            .await,
        422,
    );
}

fn parse_ics(r: &Resp) -> (Calendar, icalendar::Event) {
    let cal: Calendar = r.text.parse().expect("a valid iCalendar file");
    let event = cal.events().next().expect("one VEVENT").clone();
    (cal, event)
}

/// The start of the file's event, resolved through its own VTIMEZONE; also checks that the
/// icalendar crate reads DTSTART as a time in that zone.
fn ics_start(r: &Resp, zone: &str) -> i64 {
    let (_, e) = parse_ics(r);
    match e.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { tzid, .. })) => {
            assert_eq!(tzid, zone)
        }
        other => panic!("DTSTART is not in {zone}: {other:?}"),
    }
    let (at, tzid) = ics_instant(&r.text, "DTSTART");
    assert_eq!(tzid.as_deref(), Some(zone));
    at
}

#[rocket::async_test]
async fn invites_are_valid_icalendar_with_stable_uid_and_growing_sequence() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // A winter date next year: 10:00 in Madrid is 09:00 in Lisbon and 09:00Z.
    let year = jiff::Timestamp::now().to_zoned(TimeZone::UTC).year() + 1;
    let start = parse_rfc3339(&format!("{year}-01-12T10:00:00+01:00")).unwrap();
    let slot = new_slot(&app, &w.advisor, start).await;
    let b = book_ok(&app, &w.learner_b, slot).await;
    let path = format!("/api/bookings/{b}/invite.ics");

    let r = app.get(&path, &w.learner_b.token).await.expect(200);
    assert!(
        r.content_type
            .as_deref()
            .unwrap()
            .starts_with("text/calendar"),
        "{:?}",
        r.content_type
    );
    assert!(r.header("Content-Disposition").unwrap().contains(".ics"));
    assert!(r.text.contains("\r\n"));
    let (cal, e) = parse_ics(&r);
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    let uid = e.get_uid().unwrap().to_string();
    assert_eq!(e.get_sequence(), Some(0));
    assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
    // Written in the reader's zone (João is in Lisbon) with its VTIMEZONE.
    assert_eq!(ics_start(&r, "Europe/Lisbon"), start);
    assert!(
        r.text
            .contains(&format!("DTSTART;TZID=Europe/Lisbon:{year}0112T090000")),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains(&format!("DTEND;TZID=Europe/Lisbon:{year}0112T100000")),
        "{}",
        r.text
    );
    assert_eq!(ics_instant(&r.text, "DTEND").0, start + 3600);
    assert!(r.text.contains("BEGIN:VTIMEZONE"), "{}", r.text);
    // The calendar's link opens the booking page, not the API (which would answer 401).
    let url = e.property_value("URL").expect("a URL");
    assert!(
        url.ends_with("/#/advice") && !url.contains("/api/"),
        "{url}"
    );
    assert_eq!(e.get_summary(), Some("IberoBio advisory session: finance"));
    assert!(e.get_description().unwrap().contains("Series A"));
    assert_eq!(e.get_location(), Some("https://meet.example/room-1"));

    // In the reader's language: João switches to Portuguese.
    app.patch("/api/me", &w.learner_b.token, json!({"locale": "pt"}))
        .await
        .expect(200);
    let (_, pt) = parse_ics(&app.get(&path, &w.learner_b.token).await.expect(200));
    assert_eq!(
        pt.get_summary(),
        Some("Sessão de aconselhamento IberoBio: financiamento")
    );
    assert!(pt.get_description().unwrap().contains("Nota: "));
    // The advisor gets the same event, in Madrid time.
    let r2 = app.get(&path, &w.advisor.token).await.expect(200);
    let (_, e2) = parse_ics(&r2);
    assert_eq!(e2.get_uid(), Some(uid.as_str()));
    assert_eq!(ics_start(&r2, "Europe/Madrid"), start);
    assert!(r2
        .text
        .contains(&format!("DTSTART;TZID=Europe/Madrid:{year}0112T100000")));

    // Others: 404 (not theirs) or 403 (role).
    assert_problem(&app.get(&path, &w.learner_a.token).await, 404);
    assert_problem(&app.get(&path, &w.advisor2.token).await, 404);
    assert_problem(&app.get(&path, &w.coord_b.token).await, 403);
    assert_problem(
        &app.get("/api/bookings/999999/invite.ics", &w.learner_b.token)
            .await,
        404,
    );

    // After cancellation: same UID, SEQUENCE 1, STATUS:CANCELLED.
    app.post(
        &format!("/api/bookings/{b}/cancellation"),
        &w.learner_b.token,
        json!({"reason": "no longer needed"}),
    )
    .await
    .expect(200);
    let r3 = app.get(&path, &w.learner_b.token).await.expect(200);
    let (_, e3) = parse_ics(&r3);
    assert_eq!(e3.get_uid(), Some(uid.as_str()));
    assert_eq!(e3.get_sequence(), Some(1));
    assert_eq!(e3.get_status(), Some(EventStatus::Cancelled));
    assert_eq!(ics_start(&r3, "Europe/Lisbon"), start);

    // A summer session: DST in both zones.
    let summer = parse_rfc3339(&format!("{year}-07-06T09:00:00Z")).unwrap();
    let slot = new_slot(&app, &w.advisor2, summer).await;
    let b = book_ok(&app, &w.learner_a, slot).await;
    let r = app
        .get(&format!("/api/bookings/{b}/invite.ics"), &w.learner_a.token)
        .await
        .expect(200);
    let (_, e) = parse_ics(&r);
    assert_ne!(e.get_uid(), Some(uid.as_str()));
    assert_eq!(ics_start(&r, "Europe/Madrid"), summer);
    assert!(r
        .text
        .contains(&format!("DTSTART;TZID=Europe/Madrid:{year}0706T110000")));
    assert_eq!(
        local_of(summer, "Europe/Lisbon"),
        format!("{year}-07-06T10:00+01:00")
    );
}

#[rocket::async_test]
async fn outcomes_are_recorded_by_the_advisor_and_notes_stay_private() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let slot = new_slot(&app, &w.advisor, in_hours(30)).await;
    let b = book_ok(&app, &w.learner_a, slot).await;
    let path = format!("/api/bookings/{b}/outcome");
    let body = json!({"attended": true, "notes": "Strong team; weak IP position. Follow up."});

    // Not before the session starts.
    let r = app.put(&path, &w.advisor.token, body.clone()).await;
    assert_problem(&r, 422);
    assert!(r.text.contains("not started"), "{}", r.text);
    move_slot_to(&app, slot, now() - 2 * HOUR).await;
    assert_problem(&app.put(&path, &w.learner_a.token, body.clone()).await, 403);
    assert_problem(&app.put(&path, &w.coord_a.token, body.clone()).await, 403);
    assert_problem(&app.put(&path, &w.advisor2.token, body.clone()).await, 404);
    assert_problem(
        &app.put(&path, &w.advisor.token, json!({"notes": "x"}))
            .await,
        422,
    );
    assert_problem(
        &app.put(&path, &w.advisor.token, json!({"attended": "yes"}))
            .await,
        422,
    );
    let r = app
        .put(&path, &w.advisor.token, body.clone())
        .await
        .expect(200);
    assert_eq!(r.body["outcome"]["attended"], true);
    assert_eq!(
        r.body["outcome"]["notes"],
        "Strong team; weak IP position. Follow up."
    );

    // Who sees the notes.
    let learner = app
        .get(&format!("/api/bookings/{b}"), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(learner.body["outcome"]["attended"], true);
    assert!(
        learner.body["outcome"].get("notes").is_none(),
        "{}",
        learner.text
    );
    assert!(!learner.text.contains("weak IP"));
    let list = app
        .get("/api/bookings", &w.learner_a.token)
        .await
        .expect(200);
    assert!(!list.text.contains("weak IP"));
    for viewer in [&w.coord_a, &w.admin, &w.advisor] {
        let r = app
            .get(&format!("/api/bookings/{b}"), &viewer.token)
            .await
            .expect(200);
        assert!(r.text.contains("weak IP"), "{}", viewer.email);
    }
    assert_problem(
        &app.get(&format!("/api/bookings/{b}"), &w.coord_b.token)
            .await,
        404,
    );
    assert_problem(
        &app.get(&format!("/api/bookings/{b}"), &w.learner_a2.token)
            .await,
        404,
    );

    // A no-show can be corrected; a cancelled booking takes no outcome.
    app.put(&path, &w.advisor.token, json!({"attended": false}))
        .await
        .expect(200);
    app.put(&path, &w.advisor.token, body).await.expect(200);
    let other = new_slot(&app, &w.advisor, in_hours(40)).await;
    let b2 = book_ok(&app, &w.learner_b, other).await;
    app.post(
        &format!("/api/bookings/{b2}/cancellation"),
        &w.advisor.token,
        json!({"reason": "sick"}),
    )
    .await
    .expect(200);
    move_slot_to(&app, other, now() - HOUR).await;
    assert_problem(
        &app.put(
            &format!("/api/bookings/{b2}/outcome"),
            &w.advisor.token,
            json!({"attended": true}),
        )
        .await,
        409,
    );

    // The per-SME report counts attended sessions.
    let all = academy::bookings::attended_sessions_by_sme(app.pool(), academy::orgs::SmeScope::All)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].sme_id, w.sme_a);
    assert_eq!(all[0].attended, 1);
    assert_eq!(all[0].by_quarter.iter().map(|q| q.attended).sum::<i64>(), 1);
    let b_only = academy::bookings::attended_sessions_by_sme(
        app.pool(),
        academy::orgs::SmeScope::Partner(w.partner_b),
    )
    .await
    .unwrap();
    assert!(b_only.is_empty());
}

#[rocket::async_test]
async fn each_role_sees_only_its_bookings() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let s1 = new_slot(&app, &w.advisor, in_hours(30)).await;
    let s2 = new_slot(&app, &w.advisor2, in_hours(30)).await;
    let s3 = new_slot(&app, &w.advisor, in_hours(60)).await;
    let a = book_ok(&app, &w.learner_a, s1).await;
    let bb = book_ok(&app, &w.learner_b, s2).await;
    let a2 = book_ok(&app, &w.learner_a2, s3).await;

    let seen = |r: Resp| {
        let mut v = ids(&r);
        v.sort();
        v
    };
    assert_eq!(
        seen(
            app.get("/api/bookings", &w.learner_a.token)
                .await
                .expect(200)
        ),
        vec![a]
    );
    assert_eq!(
        seen(
            app.get("/api/bookings", &w.learner_b.token)
                .await
                .expect(200)
        ),
        vec![bb]
    );
    assert_eq!(
        seen(app.get("/api/bookings", &w.advisor.token).await.expect(200)),
        vec![a, a2]
    );
    assert_eq!(
        seen(
            app.get("/api/bookings", &w.advisor2.token)
                .await
                .expect(200)
        ),
        vec![bb]
    );
    assert_eq!(
        seen(app.get("/api/bookings", &w.coord_a.token).await.expect(200)),
        vec![a, a2]
    );
    assert_eq!(
        seen(app.get("/api/bookings", &w.coord_b.token).await.expect(200)),
        vec![bb]
    );
    let mut everyone = vec![a, a2, bb];
    everyone.sort();
    assert_eq!(
        seen(app.get("/api/bookings", &w.admin.token).await.expect(200)),
        everyone
    );
    assert_problem(&app.get_anon("/api/bookings").await, 401);

    // Items carry slot, learner, SME and status.
    let r = app.get("/api/bookings", &w.coord_a.token).await.expect(200);
    let item = &r.body["items"][0];
    assert_eq!(item["learner"]["name"], "Ana Núñez");
    assert_eq!(item["sme"]["id"], w.sme_a);
    assert_eq!(item["sme"]["name"], "SME A");
    assert_eq!(item["slot"]["id"], s1);
    assert_eq!(item["slot"]["advisor_name"], "Inês Advisor");
    assert_eq!(item["status"], "active");
    assert_eq!(item["note"], "We need help with a Series A term sheet");

    // Another learner's booking is a 404 everywhere, never a 403.
    for path in [
        format!("/api/bookings/{a}"),
        format!("/api/bookings/{a}/invite.ics"),
    ] {
        assert_problem(&app.get(&path, &w.learner_a2.token).await, 404);
        assert_problem(&app.get(&path, &w.learner_b.token).await, 404);
        assert_problem(&app.get(&path, &w.advisor2.token).await, 404);
    }
    assert_problem(
        &app.get(&format!("/api/bookings/{a}"), &w.coord_b.token)
            .await,
        404,
    );
    assert_problem(
        &app.post(
            &format!("/api/bookings/{a}/cancellation"),
            &w.learner_b.token,
            json!({"reason": "x"}),
        )
        .await,
        404,
    );
    assert_problem(
        &app.get("/api/bookings/not-a-number", &w.learner_a.token)
            .await,
        404,
    );
    assert_problem(
        &app.get("/api/bookings?from=soon", &w.learner_a.token).await,
        422,
    );

    // The OpenAPI document lists the booking routes.
    let doc = app.get_anon("/api/openapi.json").await.expect(200);
    for p in [
        "/api/slots",
        "/api/slots/pattern",
        "/api/slots/{id}/booking",
        "/api/bookings/{id}/invite.ics",
        "/api/bookings/{id}/outcome",
    ] {
        assert!(
            doc.body["paths"].get(p).is_some(),
            "{p} missing from OpenAPI"
        );
    }
}

#[rocket::async_test]
async fn one_learner_racing_for_many_slots_stays_within_the_limit() {
    let app = TestApp::with(|f| f.merge(("booking_max_per_learner", 3))).await;
    let w = app.world().await;
    let mut slots = Vec::new();
    for i in 0..12 {
        slots.push(new_slot(&app, &w.advisor, in_hours(48 + 2 * i)).await);
    }
    let responses = join_all(slots.iter().map(|s| book(&app, &w.learner_a, *s))).await;
    let created = responses.iter().filter(|r| r.status.code == 201).count();
    let refused = responses.iter().filter(|r| r.status.code == 422).count();
    assert_eq!(
        (created, refused),
        (3, 9),
        "{:?}",
        responses.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let mine = app
        .get("/api/bookings?status=active", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(ids(&mine).len(), 3);
}
