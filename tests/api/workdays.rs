//! An advisor's working days: the public holidays of their region (from the date-holidays
//! data), days off, the buffer between sessions and the daily cap apply to single slots and
//! patterns alike; days off withdraw the open slots of those days and list the booked ones;
//! the week view shows it all in the advisor's zone.

use academy::bookings::holidays;
use academy::clock::{now, rfc3339};
use academy::lang::Lang;
use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde_json::{json, Value};

use crate::common::{assert_problem, Resp, TestApp, TestUser};

fn today() -> Date {
    jiff::Timestamp::from_second(now())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap())
        .date()
}

fn monday_of(d: Date) -> Date {
    d.checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
        .unwrap()
}

/// The next public holiday of `region` that falls on a weekday, at least a week ahead, is no
/// holiday in `not_in`, and is the only holiday of `region` in its Monday-to-Friday week
/// (so a whole week of slots around it is predictable).
fn lone_regional_holiday(region: &str, not_in: &[&str]) -> Date {
    let from = today().checked_add(7.days()).unwrap();
    let to = today().checked_add(330.days()).unwrap();
    let days: Vec<Date> = holidays::between(region, from, to, Lang::En)
        .iter()
        .map(|h| h.date.parse().unwrap())
        .collect();
    *days
        .iter()
        .find(|d| {
            let monday = monday_of(**d);
            d.weekday() != Weekday::Saturday
                && d.weekday() != Weekday::Sunday
                && not_in
                    .iter()
                    .all(|r| holidays::on(r, **d, Lang::En).is_none())
                && monday >= from
                && days.iter().filter(|o| monday_of(**o) == monday).count() == 1
        })
        .expect("a regional holiday in the coming year")
}

/// `date` at `hh:mm` in `zone`, as unix seconds.
fn local(d: Date, hh: i8, mm: i8, zone: &str) -> i64 {
    d.at(hh, mm, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
        .as_second()
}

/// The first Wednesday at least `days` ahead (an ordinary working day, no holiday in
/// the regions used here unless chosen on purpose).
fn a_wednesday(days: i64) -> Date {
    let mut d = jiff::Timestamp::from_second(now() + days * 86_400)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Madrid").unwrap())
        .date();
    while d.weekday() != jiff::civil::Weekday::Wednesday {
        d = d.tomorrow().unwrap();
    }
    d
}

async fn slot(app: &TestApp, advisor: &TestUser, starts_at: i64, minutes: i64) -> Resp {
    app.post(
        "/api/slots?lang=es",
        &advisor.token,
        json!({
            "starts_at": rfc3339(starts_at),
            "ends_at": rfc3339(starts_at + minutes * 60),
            "topic": "ip",
            "mode": "online",
            "location": "https://meet.example/ip",
        }),
    )
    .await
}

fn field_code(r: &Resp) -> String {
    r.body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn rules(app: &TestApp, advisor: &TestUser, body: Value) -> Resp {
    app.put("/api/me/availability", &advisor.token, body).await
}

#[rocket::async_test]
async fn holidays_buffer_and_daily_cap_apply_to_single_slots_and_patterns() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let saved = rules(
        &app,
        &w.advisor,
        json!({"holiday_region": "ES-GA", "buffer_minutes": 30, "daily_cap": 2}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(saved["holiday_region"], "ES-GA");
    assert!(saved["holidays_source"]
        .as_str()
        .unwrap()
        .starts_with("date-holidays"));
    let regions: Vec<&str> = saved["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in [
        "ES", "ES-AN", "ES-CL", "ES-CN", "ES-GA", "PT", "PT-20", "PT-30",
    ] {
        assert!(regions.contains(&code), "{code} in {regions:?}");
    }

    // A holiday of Galicia's that is no holiday in Spain as a whole or in the Canaries (in
    // 2027: 19 March, then 17 May, Galician Literature Day).
    let letras = lone_regional_holiday("ES-GA", &["ES", "ES-CN"]);
    let r = slot(&app, &w.advisor, local(letras, 10, 0, "Europe/Madrid"), 60).await;
    assert_problem(&r, 422);
    assert_eq!(field_code(&r), "slot.holiday");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "{}/{}/{}",
                letras.day(),
                letras.month(),
                letras.year()
            )),
        "{}",
        r.text
    );
    // The other advisor follows the Canaries' holidays: the same day is a working day.
    rules(&app, &w.advisor2, json!({"holiday_region": "ES-CN"}))
        .await
        .expect(200);
    slot(&app, &w.advisor2, local(letras, 10, 0, "Europe/Madrid"), 60)
        .await
        .expect(201);

    // Buffer: 30 minutes free around each session; the daily cap: two a day.
    let day = a_wednesday(20);
    slot(&app, &w.advisor, local(day, 10, 0, "Europe/Madrid"), 60)
        .await
        .expect(201);
    let close = slot(&app, &w.advisor, local(day, 11, 15, "Europe/Madrid"), 60).await;
    assert_problem(&close, 422);
    assert_eq!(field_code(&close), "slot.buffer");
    let overlapping = slot(&app, &w.advisor, local(day, 10, 30, "Europe/Madrid"), 60).await;
    assert_eq!(field_code(&overlapping), "slot.overlaps");
    slot(&app, &w.advisor, local(day, 11, 30, "Europe/Madrid"), 60)
        .await
        .expect(201);
    let third = slot(&app, &w.advisor, local(day, 15, 0, "Europe/Madrid"), 60).await;
    assert_problem(&third, 422);
    assert_eq!(field_code(&third), "slot.daily_cap");

    // A pattern over the holiday's week, 09:00-17:00 in hourly sessions: nothing on the
    // holiday, every other hour skipped for the buffer, at most two a day.
    let r = app
        .post(
            "/api/slots/pattern?lang=es",
            &w.advisor.token,
            json!({
                "weekdays": [1, 2, 3, 4, 5], "start_time": "09:00", "end_time": "17:00",
                "session_minutes": 60, "weeks": 1, "start_date": monday_of(letras).to_string(),
                "topic": "finance", "mode": "online", "location": "https://meet.example/f",
            }),
        )
        .await
        .expect(201);
    let created = r.body["created"].as_array().unwrap();
    let mut per_day = std::collections::BTreeMap::new();
    for s in created {
        let day = &s["advisor_starts_at_local"].as_str().unwrap()[..10];
        *per_day.entry(day.to_string()).or_insert(0) += 1;
    }
    assert!(!per_day.contains_key(&letras.to_string()), "{per_day:?}");
    assert_eq!(per_day.len(), 4, "{per_day:?}");
    assert!(per_day.values().all(|n| *n == 2), "{per_day:?}");
    let skipped = r.body["skipped"].as_array().unwrap();
    let codes: std::collections::BTreeSet<&str> = skipped
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["slot.buffer", "slot.daily_cap", "slot.holiday"]
    );
    let holiday = skipped
        .iter()
        .find(|s| s["code"] == "slot.holiday")
        .unwrap();
    // In the reader's language (?lang=es), with the holiday's name from the data.
    assert!(
        holiday["reason"].as_str().unwrap().contains("festivo"),
        "{holiday}"
    );

    // Bad rules are 422 naming each field, and change nothing.
    let r = rules(
        &app,
        &w.advisor,
        json!({"holiday_region": "ES-XX", "buffer_minutes": 500, "daily_cap": 0}),
    )
    .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 3);
    let now_rules = app
        .get("/api/me/availability", &w.advisor.token)
        .await
        .expect(200)
        .body;
    assert_eq!(now_rules["daily_cap"], 2);
    assert_eq!(now_rules["buffer_minutes"], 30);
    // Only advisors have working days.
    assert_problem(
        &app.get("/api/me/availability", &w.learner_a.token).await,
        403,
    );
    assert_problem(&rules(&app, &w.coord_a, json!({})).await, 403);
}

#[rocket::async_test]
async fn days_off_withdraw_open_slots_and_list_the_booked_ones() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let day = a_wednesday(20);
    let at = |h: i8| local(day, h, 0, "Europe/Madrid");
    let mut ids = Vec::new();
    for h in [9, 11, 15] {
        ids.push(
            slot(&app, &w.advisor, at(h), 60).await.expect(201).body["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let booking = app
        .post(
            &format!("/api/slots/{}/booking", ids[1]),
            &w.learner_a.token,
            json!({"note": "patents"}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            "/api/me/time-off",
            &w.advisor.token,
            json!({"first_day": day.to_string(), "last_day": day.tomorrow().unwrap().to_string(), "reason": "BIO-Europe"}),
        )
        .await
        .expect(201);
    let mut withdrawn: Vec<i64> = r.body["withdrawn_slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    withdrawn.sort();
    assert_eq!(withdrawn, [ids[0], ids[2]]);
    assert_eq!(r.body["sessions"][0]["id"], booking);
    assert_eq!(r.body["sessions"][0]["learner"]["name"], "Ana Núñez");
    let time_off = r.body["time_off"]["id"].as_i64().unwrap();
    // Learners no longer see the withdrawn slots; the booked session stands.
    let listed = app.get("/api/slots", &w.learner_a2.token).await.expect(200);
    let open: Vec<i64> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert!(
        !open.contains(&ids[0]) && !open.contains(&ids[2]),
        "{open:?}"
    );
    // Nothing new on those days, with the reason said.
    let r = slot(&app, &w.advisor, at(17), 60).await;
    assert_problem(&r, 422);
    assert_eq!(field_code(&r), "slot.time_off");
    assert!(r.text.contains("BIO-Europe"), "{}", r.text);

    // The week shows the day off, the booked session with its learner, the counts.
    let week = app
        .get(&format!("/api/me/week?date={day}"), &w.advisor.token)
        .await
        .expect(200)
        .body;
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    assert_eq!(week["days"][0]["weekday"], 1);
    let d = week["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day.to_string())
        .unwrap();
    assert_eq!(d["time_off"], "BIO-Europe");
    assert_eq!(d["sessions"], 1);
    assert_eq!(d["booked"], 1);
    assert_eq!(d["slots"][0]["learner"]["name"], "Ana Núñez");
    assert_eq!(d["slots"][0]["booking_id"], booking);
    let shown = app
        .get("/api/me/availability", &w.advisor.token)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["time_off"][0]["reason"], "BIO-Europe");

    // Only the advisor's own days off can be removed; then the day is open again.
    assert_problem(
        &app.delete(&format!("/api/me/time-off/{time_off}"), &w.advisor2.token)
            .await,
        404,
    );
    app.delete(&format!("/api/me/time-off/{time_off}"), &w.advisor.token)
        .await
        .expect(204);
    assert_problem(
        &app.delete(&format!("/api/me/time-off/{time_off}"), &w.advisor.token)
            .await,
        404,
    );
    slot(&app, &w.advisor, at(17), 60).await.expect(201);

    // Bad days off: clear 422s, nothing stored.
    for (body, field) in [
        (
            json!({"first_day": "24/12/2026", "last_day": "2026-12-31"}),
            "first_day",
        ),
        (
            json!({"first_day": "2030-01-10", "last_day": "2030-01-01"}),
            "last_day",
        ),
        (
            json!({"first_day": "2030-01-01", "last_day": "2031-06-01"}),
            "last_day",
        ),
        (
            json!({"first_day": "2020-01-01", "last_day": "2020-01-02"}),
            "last_day",
        ),
        (
            json!({"first_day": "2030-01-01", "last_day": "2030-01-01", "reason": "x".repeat(201)}),
            "reason",
        ),
    ] {
        let r = app.post("/api/me/time-off", &w.advisor.token, body).await;
        assert_problem(&r, 422);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let shown = app
        .get("/api/me/availability", &w.advisor.token)
        .await
        .expect(200)
        .body;
    assert_eq!(shown["time_off"].as_array().unwrap().len(), 0);
    assert_problem(
        &app.get("/api/me/week?date=tomorrow", &w.advisor.token)
            .await,
        422,
    );
}

#[rocket::async_test]
async fn the_week_is_local_with_the_regions_holidays_and_caps() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // Rui works in Lisbon and follows Portugal's holidays; one that Spain does not keep.
    let holiday = lone_regional_holiday("PT", &["ES"]);
    let monday = monday_of(holiday);
    let other = if holiday.weekday() == Weekday::Thursday {
        monday.checked_add(1.days()).unwrap()
    } else {
        monday.checked_add(3.days()).unwrap()
    };
    slot(&app, &w.advisor2, local(other, 9, 0, "Europe/Lisbon"), 60)
        .await
        .expect(201);
    slot(&app, &w.advisor2, local(other, 11, 0, "Europe/Lisbon"), 60)
        .await
        .expect(201);
    rules(
        &app,
        &w.advisor2,
        json!({"holiday_region": "PT", "daily_cap": 1}),
    )
    .await
    .expect(200);
    let week = app
        .get(
            &format!("/api/me/week?date={holiday}&lang=pt"),
            &w.advisor2.token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(week["first_day"], monday.to_string());
    assert_eq!(
        week["last_day"],
        monday.checked_add(6.days()).unwrap().to_string()
    );
    assert_eq!(
        week["previous"],
        monday.checked_sub(7.days()).unwrap().to_string()
    );
    assert_eq!(week["time_zone"], "Europe/Lisbon");
    let days = week["days"].as_array().unwrap();
    let at = |d: Date| &days[usize::from(d.weekday().to_monday_zero_offset() as u8)];
    let expected = holidays::on("PT", holiday, Lang::Pt).unwrap().name;
    assert_eq!(at(holiday)["date"], holiday.to_string());
    assert_eq!(at(holiday)["holiday"], expected.as_str());
    assert!(at(other)["holiday"].is_null());
    // Two slots published before the cap of one: shown as over the cap, in Lisbon time.
    assert_eq!(at(other)["sessions"], 2);
    assert_eq!(at(other)["over_cap"], true);
    let first = at(other)["slots"][0]["slot"]["starts_at_local"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first.starts_with(&format!("{other}T09:00:00+0")), "{first}");
    // The same day is no holiday for an advisor who follows Spain's.
    rules(&app, &w.advisor, json!({"holiday_region": "ES"}))
        .await
        .expect(200);
    let madrid = app
        .get(
            &format!("/api/me/week?date={holiday}&lang=es"),
            &w.advisor.token,
        )
        .await
        .expect(200)
        .body;
    let i = usize::from(holiday.weekday().to_monday_zero_offset() as u8);
    assert!(
        madrid["days"][i]["holiday"].is_null(),
        "{}",
        madrid["days"][i]
    );
}
