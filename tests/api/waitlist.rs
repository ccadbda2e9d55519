//! The waitlist: learners wait for an advisor or a topic at the days and local times that suit
//! them; an opened slot is held for the first one it fits (and only they may book it) until
//! the hold expires, then it passes on; exactly one hold per slot under any concurrency, in
//! one process and across two.

use academy::bookings::waitlist::{self, Rules};
use academy::bookings::{insert_slots, NewSlot};
use academy::clock::{now, rfc3339};
use academy::domain::{Mode, Topic};
use futures::future::join_all;
use rocket_db_pools::Database;
use serde_json::{json, Value};

use crate::common::{assert_problem, post_via, Resp, TestApp, TestUser, World};

const HOUR: i64 = 3600;

fn in_hours(hours: i64) -> i64 {
    (now() / HOUR + hours) * HOUR
}

fn rules() -> Rules {
    Rules {
        hold_seconds: 120 * 60,
        notice_seconds: 2 * HOUR,
        max_active: 3,
    }
}

async fn slot_at(app: &TestApp, advisor: &TestUser, starts_at: i64) -> i64 {
    app.post(
        "/api/slots",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + HOUR),
            "topic": "finance",
            "mode": "online",
            "location": "https://meet.example/room-3",
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

/// Wait for anything of `w.advisor` on any day at any time.
async fn wait_any(app: &TestApp, learner: &TestUser, advisor: i64) -> Value {
    app.post(
        "/api/me/waitlist",
        &learner.token,
        json!({"advisor_id": advisor, "weekdays": [1,2,3,4,5,6,7], "from": "00:00", "to": "24:00"}),
    )
    .await
    .expect(201)
    .body
}

async fn mine(app: &TestApp, learner: &TestUser) -> Vec<Value> {
    app.get("/api/me/waitlist", &learner.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The slot held for the learner's first entry, if any.
async fn held_slot(app: &TestApp, learner: &TestUser) -> Option<i64> {
    mine(app, learner).await.first()?["hold"]["slot"]["id"].as_i64()
}

async fn book(app: &TestApp, learner: &TestUser, slot: i64) -> Resp {
    app.post(
        &format!("/api/slots/{slot}/booking"),
        &learner.token,
        json!({"note": "waited for this"}),
    )
    .await
}

async fn cancel(app: &TestApp, user: &TestUser, booking: i64) {
    app.post(
        &format!("/api/bookings/{booking}/cancellation"),
        &user.token,
        json!({"reason": "something came up"}),
    )
    .await
    .expect(200);
}

async fn active_holds(app: &TestApp, slot: i64) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT learner_id, expires_at FROM waitlist_holds WHERE slot_id = $1 AND status = 'active'",
    )
    .bind(slot)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

async fn listed(app: &TestApp, user: &TestUser, query: &str) -> Vec<(i64, String)> {
    app.get(&format!("/api/slots{query}"), &user.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A slot booked by learner_b; learner_a then learner_a2 wait for its advisor.
async fn taken_slot_with_two_waiting(app: &TestApp, w: &World) -> (i64, i64) {
    let slot = slot_at(app, &w.advisor, in_hours(72)).await;
    let booking = book(app, &w.learner_b, slot).await.expect(201).body["id"]
        .as_i64()
        .unwrap();
    let first = wait_any(app, &w.learner_a, w.advisor.id).await;
    assert_eq!(first["position"], 1);
    assert!(first["hold"].is_null(), "nothing is open yet: {first}");
    let second = wait_any(app, &w.learner_a2, w.advisor.id).await;
    assert_eq!(second["position"], 2);
    (slot, booking)
}

#[rocket::async_test]
async fn a_cancelled_slot_is_held_for_the_first_waiting_then_passes_to_the_next() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (slot, booking) = taken_slot_with_two_waiting(&app, &w).await;

    cancel(&app, &w.learner_b, booking).await;
    // The first in line holds it, for two hours, and is told by mail.
    assert_eq!(held_slot(&app, &w.learner_a).await, Some(slot));
    assert_eq!(held_slot(&app, &w.learner_a2).await, None);
    let holds = active_holds(&app, slot).await;
    assert_eq!(holds.len(), 1);
    assert!((holds[0].1 - (now() + 2 * HOUR)).abs() < 60, "{holds:?}");
    let (to, subject): (String, String) = sqlx::query_as(
        "SELECT recipient, subject FROM outbox WHERE kind = 'waitlist_hold' ORDER BY id DESC",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(to, w.learner_a.email);
    assert!(subject.contains("Held for you until"), "{subject}");

    // Nobody else may take it meanwhile, and others do not see it listed.
    let refused = book(&app, &w.learner_a2, slot).await;
    assert_problem(&refused, 409);
    assert_eq!(refused.body["code"], "slot.held");
    assert!(!listed(&app, &w.learner_a2, "")
        .await
        .iter()
        .any(|s| s.0 == slot));
    assert!(listed(&app, &w.learner_a, "")
        .await
        .contains(&(slot, "held".to_string())));
    assert!(listed(&app, &w.advisor, "?include_booked=true")
        .await
        .contains(&(slot, "held".to_string())));

    // Unclaimed for two hours: the periodic job passes it to the next one.
    let later = now() + 2 * HOUR + 60;
    let made = waitlist::run(app.pool(), later, rules(), None)
        .await
        .unwrap();
    assert_eq!(made, 1);
    let holds = active_holds(&app, slot).await;
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].0, w.learner_a2.id);
    let first = &mine(&app, &w.learner_a).await[0];
    assert_eq!(first["status"], "waiting", "still waiting for another slot");
    assert!(first["hold"].is_null());

    // The second declines: nobody else waits, so the slot is open to anyone again, and the
    // first is never offered the same slot twice.
    let hold_id = mine(&app, &w.learner_a2).await[0]["hold"]["id"]
        .as_i64()
        .unwrap();
    let declined = app
        .post(
            &format!("/api/waitlist/holds/{hold_id}/decline"),
            &w.learner_a2.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(declined.body["status"], "waiting");
    assert!(active_holds(&app, slot).await.is_empty());
    assert!(listed(&app, &w.learner_b, "")
        .await
        .contains(&(slot, "open".to_string())));
    // Declining again (or someone else's hold) finds nothing.
    assert_problem(
        &app.post(
            &format!("/api/waitlist/holds/{hold_id}/decline"),
            &w.learner_a2.token,
            json!({}),
        )
        .await,
        404,
    );
}

#[rocket::async_test]
async fn the_holder_books_the_held_slot_and_leaves_the_list() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let (slot, booking) = taken_slot_with_two_waiting(&app, &w).await;
    // The advisor moves learner_b to another slot: the old one opens and is held.
    let other = slot_at(&app, &w.advisor, in_hours(96)).await;
    // A new slot is offered at once too: learner_a holds it (first in line) ...
    assert_eq!(held_slot(&app, &w.learner_a).await, Some(other));
    // ... so it is not free for the move; a learner with a hold cannot be moved into it.
    let refused = app
        .post(
            &format!("/api/bookings/{booking}/reschedule"),
            &w.advisor.token,
            json!({"slot_id": other}),
        )
        .await;
    assert_problem(&refused, 409);
    assert_eq!(refused.body["code"], "slot.held");
    // learner_a books what is held for them: the hold is claimed, the entry is done.
    book(&app, &w.learner_a, other).await.expect(201);
    let entries = mine(&app, &w.learner_a).await;
    assert_eq!(entries[0]["status"], "booked");
    assert!(entries[0]["hold"].is_null());
    assert!(entries[0]["position"].is_null());
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM waitlist_holds WHERE slot_id = $1")
            .bind(other)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(status, "claimed");
    // learner_a2 is now first in line, and the original slot's cancellation goes to them.
    assert_eq!(mine(&app, &w.learner_a2).await[0]["position"], 1);
    cancel(&app, &w.advisor, booking).await;
    assert_eq!(held_slot(&app, &w.learner_a2).await, Some(slot));
    book(&app, &w.learner_a2, slot).await.expect(201);
    // Leaving a finished entry is a conflict; someone else's entry is not found.
    let id = entries[0]["id"].as_i64().unwrap();
    assert_problem(
        &app.delete(&format!("/api/me/waitlist/{id}"), &w.learner_a.token)
            .await,
        409,
    );
    assert_problem(
        &app.delete(&format!("/api/me/waitlist/{id}"), &w.learner_b.token)
            .await,
        404,
    );
}

#[rocket::async_test]
async fn holds_follow_the_learners_days_and_local_times_in_their_zone() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // A Tuesday at least four days ahead, 09:00 in Lisbon = 10:00 in Madrid.
    let mut day = jiff::Timestamp::from_second(in_hours(96))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap())
        .date();
    while day.weekday() != jiff::civil::Weekday::Tuesday {
        day = day.tomorrow().unwrap();
    }
    let nine_lisbon = day
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/Lisbon").unwrap())
        .unwrap()
        .timestamp()
        .as_second();
    // Ana (Madrid, first in line) can come on Tuesdays 09:00-10:00 her time; João (Lisbon)
    // on Tuesdays 09:00-10:00 his time; Bruno only on Mondays.
    let wish =
        |days: Value| json!({"topic": "finance", "weekdays": days, "from": "09:00", "to": "10:00"});
    app.post("/api/me/waitlist", &w.learner_a.token, wish(json!([2])))
        .await
        .expect(201);
    app.post("/api/me/waitlist", &w.learner_a2.token, wish(json!([1])))
        .await
        .expect(201);
    app.post("/api/me/waitlist", &w.learner_b.token, wish(json!([2])))
        .await
        .expect(201);
    // 09:00 Lisbon is 10:00 Madrid: only João's window holds it, though Ana waited longer.
    let slot = slot_at(&app, &w.advisor2, nine_lisbon).await;
    assert_eq!(held_slot(&app, &w.learner_b).await, Some(slot));
    assert_eq!(held_slot(&app, &w.learner_a).await, None);
    assert_eq!(held_slot(&app, &w.learner_a2).await, None);
    // An hour earlier is 09:00 in Madrid: Ana's.
    let earlier = slot_at(&app, &w.advisor2, nine_lisbon - HOUR).await;
    assert_eq!(held_slot(&app, &w.learner_a).await, Some(earlier));
    // The hold is shown in the reader's zone.
    let hold = &mine(&app, &w.learner_b).await[0]["hold"];
    assert!(
        hold["slot"]["starts_at_local"]
            .as_str()
            .unwrap()
            .ends_with("T09:00:00+00:00")
            || hold["slot"]["starts_at_local"]
                .as_str()
                .unwrap()
                .ends_with("T09:00:00+01:00"),
        "{hold}"
    );
}

#[rocket::async_test]
async fn joining_when_a_slot_already_fits_holds_it_at_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let slot = slot_at(&app, &w.advisor, in_hours(50)).await;
    let entry = wait_any(&app, &w.learner_b, w.advisor.id).await;
    assert_eq!(entry["hold"]["slot"]["id"], slot, "{entry}");
    // Leaving passes it on (nobody else waits: it is open again).
    let id = entry["id"].as_i64().unwrap();
    app.delete(&format!("/api/me/waitlist/{id}"), &w.learner_b.token)
        .await
        .expect(204);
    assert!(active_holds(&app, slot).await.is_empty());
    assert_eq!(mine(&app, &w.learner_b).await[0]["status"], "left");
    // A slot too close to its start (within the notice) is never held.
    let soon = slot_at(&app, &w.advisor, in_hours(2) + 600).await;
    wait_any(&app, &w.learner_a, w.advisor.id).await;
    assert!(active_holds(&app, soon).await.is_empty());
}

#[rocket::async_test]
async fn bad_wishes_are_clear_4xx_and_change_nothing() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let post = |user: &TestUser, body: Value| {
        let token = user.token.clone();
        let app = &app;
        async move { app.post("/api/me/waitlist", &token, body).await }
    };
    let fields = |r: &Resp| -> Vec<String> {
        r.body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|x| x["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = post(
        &w.learner_a,
        json!({"weekdays": [0, 8], "from": "9:00", "to": "25:00", "note": "x".repeat(501)}),
    )
    .await;
    assert_problem(&r, 422);
    let f = fields(&r);
    for field in ["topic", "weekdays", "from", "to", "note"] {
        assert!(f.contains(&field.to_string()), "{field} in {f:?}");
    }
    let r = post(
        &w.learner_a,
        json!({"topic": "finance", "weekdays": [1], "from": "12:00", "to": "09:00"}),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(fields(&r), ["to"]);
    let r = post(
        &w.learner_a,
        json!({"advisor_id": w.learner_b.id, "weekdays": [1], "from": "09:00", "to": "12:00"}),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(fields(&r), ["advisor_id"]);
    let r = post(
        &w.learner_a,
        json!({"topic": "astrology", "weekdays": [1], "from": "09:00", "to": "12:00"}),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(fields(&r), ["topic"]);
    let r = post(&w.learner_a, json!({"topic": "ip", "weekdays": "monday"})).await;
    assert_problem(&r, 422);
    assert!(mine(&app, &w.learner_a).await.is_empty(), "nothing stored");

    // The same wish twice is a conflict; more than five lists at once is refused.
    let wish = |d: i64| json!({"topic": "ip", "weekdays": [d], "from": "09:00", "to": "12:00"});
    for d in 1..=5 {
        post(&w.learner_a, wish(d)).await.expect(201);
    }
    let r = post(&w.learner_a, wish(1)).await;
    assert_problem(&r, 409);
    assert_eq!(r.body["code"], "waitlist.duplicate");
    let r = post(&w.learner_a, wish(6)).await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["code"], "waitlist.too_many");
    assert_eq!(mine(&app, &w.learner_a).await.len(), 5);

    // Only learners wait; staff see who waits within their scope.
    assert_problem(&post(&w.advisor, wish(1)).await, 403);
    assert_problem(&app.get("/api/waitlist", &w.learner_a.token).await, 403);
    let seen = |r: Resp| r.expect(200).body["items"].as_array().unwrap().len();
    assert_eq!(seen(app.get("/api/waitlist", &w.coord_a.token).await), 5);
    assert_eq!(seen(app.get("/api/waitlist", &w.coord_b.token).await), 0);
    assert_eq!(seen(app.get("/api/waitlist", &w.admin.token).await), 5);
    // Topic-only wishes are any advisor's to see.
    assert_eq!(seen(app.get("/api/waitlist", &w.advisor2.token).await), 5);
}

#[rocket::async_test]
async fn exactly_one_hold_per_slot_when_offers_race_across_two_processes() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let other = app.second_instance().await;
    let pool2 = academy::db::Db::fetch(other.rocket()).unwrap().pool.clone();
    // Eight learners wait (oldest first), before any slot exists.
    let mut crowd = Vec::new();
    for i in 0..8 {
        let l = app
            .user(
                &format!("waiting{i}@sme-a.example"),
                &format!("Waiting {i}"),
                academy::auth::Role::Learner,
                Some(w.sme_a),
                None,
            )
            .await;
        wait_any(&app, &l, w.advisor.id).await;
        crowd.push(l);
    }
    // Four slots appear without an offer (as after a crash between a change and its offer).
    let starts: Vec<i64> = (0..4).map(|i| in_hours(30 + 2 * i)).collect();
    let new: Vec<NewSlot> = starts
        .iter()
        .map(|s| NewSlot {
            starts_at: *s,
            ends_at: s + HOUR,
            topic: Topic::Finance,
            mode: Mode::Online,
            location: "https://meet.example/x",
            time_zone: "Europe/Madrid",
        })
        .collect();
    let ids: Vec<i64> = insert_slots(app.pool(), w.advisor.id, &new, now())
        .await
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    // Both processes' periodic jobs and direct offers of every slot, all at once.
    let t = now();
    let mut races = Vec::new();
    for i in 0..6 {
        let pool = if i % 2 == 0 {
            app.pool().clone()
        } else {
            pool2.clone()
        };
        races.push(tokio::spawn(async move {
            waitlist::run(&pool, t, rules(), None).await.map(|_| ())
        }));
    }
    for (i, id) in ids.iter().enumerate() {
        for j in 0..2 {
            let pool = if (i + j) % 2 == 0 {
                app.pool().clone()
            } else {
                pool2.clone()
            };
            let id = *id;
            races.push(tokio::spawn(async move {
                waitlist::offer(&pool, id, t, rules(), None)
                    .await
                    .map(|_| ())
            }));
        }
    }
    for r in join_all(races).await {
        r.unwrap().unwrap();
    }
    let mut holders = Vec::new();
    for id in &ids {
        let holds = active_holds(&app, *id).await;
        assert_eq!(holds.len(), 1, "slot {id}: {holds:?}");
        holders.push(holds[0].0);
    }
    holders.sort();
    let mut first_four: Vec<i64> = crowd[..4].iter().map(|l| l.id).collect();
    first_four.sort();
    assert_eq!(
        holders, first_four,
        "the four longest waiting, one slot each"
    );
    // A booking racing the holder for a held slot: only the holder can win.
    let slot = ids[0];
    let (holder_id,) = (active_holds(&app, slot).await[0].0,);
    let holder = crowd.iter().find(|l| l.id == holder_id).unwrap();
    let intruder = crowd.iter().find(|l| !holders.contains(&l.id)).unwrap();
    let path = format!("/api/slots/{slot}/booking");
    let body = json!({"note": "mine"});
    let (a, b) = tokio::join!(
        app.post(&path, &intruder.token, body.clone()),
        post_via(&other, &path, &holder.token, &body),
    );
    assert_problem(&a, 409);
    assert_eq!(b.status.code, 201, "{}", b.text);
}
