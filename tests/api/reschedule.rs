//! Moving a booking to another slot (`POST /api/bookings/{id}/reschedule`): one atomic step,
//! the old slot open again, the same calendar UID with a higher SEQUENCE, both sides told;
//! every refusal leaves the booking as it was; one winner when moves and bookings race for a
//! slot, in one process and across two.

use academy::clock::{now, rfc3339};
use futures::future::join_all;
use serde_json::{json, Value};

use crate::common::{assert_problem, ics_instant, post_via, Resp, TestApp, TestUser, World};

const HOUR: i64 = 3600;

fn in_hours(hours: i64) -> i64 {
    (now() / HOUR + hours) * HOUR
}

async fn new_slot(app: &TestApp, advisor: &TestUser, starts_at: i64) -> i64 {
    app.post(
        "/api/slots",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + HOUR),
            "topic": "finance",
            "mode": "online",
            "location": "https://meet.example/room-7",
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

async fn book_ok(app: &TestApp, learner: &TestUser, slot: i64) -> i64 {
    app.post(
        &format!("/api/slots/{slot}/booking"),
        &learner.token,
        json!({"note": "export plan"}),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

async fn reschedule(app: &TestApp, user: &TestUser, booking: i64, slot: Value) -> Resp {
    app.post(
        &format!("/api/bookings/{booking}/reschedule"),
        &user.token,
        json!({ "slot_id": slot }),
    )
    .await
}

/// `(slot id, status, sequence)` of a booking, as stored.
async fn stored(app: &TestApp, booking: i64) -> (i64, String, i64) {
    sqlx::query_as("SELECT slot_id, status, sequence FROM bookings WHERE id = $1")
        .bind(booking)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// `(recipient, subject, calendar)` of the queued mails of a kind.
async fn mails(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT recipient, subject, COALESCE(calendar, '') FROM outbox WHERE kind = $1 ORDER BY id",
    )
    .bind(kind)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

fn has_iso_time(text: &str) -> bool {
    text.as_bytes().windows(11).any(|w| {
        w[4] == b'-' && w[7] == b'-' && w[10] == b'T' && w[..4].iter().all(u8::is_ascii_digit)
    })
}

#[rocket::async_test]
async fn a_learner_moves_a_booking_in_one_step_and_both_sides_are_told() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let first = new_slot(&app, &w.advisor, in_hours(72)).await;
    let second = new_slot(&app, &w.advisor, in_hours(96)).await;
    let booking = book_ok(&app, &w.learner_a, first).await;
    let before = app
        .get(
            &format!("/api/bookings/{booking}/invite.ics"),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    let uid = ics_line(&before.text, "UID");

    let r = reschedule(&app, &w.learner_a, booking, json!(second))
        .await
        .expect(200);
    assert_eq!(r.body["id"], booking);
    assert_eq!(r.body["slot"]["id"], second);
    assert_eq!(r.body["slot"]["starts_at"], rfc3339(in_hours(96)).as_str());
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["sequence"], 1);
    assert_eq!(r.body["note"], "export plan");
    assert_eq!(stored(&app, booking).await, (second, "active".into(), 1));

    // The old slot is open again: listed as open and bookable by someone else.
    let open = app
        .get(
            &format!("/api/slots?advisor_id={}", w.advisor.id),
            &w.learner_b.token,
        )
        .await
        .expect(200);
    let listed: Vec<i64> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [first], "{}", open.text);
    book_ok(&app, &w.learner_b, first).await;

    // The calendar entry is the same event, moved: same UID, SEQUENCE 1, the new start.
    let after = app
        .get(
            &format!("/api/bookings/{booking}/invite.ics"),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    assert_eq!(ics_line(&after.text, "UID"), uid);
    assert_eq!(ics_line(&after.text, "SEQUENCE"), "1");
    assert_eq!(ics_instant(&after.text, "DTSTART").0, in_hours(96));

    // The advisor's notice says who moved which session from when to when, in words.
    let notes = app
        .get("/api/bookings/notifications", &w.advisor.token)
        .await
        .expect(200);
    let note = &notes.body["items"][0];
    assert_eq!(note["kind"], "booking_rescheduled");
    assert_eq!(note["booking_id"], booking);
    let message = note["message"].as_str().unwrap();
    assert!(
        message.starts_with("Ana Núñez moved the finance session from "),
        "{message}"
    );
    assert!(!has_iso_time(message), "{message}");
    // The learner, who moved it, is not notified of their own move.
    let own = app
        .get("/api/bookings/notifications", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(
        own.body["items"].as_array().unwrap().len(),
        0,
        "{}",
        own.text
    );

    // Both sides get a mail with the updated invitation (METHOD:REQUEST, same UID).
    let sent = mails(&app, "booking_rescheduled").await;
    let to: Vec<&str> = sent.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(to, [w.learner_a.email.as_str(), w.advisor.email.as_str()]);
    for (_, subject, calendar) in &sent {
        assert!(
            subject.starts_with("Moved: advisory session now on "),
            "{subject}"
        );
        assert!(calendar.contains("METHOD:REQUEST"), "{calendar}");
        assert_eq!(ics_line(calendar, "UID"), uid);
        assert_eq!(ics_line(calendar, "SEQUENCE"), "1");
        assert_eq!(ics_instant(calendar, "DTSTART").0, in_hours(96));
    }
}

#[rocket::async_test]
async fn the_advisor_moves_it_and_the_learner_reads_it_in_their_language() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.patch(
        "/api/me",
        &w.learner_a.token,
        json!({"locale": "es", "time_zone": "Atlantic/Canary"}),
    )
    .await
    .expect(200);
    let first = new_slot(&app, &w.advisor, in_hours(72)).await;
    let second = new_slot(&app, &w.advisor, in_hours(100)).await;
    let booking = book_ok(&app, &w.learner_a, first).await;
    reschedule(&app, &w.advisor, booking, json!(second))
        .await
        .expect(200);
    let notes = app
        .get("/api/bookings/notifications", &w.learner_a.token)
        .await
        .expect(200);
    let message = notes.body["items"][0]["message"].as_str().unwrap();
    assert!(message.contains("ha cambiado su sesión de"), "{message}");
    assert!(message.contains("(Atlantic/Canary)"), "{message}");
    assert!(!has_iso_time(message), "{message}");
    let sent = mails(&app, "booking_rescheduled").await;
    let learner_mail = sent.iter().find(|m| m.0 == w.learner_a.email).unwrap();
    assert!(
        learner_mail.1.starts_with("Cambio de hora"),
        "{}",
        learner_mail.1
    );
    // Twice more: the sequence keeps growing.
    reschedule(&app, &w.advisor, booking, json!(first))
        .await
        .expect(200);
    assert_eq!(stored(&app, booking).await, (first, "active".into(), 2));
}

#[rocket::async_test]
async fn every_refusal_is_a_clear_problem_and_changes_nothing() {
    let app = TestApp::with(|f| {
        f.merge(("booking_cancel_cutoff_hours", 24))
            .merge(("booking_min_notice_hours", 12))
    })
    .await;
    let w: World = app.world().await;
    let mine = new_slot(&app, &w.advisor, in_hours(72)).await;
    let booking = book_ok(&app, &w.learner_a, mine).await;
    let unchanged = (mine, "active".to_string(), 0);
    let expect = |r: &Resp, status: u16, code: &str| {
        assert_problem(r, status);
        let got = r.body["errors"][0]["code"]
            .as_str()
            .or(r.body["code"].as_str())
            .unwrap_or_default()
            .to_string();
        assert_eq!(got, code, "{}", r.text);
    };

    // Another advisor's slot.
    let theirs = new_slot(&app, &w.advisor2, in_hours(80)).await;
    let r = reschedule(&app, &w.learner_a, booking, json!(theirs)).await;
    expect(&r, 422, "booking.move_other_advisor");
    assert_eq!(r.body["errors"][0]["field"], "slot_id");
    // The slot it is on.
    let r = reschedule(&app, &w.learner_a, booking, json!(mine)).await;
    expect(&r, 422, "booking.move_same_slot");
    // No such slot, and a withdrawn one.
    let r = reschedule(&app, &w.learner_a, booking, json!(999_999)).await;
    expect(&r, 422, "booking.move_no_slot");
    let withdrawn = new_slot(&app, &w.advisor, in_hours(90)).await;
    app.delete(&format!("/api/slots/{withdrawn}"), &w.advisor.token)
        .await;
    let r = reschedule(&app, &w.learner_a, booking, json!(withdrawn)).await;
    expect(&r, 422, "booking.move_no_slot");
    // Taken by someone else.
    let taken = new_slot(&app, &w.advisor, in_hours(110)).await;
    book_ok(&app, &w.learner_a2, taken).await;
    let r = reschedule(&app, &w.learner_a, booking, json!(taken)).await;
    expect(&r, 409, "slot.taken");
    // Too little notice for the new slot.
    let soon = new_slot(&app, &w.advisor, in_hours(6)).await;
    let r = reschedule(&app, &w.learner_a, booking, json!(soon)).await;
    expect(&r, 422, "booking.notice");
    assert_eq!(r.body["errors"][0]["params"]["hours"], 12);
    // A clash with the learner's other session (with the second advisor).
    let clash_time = in_hours(130);
    let other = new_slot(&app, &w.advisor2, clash_time).await;
    book_ok(&app, &w.learner_a, other).await;
    let clashing = new_slot(&app, &w.advisor, clash_time + HOUR / 2).await;
    let r = reschedule(&app, &w.learner_a, booking, json!(clashing)).await;
    expect(&r, 422, "booking.overlaps");
    // Malformed bodies.
    let r = reschedule(&app, &w.learner_a, booking, json!("tomorrow")).await;
    assert!(
        [400, 422].contains(&r.status.code),
        "{} {}",
        r.status,
        r.text
    );
    assert_problem(&r, r.status.code);
    let r = app
        .post(
            &format!("/api/bookings/{booking}/reschedule"),
            &w.learner_a.token,
            json!({"slot_id": clashing, "when": "later"}),
        )
        .await;
    assert!([400, 422].contains(&r.status.code), "{}", r.text);
    // Not theirs, not their role.
    let r = reschedule(&app, &w.learner_b, booking, json!(clashing)).await;
    expect(&r, 404, "not_found.booking");
    let r = reschedule(&app, &w.advisor2, booking, json!(clashing)).await;
    expect(&r, 404, "not_found.booking");
    let r = reschedule(&app, &w.coord_a, booking, json!(clashing)).await;
    expect(&r, 403, "booking.move_who");
    assert_eq!(stored(&app, booking).await, unchanged);
    assert!(mails(&app, "booking_rescheduled").await.is_empty());

    // Within the cut-off the learner may not move it; the advisor may.
    let free = new_slot(&app, &w.advisor, in_hours(150)).await;
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(in_hours(20))
        .bind(in_hours(21))
        .bind(mine)
        .execute(app.pool())
        .await
        .unwrap();
    let r = reschedule(&app, &w.learner_a, booking, json!(free)).await;
    expect(&r, 422, "booking.move_cutoff");
    assert!(
        !has_iso_time(r.body["detail"].as_str().unwrap()),
        "{}",
        r.text
    );
    assert_eq!(stored(&app, booking).await, unchanged);
    // Once the session has started nobody moves it.
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now() - 60)
        .bind(now() + HOUR)
        .bind(mine)
        .execute(app.pool())
        .await
        .unwrap();
    let r = reschedule(&app, &w.advisor, booking, json!(free)).await;
    expect(&r, 422, "booking.move_started");
    assert_eq!(stored(&app, booking).await, unchanged);
    // A cancelled booking stays cancelled.
    let later = new_slot(&app, &w.advisor, in_hours(170)).await;
    let b2 = book_ok(&app, &w.learner_b, later).await;
    app.post(
        &format!("/api/bookings/{b2}/cancellation"),
        &w.learner_b.token,
        json!({"reason": "plans changed"}),
    )
    .await
    .expect(200);
    let r = reschedule(&app, &w.learner_b, b2, json!(free)).await;
    expect(&r, 409, "booking.already_cancelled");
    assert_eq!(stored(&app, b2).await, (later, "cancelled".into(), 1));
}

/// `learners` each move their booking to `target` while `bookers` book it, half through a
/// second process over the same database: exactly one wins, and every loser's booking is
/// where it was.
#[rocket::async_test]
async fn moves_and_bookings_racing_for_one_slot_give_one_winner() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let other = app.second_instance().await;
    let target = new_slot(&app, &w.advisor, in_hours(48)).await;
    let mut movers = Vec::new();
    for i in 0..8 {
        let learner = app
            .user(
                &format!("mover{i}@sme-a.example"),
                &format!("Mover {i}"),
                academy::auth::Role::Learner,
                Some(w.sme_a),
                None,
            )
            .await;
        let slot = new_slot(&app, &w.advisor, in_hours(200 + 2 * i)).await;
        let booking = book_ok(&app, &learner, slot).await;
        movers.push((learner, slot, booking));
    }
    let mut bookers = Vec::new();
    for i in 0..8 {
        bookers.push(
            app.user(
                &format!("booker{i}@sme-b.example"),
                &format!("Booker {i}"),
                academy::auth::Role::Learner,
                Some(w.sme_b),
                None,
            )
            .await,
        );
    }
    let moves = movers.iter().enumerate().map(|(i, (l, _, b))| {
        let path = format!("/api/bookings/{b}/reschedule");
        let body = json!({ "slot_id": target });
        let (app, other) = (&app, &other);
        async move {
            if i % 2 == 0 {
                app.post(&path, &l.token, body).await
            } else {
                post_via(other, &path, &l.token, &body).await
            }
        }
    });
    let books = bookers.iter().enumerate().map(|(i, l)| {
        let path = format!("/api/slots/{target}/booking");
        let body = json!({"note": "race"});
        let (app, other) = (&app, &other);
        async move {
            if i % 2 == 1 {
                app.post(&path, &l.token, body).await
            } else {
                post_via(other, &path, &l.token, &body).await
            }
        }
    });
    let (moved, booked) = futures::join!(join_all(moves), join_all(books));
    let codes: Vec<u16> = moved.iter().chain(&booked).map(|r| r.status.code).collect();
    let winners = codes.iter().filter(|c| **c == 200 || **c == 201).count();
    assert_eq!(winners, 1, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == 409).count(),
        codes.len() - 1,
        "{codes:?}"
    );
    let (active,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM bookings WHERE slot_id = $1 AND status = 'active'")
            .bind(target)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(active, 1);
    for ((_, slot, booking), r) in movers.iter().zip(&moved) {
        let (now_on, status, sequence) = stored(&app, *booking).await;
        assert_eq!(status, "active");
        if r.status.code == 200 {
            assert_eq!((now_on, sequence), (target, 1));
        } else {
            assert_eq!((now_on, sequence), (*slot, 0), "a loser's booking moved");
        }
    }
}

/// The value of a property line of an iCalendar text (unfolded lines are short here).
fn ics_line(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .trim()
        .to_string()
}
