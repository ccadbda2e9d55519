//! Calendar subscriptions: a private URL per learner and advisor, polled without any other
//! authentication, parsed back with a real iCalendar parser; times right in Madrid, Lisbon and
//! the Canaries on both sides of both DST changes; cancelled sessions marked; regenerating
//! and revoking end the old URL.

use academy::bookings::availability::last_sunday;
use academy::clock::rfc3339;
use icalendar::{Calendar, Component, EventStatus};
use jiff::ToSpan;
use serde_json::json;

use crate::common::{assert_problem, ics_instant, Resp, TestApp, TestUser};

/// 10:00 on `date` in Madrid, as unix seconds.
fn ten_in_madrid(date: jiff::civil::Date) -> i64 {
    date.at(10, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap())
        .unwrap()
        .timestamp()
        .as_second()
}

/// Four sessions of next year: winter, the day after the spring change, summer, the day after
/// the autumn change.
fn across_dst() -> Vec<i64> {
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year()
        + 1;
    let after = |month: i8| {
        last_sunday(year, month)
            .unwrap()
            .checked_add(1.day())
            .unwrap()
    };
    vec![
        ten_in_madrid(jiff::civil::date(year, 1, 12)),
        ten_in_madrid(after(3)),
        ten_in_madrid(jiff::civil::date(year, 7, 13)),
        ten_in_madrid(after(10)),
    ]
}

async fn slot_at(app: &TestApp, advisor: &TestUser, starts_at: i64) -> i64 {
    app.post(
        "/api/slots",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + 3600),
            "topic": "talent",
            "mode": "online",
            "location": "https://meet.example/feed",
        }),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

async fn book(app: &TestApp, learner: &TestUser, slot: i64) -> i64 {
    app.post(
        &format!("/api/slots/{slot}/booking"),
        &learner.token,
        json!({"note": "hiring plan"}),
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap()
}

/// The path of a feed URL on this server.
fn path_of(url: &str) -> String {
    let at = url.find("/api/").expect("an API path");
    url[at..].to_string()
}

async fn feed_urls(app: &TestApp, user: &TestUser) -> (String, String) {
    let r = app
        .get("/api/me/calendar-feed", &user.token)
        .await
        .expect(200);
    (
        r.body["url"].as_str().unwrap().to_string(),
        r.body["http_url"].as_str().unwrap().to_string(),
    )
}

/// Each VEVENT of a feed as a file of its own (the calendar's head, its VTIMEZONE, the event),
/// so `ics_instant` can resolve its times.
fn events_of(text: &str) -> Vec<String> {
    let head = &text[..text.find("BEGIN:VEVENT").expect("an event")];
    text.split("BEGIN:VEVENT\r\n")
        .skip(1)
        .map(|rest| {
            let body = &rest[..rest.find("END:VEVENT\r\n").unwrap()];
            format!("{head}BEGIN:VEVENT\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n")
        })
        .collect()
}

fn local_hour(at: i64, zone: &str) -> i8 {
    jiff::Timestamp::from_second(at)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .hour()
}

#[rocket::async_test]
async fn a_feed_lists_the_persons_sessions_in_their_zone_across_both_dst_changes() {
    let app = TestApp::with(|f| f.merge(("booking_max_per_learner", 10))).await;
    let w = app.world().await;
    let starts = across_dst();
    let mut bookings = Vec::new();
    for s in &starts {
        bookings.push(book(&app, &w.learner_b, slot_at(&app, &w.advisor, *s).await).await);
    }
    // One more, cancelled by the learner.
    let cancelled_at = starts[3] + 86_400;
    let cancelled = book(
        &app,
        &w.learner_b,
        slot_at(&app, &w.advisor, cancelled_at).await,
    )
    .await;
    app.post(
        &format!("/api/bookings/{cancelled}/cancellation"),
        &w.learner_b.token,
        json!({"reason": "trade fair that week"}),
    )
    .await
    .expect(200);

    let (url, http_url) = feed_urls(&app, &w.learner_b).await;
    assert!(url.starts_with("webcal://"), "{url}");
    assert!(http_url.starts_with("http"), "{http_url}");
    assert_eq!(path_of(&url), path_of(&http_url));
    // The same URL every time it is asked for.
    assert_eq!(feed_urls(&app, &w.learner_b).await.0, url);

    for (zone, who) in [
        ("Europe/Lisbon", None),
        ("Atlantic/Canary", Some("Atlantic/Canary")),
        ("Europe/Madrid", Some("Europe/Madrid")),
    ] {
        if let Some(tz) = who {
            app.patch("/api/me", &w.learner_b.token, json!({ "time_zone": tz }))
                .await
                .expect(200);
        }
        // No token, no cookie: the URL is the credential.
        let r = app.get_anon(&path_of(&http_url)).await.expect(200);
        assert!(
            r.content_type
                .as_deref()
                .unwrap()
                .starts_with("text/calendar"),
            "{:?}",
            r.content_type
        );
        let cal: Calendar = r.text.parse().expect("a valid iCalendar feed");
        assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
        assert_eq!(
            cal.property_value("X-WR-CALNAME"),
            Some("IberoBio Academy: advisory sessions")
        );
        assert!(
            r.text.contains(&format!("X-WR-TIMEZONE:{zone}")),
            "{}",
            r.text
        );
        assert!(r.text.contains("BEGIN:STANDARD") && r.text.contains("BEGIN:DAYLIGHT"));
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 5, "{}", r.text);
        let files = events_of(&r.text);
        for (i, start) in starts.iter().enumerate() {
            let (at, tzid) = ics_instant(&files[i], "DTSTART");
            assert_eq!(tzid.as_deref(), Some(zone), "{}", files[i]);
            assert_eq!(at, *start, "session {i} in {zone}");
            assert_eq!(ics_instant(&files[i], "DTEND").0, start + 3600);
            // 10:00 in Madrid is 09:00 in Lisbon and the Canaries, in winter and summer.
            let wall = if zone == "Europe/Madrid" { 10 } else { 9 };
            assert_eq!(local_hour(at, zone), wall);
            assert!(
                files[i].contains(&format!("DTSTART;TZID={zone}:")),
                "{}",
                files[i]
            );
            assert_eq!(events[i].get_status(), Some(EventStatus::Confirmed));
        }
        // The cancelled one is in the feed, marked cancelled.
        let last = &events[4];
        assert_eq!(last.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(ics_instant(&files[4], "DTSTART").0, cancelled_at);
        assert!(last.get_description().unwrap().contains("trade fair"));
    }

    // The UIDs are those of the invitations, so a subscription and an invitation are one event.
    let r = app.get_anon(&path_of(&http_url)).await.expect(200);
    let cal: Calendar = r.text.parse().unwrap();
    for (event, booking) in cal.events().zip(&bookings) {
        let invite = app
            .get(
                &format!("/api/bookings/{booking}/invite.ics"),
                &w.learner_b.token,
            )
            .await
            .expect(200);
        let one: Calendar = invite.text.parse().unwrap();
        assert_eq!(event.get_uid(), one.events().next().unwrap().get_uid());
    }

    // The advisor's feed has the same sessions, in the advisor's language.
    app.patch("/api/me", &w.advisor.token, json!({"locale": "es"}))
        .await
        .expect(200);
    let (_, advisor_url) = feed_urls(&app, &w.advisor).await;
    assert_ne!(path_of(&advisor_url), path_of(&http_url));
    let r = app.get_anon(&path_of(&advisor_url)).await.expect(200);
    let cal: Calendar = r.text.parse().unwrap();
    assert_eq!(cal.events().count(), 5);
    assert_eq!(
        cal.property_value("X-WR-CALNAME"),
        Some("IberoBio Academy: sesiones de asesoramiento")
    );
    assert!(cal.events().all(|e| e
        .get_summary()
        .unwrap()
        .starts_with("Sesión de asesoramiento")));
    // Another learner's feed does not show João's sessions.
    let (_, other) = feed_urls(&app, &w.learner_a).await;
    let r = app.get_anon(&path_of(&other)).await.expect(200);
    assert!(!r.text.contains("BEGIN:VEVENT"), "{}", r.text);
}

#[rocket::async_test]
async fn regenerating_and_revoking_end_the_old_url_and_forgeries_find_nothing() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let missing = |r: &Resp| {
        assert_problem(r, 404);
        assert_eq!(r.body["code"], "not_found.calendar_feed", "{}", r.text);
    };
    let (_, first) = feed_urls(&app, &w.learner_a).await;
    app.get_anon(&path_of(&first)).await.expect(200);
    // Without the `.ics` suffix too.
    app.get_anon(path_of(&first).trim_end_matches(".ics"))
        .await
        .expect(200);

    let r = app
        .post("/api/me/calendar-feed", &w.learner_a.token, json!({}))
        .await
        .expect(200);
    let second = r.body["http_url"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    missing(&app.get_anon(&path_of(&first)).await);
    app.get_anon(&path_of(&second)).await.expect(200);
    assert_eq!(feed_urls(&app, &w.learner_a).await.1, second);

    app.delete("/api/me/calendar-feed", &w.learner_a.token)
        .await
        .expect(204);
    missing(&app.get_anon(&path_of(&second)).await);
    // Asking again makes a new URL; the revoked ones stay dead.
    let (_, third) = feed_urls(&app, &w.learner_a).await;
    assert!(third != first && third != second);
    app.get_anon(&path_of(&third)).await.expect(200);
    missing(&app.get_anon(&path_of(&first)).await);
    missing(&app.get_anon(&path_of(&second)).await);

    // Forgeries: one character changed, another user's id with this MAC, junk.
    let path = path_of(&third);
    let flipped = {
        let mut p = path.clone().into_bytes();
        let i = p.len() - ".ics".len() - 1;
        p[i] = if p[i] == b'a' { b'b' } else { b'a' };
        String::from_utf8(p).unwrap()
    };
    missing(&app.get_anon(&flipped).await);
    let token = path.rsplit('/').next().unwrap();
    let mac = token.rsplit('-').next().unwrap();
    let (_, joao) = feed_urls(&app, &w.learner_b).await;
    let joao_token = joao.rsplit('/').next().unwrap();
    let mut parts = joao_token.splitn(3, '-');
    let (id, version) = (parts.next().unwrap(), parts.next().unwrap());
    missing(
        &app.get_anon(&format!("/api/calendar-feeds/{id}-{version}-{mac}"))
            .await,
    );
    for junk in ["x", "1-1-zz", "0-0-0", "%00"] {
        let r = app.get_anon(&format!("/api/calendar-feeds/{junk}")).await;
        assert!([400, 404].contains(&r.status.code), "{junk}: {}", r.text);
    }

    // A disabled account's feed stops answering.
    let joao_path = path_of(&joao);
    app.get_anon(&joao_path).await.expect(200);
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE id = $1")
        .bind(w.learner_b.id)
        .execute(app.pool())
        .await
        .unwrap();
    missing(&app.get_anon(&joao_path).await);

    // Only learners and advisors have one; a visitor has none.
    for staff in [&w.coord_a, &w.admin] {
        let r = app.get("/api/me/calendar-feed", &staff.token).await;
        assert_problem(&r, 403);
        assert_eq!(r.body["code"], "calendar.feed_who");
    }
    assert_problem(&app.get_anon("/api/me/calendar-feed").await, 401);
}
