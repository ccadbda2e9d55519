//! Slots: publish one, publish a weekly pattern, list, withdraw.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    check_mode_and_location, check_topic, clamp_limit, page, parse_cursor, query_time, time_field,
    Page, HORIZON_SECONDS, MAX_MINUTES, MIN_MINUTES,
};
use crate::auth::{Advisor, CurrentUser, Role};
use crate::bookings::availability::{self, Pattern};
use crate::bookings::service::{self, PatternRequest, PatternResult};
use crate::bookings::store::{self, NewSlot, SlotFilter, Withdrawal};
use crate::bookings::waitlist::{self, Rules};
use crate::bookings::{view, Slot};
use crate::clock::now;
use crate::config::Config;
use crate::db::Db;
use crate::domain::{Mode, Topic};
use crate::error::{Error, FieldError, Result};
use crate::ids::SlotId;
use crate::json::JsonBody;
use crate::mail::Mailer;
use crate::messages::Reader;
use crate::msg;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlotBody {
    /// RFC 3339 (any offset; stored in UTC).
    starts_at: String,
    ends_at: String,
    #[schema(value_type = Topic)]
    topic: String,
    #[schema(value_type = Mode)]
    mode: String,
    /// The meeting link (online) or the address (in person).
    location: String,
}

/// Publish one slot, under the advisor's rules: not overlapping another slot or its buffer,
/// not on a day off or a public holiday of the advisor's region, within the daily cap.
#[utoipa::path(tag = "bookings", request_body = NewSlotBody,
    responses((status = 201, body = Slot), (status = 403), (status = 422, description = "overlaps one of your slots or its buffer, on a day off or a holiday, beyond the daily cap, in the past, or invalid")),
    security(("bearer" = [])))]
#[post("/slots", data = "<body>")]
pub(super) async fn create_slot(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    advisor: Advisor,
    reader: Reader,
    body: JsonBody<NewSlotBody>,
) -> Result<(Status, Json<Slot>)> {
    let now = now();
    let mut errors = Vec::new();
    let starts = time_field(&mut errors, "starts_at", &body.starts_at);
    let ends = time_field(&mut errors, "ends_at", &body.ends_at);
    let topic = check_topic(&mut errors, &body.topic);
    let mode = check_mode_and_location(&mut errors, &body.mode, &body.location);
    if let (Some(s), Some(e)) = (starts, ends) {
        if s <= now {
            errors.push(FieldError::new("starts_at", msg!("slot.starts_in_past")));
        } else if s > now + HORIZON_SECONDS {
            errors.push(FieldError::new("starts_at", msg!("slot.too_far_ahead")));
        }
        if e <= s {
            errors.push(FieldError::new("ends_at", msg!("slot.ends_before_start")));
        } else if (e - s) < MIN_MINUTES * 60 || (e - s) > MAX_MINUTES * 60 {
            errors.push(FieldError::new(
                "ends_at",
                msg!(
                    "slot.length",
                    min = MIN_MINUTES,
                    max_hours = MAX_MINUTES / 60
                ),
            ));
        }
    }
    Error::check(errors)?;
    let (Some(starts_at), Some(ends_at), Some(topic), Some(mode)) = (starts, ends, topic, mode)
    else {
        return Err(Error::invalid("starts_at", msg!("account.required")));
    };
    let tz = advisor.time_zone.clone();
    let slot = NewSlot {
        starts_at,
        ends_at,
        topic,
        mode,
        location: body.location.trim(),
        time_zone: &tz,
    };
    let outcome = store::publish_slots(db, advisor.id, &[slot], now).await?;
    match outcome.into_iter().next() {
        Some(Ok(id)) => {
            // Someone on the waitlist may be waiting for just this.
            waitlist::offer_after(db, id, Rules::of(config), mailer.inner()).await;
            Ok((
                Status::Created,
                Json(view::slot(store::get_slot(db, id).await?, &tz)),
            ))
        }
        Some(Err(why)) => Err(why.error(reader.lang)),
        None => Err(Error::invalid("starts_at", msg!("slot.overlaps_some"))),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternBody {
    /// ISO weekdays: 1 = Monday .. 7 = Sunday.
    weekdays: Vec<i64>,
    /// Local wall-clock time, `HH:MM`.
    start_time: String,
    /// Local wall-clock time, `HH:MM`; the last session ends by then.
    end_time: String,
    session_minutes: i64,
    #[serde(default)]
    buffer_minutes: i64,
    /// How many weeks ahead (1 to 26).
    weeks: i64,
    /// IANA zone of the wall-clock times; defaults to the advisor's own.
    time_zone: Option<String>,
    /// First day (`YYYY-MM-DD`, local); defaults to today.
    start_date: Option<String>,
    #[schema(value_type = Topic)]
    topic: String,
    #[schema(value_type = Mode)]
    mode: String,
    location: String,
}

/// The pattern a body asks for, validated (422 naming every wrong field).
fn pattern_request<'b>(
    body: &'b PatternBody,
    advisor_tz: &str,
    now: i64,
) -> Result<PatternRequest<'b>> {
    let mut errors = Vec::new();
    let tz_name = body
        .time_zone
        .clone()
        .unwrap_or_else(|| advisor_tz.to_string());
    let tz = match jiff::tz::TimeZone::get(&tz_name) {
        Ok(tz) => Some(tz),
        Err(_) => {
            errors.push(FieldError::new("time_zone", msg!("account.time_zone")));
            None
        }
    };
    if body.weekdays.is_empty() || body.weekdays.iter().any(|d| !(1..=7).contains(d)) {
        errors.push(FieldError::new("weekdays", msg!("pattern.weekdays")));
    }
    let (start, end) = local_times(&mut errors, &body.start_time, &body.end_time);
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&body.session_minutes) {
        errors.push(FieldError::new(
            "session_minutes",
            msg!(
                "pattern.session_minutes",
                min = MIN_MINUTES,
                max = MAX_MINUTES
            ),
        ));
    }
    if !(0..=240).contains(&body.buffer_minutes) {
        errors.push(FieldError::new(
            "buffer_minutes",
            msg!("pattern.buffer_minutes", max = 240),
        ));
    }
    if !(1..=26).contains(&body.weeks) {
        errors.push(FieldError::new("weeks", msg!("pattern.weeks", max = 26)));
    }
    let topic = check_topic(&mut errors, &body.topic);
    let mode = check_mode_and_location(&mut errors, &body.mode, &body.location);
    let first_day = first_day(&mut errors, body.start_date.as_deref(), tz.as_ref(), now);
    Error::check(errors)?;
    let (Some(topic), Some(mode)) = (topic, mode) else {
        return Err(Error::invalid("topic", msg!("account.required")));
    };
    let (Some(tz), Some(start), Some(end), Some(first_day)) = (tz, start, end, first_day) else {
        return Err(Error::invalid("body", msg!("pattern.incomplete")));
    };
    Ok(PatternRequest {
        pattern: Pattern {
            weekdays: body.weekdays.iter().map(|d| *d as i8).collect(),
            start,
            end,
            session_minutes: body.session_minutes,
            buffer_minutes: body.buffer_minutes,
            first_day,
            weeks: body.weeks,
            tz,
        },
        time_zone: tz_name,
        topic,
        mode,
        location: body.location.trim(),
    })
}

/// The first day of a pattern: today in its zone unless given, not in the past, at most a
/// year ahead.
fn first_day(
    errors: &mut Vec<FieldError>,
    start_date: Option<&str>,
    tz: Option<&jiff::tz::TimeZone>,
    now: i64,
) -> Option<jiff::civil::Date> {
    let today = tz.and_then(|tz| availability::local_date(now, tz));
    match (start_date, today) {
        (None, t) => t,
        (Some(d), Some(today)) => match availability::parse_date(d) {
            Some(d) if d < today => {
                errors.push(FieldError::new("start_date", msg!("pattern.start_in_past")));
                None
            }
            Some(d)
                if d > today
                    .checked_add(jiff::Span::new().days(365))
                    .unwrap_or(today) =>
            {
                errors.push(FieldError::new("start_date", msg!("pattern.start_too_far")));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError::new("start_date", msg!("pattern.date")));
                None
            }
        },
        (Some(_), None) => None,
    }
}

/// The wall-clock start and end of a pattern's day: `HH:MM`, the end after the start.
fn local_times(
    errors: &mut Vec<FieldError>,
    start_time: &str,
    end_time: &str,
) -> (Option<jiff::civil::Time>, Option<jiff::civil::Time>) {
    let start = availability::parse_hhmm(start_time);
    let end = availability::parse_hhmm(end_time);
    if start.is_none() {
        errors.push(FieldError::new("start_time", msg!("pattern.hhmm")));
    }
    if end.is_none() {
        errors.push(FieldError::new("end_time", msg!("pattern.hhmm")));
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.push(FieldError::new(
                "end_time",
                msg!("pattern.end_before_start"),
            ));
        }
    }
    (start, end)
}

/// Publish a weekly availability pattern: slots for the next N weeks, laid out in local
/// wall-clock time (correct across daylight-saving changes), skipping any that would
/// overlap an existing slot or lie in the past.
#[utoipa::path(tag = "bookings", request_body = PatternBody,
    responses((status = 201, body = PatternResult), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[post("/slots/pattern", data = "<body>")]
pub(super) async fn create_pattern(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    advisor: Advisor,
    reader: Reader,
    body: JsonBody<PatternBody>,
) -> Result<(Status, Json<PatternResult>)> {
    let now = now();
    let request = pattern_request(&body, &advisor.time_zone, now)?;
    let result = service::publish_pattern(db, advisor.id, &reader, &request, now).await?;
    if !result.created.is_empty() {
        // Offer the new slots to whoever waits (the periodic job would, a little later).
        if let Err(e) = waitlist::run(db, now, Rules::of(config), Some(mailer.inner())).await {
            tracing::warn!(error = %e, "waitlist offers after a pattern failed");
        }
    }
    Ok((Status::Created, Json(result)))
}

/// Open (unbooked, future) slots, soonest first, with local times in the caller's zone.
/// `include_booked=true` also shows booked slots to their advisor (and to admins).
#[utoipa::path(tag = "bookings",
    params(("id" = i64, Path, description = "slot id"), 
        ("from" = Option<String>, Query, description = "RFC 3339; slots starting at or after"),
        ("to" = Option<String>, Query, description = "RFC 3339; slots starting before"),
        ("topic" = Option<Topic>, Query, description = "only slots on this topic"),
        ("advisor_id" = Option<i64>, Query, description = "one advisor's slots"),
        ("include_booked" = Option<bool>, Query, description = "advisors (own slots) and admins"),
        ("limit" = Option<i64>, Query, description = "at most this many (default 200, max 1000)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses((status = 200, body = Page<Slot>), (status = 422)),
    security(("bearer" = [])))]
#[get("/slots?<from>&<to>&<topic>&<advisor_id>&<include_booked>&<limit>&<cursor>")]
#[allow(clippy::too_many_arguments)]
pub(super) async fn list_slots(
    db: &Db,
    user: CurrentUser,
    from: Option<&str>,
    to: Option<&str>,
    topic: Option<&str>,
    advisor_id: Option<i64>,
    include_booked: Option<bool>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Json<Page<Slot>>> {
    let now = now();
    let after = parse_cursor(cursor)?;
    let from = query_time("from", from)?;
    let to = query_time("to", to)?;
    let topic = match topic {
        Some(t) => {
            let mut errors = Vec::new();
            let topic = check_topic(&mut errors, t);
            Error::check(errors)?;
            topic
        }
        None => None,
    };
    let mut advisor_id = advisor_id;
    let wants_booked = include_booked.unwrap_or(false);
    let include_booked = match user.role {
        Role::Admin => wants_booked,
        Role::Advisor if wants_booked => {
            if advisor_id.is_none() {
                advisor_id = Some(user.id);
            }
            advisor_id == Some(user.id)
        }
        _ => false,
    };
    let tz = user.time_zone.clone();
    let filter = SlotFilter {
        from: from.unwrap_or(now).max(now),
        to,
        topic,
        advisor_id,
        include_booked,
        limit: clamp_limit(limit) + 1,
        after,
        holder: (user.role == Role::Learner).then_some(user.id),
        now,
    };
    let rows = store::list_slots(db, &filter).await?;
    Ok(Json(page(
        rows,
        clamp_limit(limit),
        |s| (s.starts_at, s.id),
        |s| view::slot(s, &tz),
    )))
}

/// Withdraw one of your future slots. A booking on it is cancelled and the learner told.
#[utoipa::path(tag = "bookings",
    params(("id" = i64, Path, description = "slot id")),
    responses((status = 204), (status = 403), (status = 404), (status = 422, description = "the slot has already started")),
    security(("bearer" = [])))]
#[delete("/slots/<id>")]
pub(super) async fn delete_slot(
    db: &Db,
    mailer: &State<Mailer>,
    advisor: Advisor,
    id: SlotId,
) -> Result<Status> {
    match store::withdraw_slot(
        db,
        advisor.id,
        id.get(),
        now(),
        // No reason typed by anyone: each reader is told in their own words that the advisor
        // withdrew the slot (a notice, a mail), and `cancel_reason` stays empty.
        "",
        Some(mailer.inner()),
    )
    .await?
    {
        Withdrawal::Done => Ok(Status::NoContent),
        Withdrawal::NotFound => Err(Error::not_found("slot")),
        Withdrawal::Started => Err(Error::invalid("id", msg!("slot.started_withdraw"))),
    }
}
