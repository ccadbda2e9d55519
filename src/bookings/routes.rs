//! HTTP routes of slots and bookings: guards, parsing, status codes.

use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Responder, Route, State};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::availability::{self, Pattern};
use super::service::{self, PatternRequest, PatternResult, SkippedSlot};
use super::store::{
    self, BookingFilter, BookingRequest, Cancellation, NewSlot, Refusal, SlotFilter, Withdrawal,
};
use super::{ics, view, Booking, BookingScope, Notification, Slot};
use crate::auth::{Advisor, CurrentUser, Learner, Role};
use crate::clock::{now, parse_rfc3339};
use crate::config::Config;
use crate::db::Db;
use crate::domain::{BookingStatus, Mode, Topic};
use crate::error::{Error, FieldError, Result};
use crate::items::Items;
use crate::json::JsonBody;

#[derive(OpenApi)]
#[openapi(
    paths(
        create_slot,
        create_pattern,
        list_slots,
        delete_slot,
        book_slot,
        list_bookings,
        get_booking,
        list_notifications,
        cancel_booking,
        invite,
        record_outcome
    ),
    components(schemas(
        Slot,
        Booking,
        super::PersonRef,
        super::Outcome,
        Notification,
        NewSlotBody,
        PatternBody,
        PatternResult,
        SkippedSlot,
        BookingBody,
        CancellationBody,
        OutcomeBody
    ))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        create_slot,
        create_pattern,
        list_slots,
        delete_slot,
        book_slot,
        list_bookings,
        get_booking,
        list_notifications,
        cancel_booking,
        invite,
        record_outcome
    ]
}

/// Sessions last between 15 minutes and 8 hours.
const MIN_MINUTES: i64 = 15;
const MAX_MINUTES: i64 = 8 * 60;
/// Slots may be published up to two years ahead.
const HORIZON_SECONDS: i64 = 730 * 86_400;
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

fn time_field(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<i64> {
    let parsed = parse_rfc3339(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            "must be an RFC 3339 time, e.g. 2026-03-02T09:30:00Z",
        ));
    }
    parsed
}

fn query_time(field: &str, value: Option<&str>) -> Result<Option<i64>> {
    match value {
        None => Ok(None),
        Some(v) => parse_rfc3339(v).map(Some).ok_or_else(|| {
            Error::invalid(field, "must be an RFC 3339 time, e.g. 2026-03-02T09:30:00Z")
        }),
    }
}

fn check_topic(errors: &mut Vec<FieldError>, topic: &str) -> Option<Topic> {
    let topic = Topic::parse(topic);
    if topic.is_none() {
        errors.push(FieldError::new(
            "topic",
            format!("must be one of {}", Topic::LIST),
        ));
    }
    topic
}

fn check_mode_and_location(
    errors: &mut Vec<FieldError>,
    mode: &str,
    location: &str,
) -> Option<Mode> {
    let Some(mode) = Mode::parse(mode) else {
        errors.push(FieldError::new(
            "mode",
            format!("must be one of {}", Mode::LIST),
        ));
        return None;
    };
    let location = location.trim();
    if location.is_empty() {
        errors.push(FieldError::new(
            "location",
            if mode == Mode::Online {
                "is required: the meeting link"
            } else {
                "is required: the address"
            },
        ));
    } else if location.chars().count() > 500 {
        errors.push(FieldError::new(
            "location",
            "must be at most 500 characters",
        ));
    } else if location.chars().any(char::is_control) {
        errors.push(FieldError::new("location", "must be a single line"));
    } else if mode == Mode::Online
        && !(location.starts_with("https://") || location.starts_with("http://"))
    {
        errors.push(FieldError::new(
            "location",
            "an online session needs a meeting link (https://...)",
        ));
    }
    Some(mode)
}

/// A list with a keyset cursor: pass `next_cursor` back as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}

fn parse_cursor(cursor: Option<&str>) -> Result<Option<(i64, i64)>> {
    let Some(c) = cursor else {
        return Ok(None);
    };
    c.split_once('.')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}

/// Cut a `limit + 1` fetch of rows down to `limit`, say where the next page starts (the last
/// row's `key`), and show the rows.
fn page<R, T: ToSchema>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> (i64, i64),
    show: impl FnMut(R) -> T,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (a, b) = key(r);
            format!("{a}.{b}")
        })
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(show).collect(),
        next_cursor,
    }
}

fn clamp_limit(l: Option<i64>) -> i64 {
    l.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

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

/// Publish one slot.
#[utoipa::path(tag = "bookings", request_body = NewSlotBody,
    responses((status = 201, body = Slot), (status = 403), (status = 422, description = "overlaps one of your slots, in the past, or invalid")),
    security(("bearer" = [])))]
#[post("/slots", data = "<body>")]
async fn create_slot(
    db: &Db,
    advisor: Advisor,
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
            errors.push(FieldError::new("starts_at", "is in the past"));
        } else if s > now + HORIZON_SECONDS {
            errors.push(FieldError::new("starts_at", "is more than two years ahead"));
        }
        if e <= s {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        } else if (e - s) < MIN_MINUTES * 60 || (e - s) > MAX_MINUTES * 60 {
            errors.push(FieldError::new(
                "ends_at",
                format!(
                    "a session lasts between {MIN_MINUTES} minutes and {} hours",
                    MAX_MINUTES / 60
                ),
            ));
        }
    }
    Error::check(errors)?;
    let (Some(starts_at), Some(ends_at), Some(topic), Some(mode)) = (starts, ends, topic, mode)
    else {
        return Err(Error::invalid("starts_at", "is required"));
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
    let ids = store::insert_slots(db, advisor.id, &[slot], now).await?;
    match ids.first().copied().flatten() {
        Some(id) => Ok((
            Status::Created,
            Json(view::slot(store::get_slot(db, id).await?, &tz)),
        )),
        None => {
            let other = store::overlapping_slot(db, advisor.id, starts_at, ends_at).await?;
            let zone = availability::zone(&tz);
            let message = match other {
                Some((id, s, e)) => format!(
                    "overlaps your slot {id} ({} to {})",
                    availability::local_rfc3339(s, &zone),
                    availability::local_rfc3339(e, &zone)
                ),
                None => "overlaps one of your slots".to_string(),
            };
            Err(Error::invalid("starts_at", message))
        }
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
            errors.push(FieldError::new(
                "time_zone",
                "must be an IANA time zone, e.g. Europe/Madrid",
            ));
            None
        }
    };
    if body.weekdays.is_empty() || body.weekdays.iter().any(|d| !(1..=7).contains(d)) {
        errors.push(FieldError::new(
            "weekdays",
            "must list ISO weekdays, 1 (Monday) to 7 (Sunday)",
        ));
    }
    let start = availability::parse_hhmm(&body.start_time);
    let end = availability::parse_hhmm(&body.end_time);
    if start.is_none() {
        errors.push(FieldError::new("start_time", "must be HH:MM (24 h)"));
    }
    if end.is_none() {
        errors.push(FieldError::new("end_time", "must be HH:MM (24 h)"));
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.push(FieldError::new("end_time", "must be after start_time"));
        }
    }
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&body.session_minutes) {
        errors.push(FieldError::new(
            "session_minutes",
            format!("must be between {MIN_MINUTES} and {MAX_MINUTES}"),
        ));
    }
    if !(0..=240).contains(&body.buffer_minutes) {
        errors.push(FieldError::new(
            "buffer_minutes",
            "must be between 0 and 240",
        ));
    }
    if !(1..=26).contains(&body.weeks) {
        errors.push(FieldError::new("weeks", "must be between 1 and 26"));
    }
    let topic = check_topic(&mut errors, &body.topic);
    let mode = check_mode_and_location(&mut errors, &body.mode, &body.location);
    let today = tz.as_ref().and_then(|tz| availability::local_date(now, tz));
    let first_day = match (&body.start_date, today) {
        (None, t) => t,
        (Some(d), Some(today)) => match availability::parse_date(d) {
            Some(d) if d < today => {
                errors.push(FieldError::new("start_date", "is in the past"));
                None
            }
            Some(d)
                if d > today
                    .checked_add(jiff::Span::new().days(365))
                    .unwrap_or(today) =>
            {
                errors.push(FieldError::new("start_date", "is more than a year ahead"));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError::new("start_date", "must be a date, YYYY-MM-DD"));
                None
            }
        },
        (Some(_), None) => None,
    };
    Error::check(errors)?;
    let (Some(topic), Some(mode)) = (topic, mode) else {
        return Err(Error::invalid("topic", "is required"));
    };
    let (Some(tz), Some(start), Some(end), Some(first_day)) = (tz, start, end, first_day) else {
        return Err(Error::invalid("body", "incomplete pattern"));
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

/// Publish a weekly availability pattern: slots for the next N weeks, laid out in local
/// wall-clock time (correct across daylight-saving changes), skipping any that would
/// overlap an existing slot or lie in the past.
#[utoipa::path(tag = "bookings", request_body = PatternBody,
    responses((status = 201, body = PatternResult), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[post("/slots/pattern", data = "<body>")]
async fn create_pattern(
    db: &Db,
    advisor: Advisor,
    body: JsonBody<PatternBody>,
) -> Result<(Status, Json<PatternResult>)> {
    let now = now();
    let request = pattern_request(&body, &advisor.time_zone, now)?;
    let result =
        service::publish_pattern(db, advisor.id, &advisor.time_zone, &request, now).await?;
    Ok((Status::Created, Json(result)))
}

/// Open (unbooked, future) slots, soonest first, with local times in the caller's zone.
/// `include_booked=true` also shows booked slots to their advisor (and to admins).
#[utoipa::path(tag = "bookings",
    params(
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
async fn list_slots(
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
    responses((status = 204), (status = 403), (status = 404), (status = 422, description = "the slot has already started")),
    security(("bearer" = [])))]
#[delete("/slots/<id>")]
async fn delete_slot(db: &Db, advisor: Advisor, id: i64) -> Result<Status> {
    match store::withdraw_slot(db, advisor.id, id, now(), "the advisor withdrew this slot").await? {
        Withdrawal::Done => Ok(Status::NoContent),
        Withdrawal::NotFound => Err(Error::not_found("slot")),
        Withdrawal::Started => Err(Error::invalid(
            "id",
            "this slot has already started: record the session's outcome instead",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingBody {
    /// What the learner needs from the session (up to 1,000 characters).
    #[serde(default)]
    note: String,
}

/// Book an open slot. Concurrent requests for one slot give exactly one 201; the rest 409.
#[utoipa::path(tag = "bookings", request_body = BookingBody,
    responses((status = 201, body = Booking), (status = 403), (status = 404),
        (status = 409, description = "the slot is taken"),
        (status = 422, description = "too little notice, too many upcoming bookings, or a clash")),
    security(("bearer" = [])))]
#[post("/slots/<id>/booking", data = "<body>")]
async fn book_slot(
    db: &Db,
    config: &State<Config>,
    learner: Learner,
    id: i64,
    body: JsonBody<BookingBody>,
) -> Result<(Status, Json<Booking>)> {
    let note = body.note.trim();
    if note.chars().count() > 1000 {
        return Err(Error::invalid("note", "must be at most 1000 characters"));
    }
    let now = now();
    let notice = config.booking_min_notice_hours.max(0);
    let max = config.booking_max_per_learner.max(1);
    let uid = format!(
        "booking-{}@{}",
        uuid::Uuid::new_v4().simple(),
        uid_host(config)
    );
    let request = BookingRequest {
        slot_id: id,
        learner_id: learner.id,
        note,
        uid: &uid,
        now,
        earliest_start: now + notice * 3600,
        max_active: max,
    };
    let booking_id = match store::book(db, &request).await? {
        Ok(id) => id,
        Err(Refusal::NoSuchSlot) => return Err(Error::not_found("slot")),
        Err(Refusal::Taken) => {
            return Err(Error::Conflict("this slot has already been booked".into()))
        }
        Err(Refusal::Started) => {
            return Err(Error::invalid("slot", "this slot has already started"))
        }
        Err(Refusal::TooSoon) => {
            return Err(Error::invalid(
                "slot",
                format!("bookings need at least {notice} hours' notice before the session starts"),
            ))
        }
        Err(Refusal::TooMany(n)) => {
            return Err(Error::invalid(
                "slot",
                format!(
                    "you already have {n} upcoming bookings and at most {max} are allowed: \
                     cancel one first"
                ),
            ))
        }
        Err(Refusal::Overlaps) => {
            return Err(Error::invalid(
                "slot",
                "you already have a booked session at that time",
            ))
        }
    };
    let tz = learner.time_zone.clone();
    let detail = view::booking(
        store::get_booking(db, BookingScope::of(&learner), booking_id).await?,
        BookingScope::of(&learner),
        &tz,
    );
    Ok((Status::Created, Json(detail.booking)))
}

fn uid_host(config: &Config) -> String {
    let url = config.public_url();
    let host = url.split("://").nth(1).unwrap_or(url);
    let host = host.split(['/', ':']).next().unwrap_or_default();
    if host.is_empty() {
        "iberobio-academy".into()
    } else {
        host.to_string()
    }
}

/// Bookings the caller may see: a learner their own, an advisor those on their slots, a
/// coordinator those of their partner's SMEs, an admin all.
#[utoipa::path(tag = "bookings",
    params(
        ("status" = Option<BookingStatus>, Query, description = "only bookings in this state"),
        ("from" = Option<String>, Query, description = "RFC 3339; sessions starting at or after"),
        ("to" = Option<String>, Query, description = "RFC 3339; sessions starting before"),
        ("limit" = Option<i64>, Query, description = "default 200, max 1000"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses((status = 200, body = Page<Booking>), (status = 422)),
    security(("bearer" = [])))]
#[get("/bookings?<status>&<from>&<to>&<limit>&<cursor>")]
async fn list_bookings(
    db: &Db,
    user: CurrentUser,
    status: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Json<Page<Booking>>> {
    let status = match status {
        Some(s) => Some(BookingStatus::parse(s).ok_or_else(|| {
            Error::invalid("status", format!("must be one of {}", BookingStatus::LIST))
        })?),
        None => None,
    };
    let filter = BookingFilter {
        status,
        from: query_time("from", from)?,
        to: query_time("to", to)?,
        limit: clamp_limit(limit) + 1,
        after: parse_cursor(cursor)?,
    };
    let tz = user.time_zone.clone();
    let scope = BookingScope::of(&user);
    let rows = store::list_bookings(db, scope, &filter).await?;
    Ok(Json(page(
        rows,
        clamp_limit(limit),
        |b| (b.starts_at, b.id),
        |b| view::booking(b, scope, &tz).booking,
    )))
}

/// One booking (404 when it is not the caller's to see).
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Booking), (status = 404)),
    security(("bearer" = [])))]
#[get("/bookings/<id>")]
async fn get_booking(db: &Db, user: CurrentUser, id: i64) -> Result<Json<Booking>> {
    let tz = user.time_zone.clone();
    Ok(Json(
        view::booking(
            store::get_booking(db, BookingScope::of(&user), id).await?,
            BookingScope::of(&user),
            &tz,
        )
        .booking,
    ))
}

/// What the caller has been told about their bookings (e.g. a cancellation by the other side).
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Items<Notification>)),
    security(("bearer" = [])))]
#[get("/bookings/notifications")]
async fn list_notifications(db: &Db, user: CurrentUser) -> Result<Json<Items<Notification>>> {
    Ok(Items::new(store::notifications(db, user.id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationBody {
    /// Why (shown to the other side).
    reason: String,
}

/// Cancel a booking: its learner until the cut-off before the start, its advisor always.
/// The slot is open again; the booking keeps its history.
#[utoipa::path(tag = "bookings", request_body = CancellationBody,
    responses((status = 200, body = Booking), (status = 403), (status = 404),
        (status = 409, description = "already cancelled"),
        (status = 422, description = "past the learners' cut-off, or no reason")),
    security(("bearer" = [])))]
#[post("/bookings/<id>/cancellation", data = "<body>")]
async fn cancel_booking(
    db: &Db,
    config: &State<Config>,
    user: CurrentUser,
    id: i64,
    body: JsonBody<CancellationBody>,
) -> Result<Json<Booking>> {
    if !matches!(user.role, Role::Learner | Role::Advisor) {
        return Err(Error::Forbidden(
            "a booking is cancelled by its learner or its advisor".into(),
        ));
    }
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", "is required"));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid("reason", "must be at most 500 characters"));
    }
    let scope = BookingScope::of(&user);
    let tz = user.time_zone.clone();
    let detail = view::booking(store::get_booking(db, scope, id).await?, scope, &tz);
    if detail.booking.status != BookingStatus::Active {
        return Err(Error::Conflict("this booking is already cancelled".into()));
    }
    let now = now();
    let cutoff = config.booking_cancel_cutoff_hours.max(0);
    let (notify, role) = if user.role == Role::Learner {
        if now > detail.starts_at - cutoff * 3600 {
            return Err(Error::invalid(
                "booking",
                format!(
                    "learners can cancel up to {cutoff} hours before the session \
                     (it starts at {}); please ask the advisor to cancel it",
                    detail.booking.slot.starts_at_local
                ),
            ));
        }
        (
            Some((
                detail.advisor_id,
                format!(
                    "{} cancelled the session of {}: {reason}",
                    detail.learner.0, detail.booking.slot.starts_at
                ),
            )),
            "learner",
        )
    } else {
        (
            Some((
                detail.learner_id,
                format!("Your advisory session was cancelled by the advisor: {reason}"),
            )),
            "advisor",
        )
    };
    let cancelled = store::cancel_booking(
        db,
        &Cancellation {
            booking_id: id,
            by: user.id,
            by_role: role,
            reason,
            now,
            notify,
        },
    )
    .await?;
    if !cancelled {
        return Err(Error::Conflict("this booking is already cancelled".into()));
    }
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}

#[derive(Responder)]
#[response(status = 200)]
struct IcsFile {
    body: String,
    content_type: ContentType,
    disposition: Header<'static>,
    cache: Header<'static>,
}

/// The session as an iCalendar (RFC 5545) invitation, times in UTC.
#[utoipa::path(tag = "bookings",
    responses((status = 200, content_type = "text/calendar", body = String), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/bookings/<id>/invite.ics")]
async fn invite(db: &Db, config: &State<Config>, user: CurrentUser, id: i64) -> Result<IcsFile> {
    if !matches!(user.role, Role::Learner | Role::Advisor) {
        return Err(Error::Forbidden(
            "invites are for the booking's learner and advisor".into(),
        ));
    }
    let tz = user.time_zone.clone();
    let d = view::booking(
        store::get_booking(db, BookingScope::of(&user), id).await?,
        BookingScope::of(&user),
        &tz,
    );
    let b = &d.booking;
    let mut description = format!(
        "One-to-one advisory session ({}) with {} for {} ({}).",
        b.slot.topic.label(),
        d.advisor.0,
        d.learner.0,
        b.sme.name
    );
    if !b.note.is_empty() {
        description.push_str(&format!("\nNote: {}", b.note));
    }
    if let Some(reason) = &b.cancel_reason {
        description.push_str(&format!("\nCancelled: {reason}"));
    }
    let text = ics::render(&ics::Invite {
        uid: &d.uid,
        sequence: b.sequence,
        cancelled: b.status == BookingStatus::Cancelled,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        updated_at: d.updated_at,
        created_at: d.created_at,
        now: now(),
        summary: format!("IberoBio advisory session: {}", b.slot.topic.label()),
        description,
        location: &b.slot.location,
        url: Some(format!("{}/api/bookings/{}", config.public_url(), b.id)),
        organizer: (&d.advisor.0, &d.advisor.1),
        attendee: (&d.learner.0, &d.learner.1),
    });
    Ok(IcsFile {
        body: text,
        content_type: ContentType::new("text", "calendar")
            .with_params([("charset", "utf-8"), ("method", "REQUEST")]),
        disposition: Header::new(
            "Content-Disposition",
            format!("attachment; filename=\"booking-{}.ics\"", b.id),
        ),
        cache: Header::new("Cache-Control", "no-store"),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    attended: bool,
    /// Private notes: seen by the advisor, the SME's coordinator and admins, never learners.
    #[serde(default)]
    notes: String,
}

/// Record whether the learner attended, with private notes (the booking's advisor, once the
/// session has started).
#[utoipa::path(tag = "bookings", request_body = OutcomeBody,
    responses((status = 200, body = Booking), (status = 403), (status = 404),
        (status = 409, description = "the booking was cancelled"),
        (status = 422, description = "the session has not started yet")),
    security(("bearer" = [])))]
#[put("/bookings/<id>/outcome", data = "<body>")]
async fn record_outcome(
    db: &Db,
    advisor: Advisor,
    id: i64,
    body: JsonBody<OutcomeBody>,
) -> Result<Json<Booking>> {
    let notes = body.notes.trim();
    if notes.chars().count() > 5000 {
        return Err(Error::invalid("notes", "must be at most 5000 characters"));
    }
    let scope = BookingScope::of(&advisor);
    let tz = advisor.time_zone.clone();
    let d = view::booking(store::get_booking(db, scope, id).await?, scope, &tz);
    if d.booking.status != BookingStatus::Active {
        return Err(Error::Conflict("this booking was cancelled".into()));
    }
    let now = now();
    if d.starts_at > now {
        return Err(Error::invalid(
            "booking",
            format!(
                "the session has not started yet (it starts at {})",
                d.booking.slot.starts_at_local
            ),
        ));
    }
    if !store::record_outcome(db, advisor.id, id, body.attended, notes, now).await? {
        return Err(Error::Conflict("this booking was cancelled".into()));
    }
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}
