//! An advisor's working days: the holiday region, buffer and daily cap; days off; the week.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Advisor;
use crate::bookings::availability;
use crate::bookings::workdays::{self, Availability, Settings, TimeOff, Week, MAX_TIME_OFF_DAYS};
use crate::bookings::{holidays, store, view, Booking, BookingScope};
use crate::clock::now;
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::ids::{BookingId, TimeOffId};
use crate::json::JsonBody;
use crate::messages::Reader;
use crate::msg;

/// The advisor's local date today.
fn today(advisor: &Advisor) -> jiff::civil::Date {
    let tz = availability::zone(&advisor.time_zone);
    availability::local_date(now(), &tz).unwrap_or_else(|| jiff::civil::date(2026, 1, 1))
}

/// The advisor's rules and days off, the regions to choose from and the region's holidays of
/// the coming year.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Availability), (status = 403)),
    security(("bearer" = [])))]
#[get("/me/availability")]
pub(super) async fn show(db: &Db, advisor: Advisor, reader: Reader) -> Result<Json<Availability>> {
    Ok(Json(
        workdays::availability(
            db,
            advisor.id,
            &advisor.time_zone,
            reader.lang,
            today(&advisor),
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    /// A region code of `regions` (`ES-GA`, `PT`, ...) whose public holidays stay free; null:
    /// none.
    holiday_region: Option<String>,
    /// Minutes kept free between two sessions (0 to 240).
    #[serde(default)]
    buffer_minutes: i64,
    /// The most sessions on one day (1 to 48); null: no limit.
    daily_cap: Option<i64>,
}

/// Set the rules applied to every slot published from now on (slots already published stay).
#[utoipa::path(tag = "bookings", request_body = AvailabilityBody,
    responses((status = 200, body = Availability), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[put("/me/availability", data = "<body>")]
pub(super) async fn save(
    db: &Db,
    advisor: Advisor,
    reader: Reader,
    body: JsonBody<AvailabilityBody>,
) -> Result<Json<Availability>> {
    let mut errors = Vec::new();
    let region = body
        .holiday_region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(r) = region {
        if !holidays::is_region(r) {
            let codes: Vec<String> = holidays::regions(reader.lang)
                .into_iter()
                .map(|r| r.code)
                .collect();
            errors.push(FieldError::new(
                "holiday_region",
                msg!("list.one_of", values = codes.join(", ")),
            ));
        }
    }
    if !(0..=240).contains(&body.buffer_minutes) {
        errors.push(FieldError::new(
            "buffer_minutes",
            msg!("pattern.buffer_minutes", max = 240),
        ));
    }
    if body.daily_cap.is_some_and(|c| !(1..=48).contains(&c)) {
        errors.push(FieldError::new("daily_cap", msg!("workdays.daily_cap")));
    }
    Error::check(errors)?;
    let settings = Settings {
        holiday_region: region.map(str::to_string),
        buffer_minutes: body.buffer_minutes,
        daily_cap: body.daily_cap,
    };
    workdays::save_settings(db, advisor.id, &settings, now()).await?;
    show(db, advisor, reader).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffBody {
    /// `YYYY-MM-DD`, a date in your zone.
    first_day: String,
    /// `YYYY-MM-DD`, included; at most a year after `first_day`.
    last_day: String,
    /// Shown in your week (up to 200 characters).
    #[serde(default)]
    reason: String,
}

/// What adding days off did.
#[derive(Serialize, ToSchema)]
pub struct TimeOffResult {
    pub time_off: TimeOff,
    /// Open slots of those days, withdrawn.
    pub withdrawn_slots: Vec<i64>,
    /// Booked sessions of those days: still on; move or cancel them.
    pub sessions: Vec<Booking>,
}

/// Take days off: no slot is published on them, the open slots of those days are withdrawn,
/// and the sessions already booked on them are listed for you to move or cancel.
#[utoipa::path(tag = "bookings", request_body = TimeOffBody,
    responses((status = 201, body = TimeOffResult), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[post("/me/time-off", data = "<body>")]
pub(super) async fn add_time_off(
    db: &Db,
    advisor: Advisor,
    body: JsonBody<TimeOffBody>,
) -> Result<(Status, Json<TimeOffResult>)> {
    let mut errors = Vec::new();
    let mut day = |field: &str, value: &str| {
        let d = availability::parse_date(value);
        if d.is_none() {
            errors.push(FieldError::new(field, msg!("pattern.date")));
        }
        d
    };
    let first = day("first_day", &body.first_day);
    let last = day("last_day", &body.last_day);
    let today = today(&advisor);
    if let (Some(f), Some(l)) = (first, last) {
        if l < f {
            errors.push(FieldError::new(
                "last_day",
                msg!("workdays.last_before_first"),
            ));
        } else if i64::from((l - f).get_days()) > MAX_TIME_OFF_DAYS {
            errors.push(FieldError::new(
                "last_day",
                msg!("workdays.too_long", max = MAX_TIME_OFF_DAYS),
            ));
        } else if l < today {
            errors.push(FieldError::new("last_day", msg!("workdays.past")));
        }
    }
    let reason = body.reason.trim();
    if reason.chars().count() > 200 {
        errors.push(FieldError::new("reason", msg!("text.too_long", max = 200)));
    }
    Error::check(errors)?;
    let (Some(first), Some(last)) = (first, last) else {
        return Err(Error::invalid("first_day", msg!("pattern.date")));
    };
    let tz = availability::zone(&advisor.time_zone);
    let added = workdays::add_time_off(db, advisor.id, (first, last), reason, &tz, now()).await?;
    let scope = BookingScope::of(&advisor);
    let mut sessions = Vec::new();
    for id in &added.booked {
        let row = store::get_booking(db, scope, BookingId(*id)).await?;
        sessions.push(view::booking(row, scope, &advisor.time_zone).booking);
    }
    Ok((
        Status::Created,
        Json(TimeOffResult {
            time_off: TimeOff {
                id: added.id,
                first_day: first.to_string(),
                last_day: last.to_string(),
                reason: reason.to_string(),
            },
            withdrawn_slots: added.withdrawn,
            sessions,
        }),
    ))
}

/// Remove days off (slots withdrawn when they were added are not published again).
#[utoipa::path(tag = "bookings",
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "time off id")))]
#[delete("/me/time-off/<id>")]
pub(super) async fn remove_time_off(db: &Db, advisor: Advisor, id: TimeOffId) -> Result<Status> {
    if workdays::remove_time_off(db, advisor.id, id.get(), now()).await? {
        Ok(Status::NoContent)
    } else {
        Err(Error::not_found("time_off"))
    }
}

/// Your week, Monday to Sunday in your zone: each day's slots (booked ones with the learner
/// and SME), the public holiday and days off, the count against your daily cap.
#[utoipa::path(tag = "bookings",
    params(("date" = Option<String>, Query, description = "YYYY-MM-DD, any day of the week (default: today)")),
    responses((status = 200, body = Week), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[get("/me/week?<date>")]
pub(super) async fn week(
    db: &Db,
    advisor: Advisor,
    reader: Reader,
    date: Option<&str>,
) -> Result<Json<Week>> {
    let day = match date {
        Some(d) => availability::parse_date(d)
            .ok_or_else(|| Error::invalid("date", msg!("pattern.date")))?,
        None => today(&advisor),
    };
    Ok(Json(
        workdays::week(db, advisor.id, &advisor.time_zone, reader.lang, day).await?,
    ))
}
