//! Bookings: book a slot, list and read bookings, notifications, cancel, the invite, the
//! outcome.

use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::{get, post, put, Responder, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{clamp_limit, page, parse_cursor, query_time, Page};
use crate::auth::{Advisor, CurrentUser, Learner, Role};
use crate::bookings::store::{self, BookingFilter, BookingRequest, Cancellation, Refusal};
use crate::bookings::waitlist::{self, Rules};
use crate::bookings::{ics, moves, view, Booking, BookingScope, Notification};
use crate::clock::now;
use crate::config::Config;
use crate::db::Db;
use crate::domain::BookingStatus;
use crate::error::{Error, Result};
use crate::ids::{BookingId, SlotId};
use crate::items::Items;
use crate::json::JsonBody;
use crate::lang::Lang;
use crate::mail::{texts, Mailer};
use crate::messages::Reader;
use crate::msg;

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
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "slot id")))]
#[post("/slots/<id>/booking", data = "<body>")]
pub(super) async fn book_slot(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    learner: Learner,
    id: SlotId,
    body: JsonBody<BookingBody>,
) -> Result<(Status, Json<Booking>)> {
    let note = body.note.trim();
    if note.chars().count() > 1000 {
        return Err(Error::invalid("note", msg!("text.too_long", max = 1000)));
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
        slot_id: id.get(),
        learner_id: learner.id,
        note,
        uid: &uid,
        now,
        earliest_start: now + notice * 3600,
        max_active: max,
    };
    let booking_id = match store::book_with(db, &request, Some(mailer.inner())).await? {
        Ok(id) => id,
        Err(Refusal::NoSuchSlot) => return Err(Error::not_found("slot")),
        Err(Refusal::Taken) => return Err(Error::Conflict(msg!("slot.taken"))),
        Err(Refusal::Started) => return Err(Error::invalid("slot", msg!("slot.started"))),
        Err(Refusal::TooSoon) => {
            return Err(Error::invalid(
                "slot",
                msg!("booking.notice", hours = notice),
            ))
        }
        Err(Refusal::TooMany(n)) => {
            return Err(Error::invalid(
                "slot",
                msg!("booking.too_many", count = n, max = max),
            ))
        }
        Err(Refusal::Overlaps) => return Err(Error::invalid("slot", msg!("booking.overlaps"))),
        Err(Refusal::Quota(over)) => return Err(over.error("slot")),
        Err(Refusal::Held(held)) => return Err(held.error()),
    };
    let tz = learner.time_zone.clone();
    let detail = view::booking(
        store::get_booking(db, BookingScope::of(&learner), BookingId(booking_id)).await?,
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
pub(super) async fn list_bookings(
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
            Error::invalid("status", msg!("list.one_of", values = BookingStatus::LIST))
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
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[get("/bookings/<id>")]
pub(super) async fn get_booking(
    db: &Db,
    user: CurrentUser,
    id: BookingId,
) -> Result<Json<Booking>> {
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
pub(super) async fn list_notifications(
    db: &Db,
    user: CurrentUser,
    reader: Reader,
) -> Result<Json<Items<Notification>>> {
    Ok(Items::new(
        store::notifications(db, user.id, &reader).await?,
    ))
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
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[post("/bookings/<id>/cancellation", data = "<body>")]
pub(super) async fn cancel_booking(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    user: CurrentUser,
    id: BookingId,
    body: JsonBody<CancellationBody>,
) -> Result<Json<Booking>> {
    if !matches!(user.role, Role::Learner | Role::Advisor) {
        return Err(Error::Forbidden(msg!("booking.cancel_who")));
    }
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", msg!("booking.reason_required")));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid("reason", msg!("text.too_long", max = 500)));
    }
    let scope = BookingScope::of(&user);
    let tz = user.time_zone.clone();
    let detail = view::booking(store::get_booking(db, scope, id).await?, scope, &tz);
    if detail.booking.status != BookingStatus::Active {
        return Err(Error::Conflict(msg!("booking.already_cancelled")));
    }
    let now = now();
    let cutoff = config.booking_cancel_cutoff_hours.max(0);
    let (notify, role) = who_is_told(&user, &detail, cutoff, now)?;
    let cancelled = store::cancel_booking(
        db,
        &Cancellation {
            booking_id: id.get(),
            by: user.id,
            by_role: role,
            reason,
            now,
            notify,
            mail: Some((
                mailer.inner(),
                if role == "learner" {
                    &detail.learner.0
                } else {
                    &detail.advisor.0
                },
            )),
        },
    )
    .await?;
    if !cancelled {
        return Err(Error::Conflict(msg!("booking.already_cancelled")));
    }
    // The slot is open again: the first person on its waitlist gets a hold.
    waitlist::offer_after(
        db,
        detail.booking.slot.id,
        Rules::of(config),
        mailer.inner(),
    )
    .await;
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// An open slot of the same advisor.
    slot_id: i64,
}

/// Move a booking to another open slot of the same advisor, in one step: the new slot is taken
/// or nothing changes, and the old one is open again. Its learner until the cancellation
/// cut-off, its advisor until the session starts. The calendar invitation keeps its UID with a
/// higher SEQUENCE; the other side gets a notice and both a mail with the update.
#[utoipa::path(tag = "bookings", request_body = RescheduleBody,
    responses((status = 200, body = Booking), (status = 403), (status = 404),
        (status = 409, description = "the new slot is taken, or the booking was cancelled"),
        (status = 422, description = "past the learners' cut-off, the session has started, or the new slot does not fit")),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[post("/bookings/<id>/reschedule", data = "<body>")]
pub(super) async fn reschedule(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    user: CurrentUser,
    id: BookingId,
    body: JsonBody<RescheduleBody>,
) -> Result<Json<Booking>> {
    if !matches!(user.role, Role::Learner | Role::Advisor) {
        return Err(Error::Forbidden(msg!("booking.move_who")));
    }
    let scope = BookingScope::of(&user);
    let tz = user.time_zone.clone();
    let detail = view::booking(store::get_booking(db, scope, id).await?, scope, &tz);
    if detail.booking.status != BookingStatus::Active {
        return Err(Error::Conflict(msg!("booking.already_cancelled")));
    }
    let now = now();
    let cutoff = config.booking_cancel_cutoff_hours.max(0);
    if user.role == Role::Learner && now > detail.starts_at - cutoff * 3600 {
        return Err(Error::invalid(
            "booking",
            msg!("booking.move_cutoff", hours = cutoff).at("start", detail.starts_at),
        ));
    }
    let notice = config.booking_min_notice_hours.max(0);
    let by_name = if user.role == Role::Learner {
        &detail.learner.0
    } else {
        &detail.advisor.0
    };
    let request = moves::Move {
        booking_id: id.get(),
        to_slot: body.slot_id,
        by: user.role,
        by_name,
        now,
        earliest_start: now + notice * 3600,
        mailer: Some(mailer.inner()),
    };
    if let Err(refusal) = moves::reschedule(db, &request).await? {
        return Err(refusal.error(notice));
    }
    // The old slot is open again.
    waitlist::offer_after(
        db,
        detail.booking.slot.id,
        Rules::of(config),
        mailer.inner(),
    )
    .await;
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}

/// Who is told of a cancellation (the other side) and the role that cancels; a learner past
/// the cut-off is refused (422).
fn who_is_told(
    user: &CurrentUser,
    detail: &view::BookingDetail,
    cutoff: i64,
    now: i64,
) -> Result<(Option<i64>, &'static str)> {
    if user.role != Role::Learner {
        return Ok((Some(detail.learner_id), "advisor"));
    }
    if now > detail.starts_at - cutoff * 3600 {
        return Err(Error::invalid(
            "booking",
            msg!("booking.cancel_cutoff", hours = cutoff).at("start", detail.starts_at),
        ));
    }
    Ok((Some(detail.advisor_id), "learner"))
}

#[derive(Responder)]
#[response(status = 200)]
pub(super) struct IcsFile {
    body: String,
    content_type: ContentType,
    disposition: Header<'static>,
    cache: Header<'static>,
}

/// The session as an iCalendar (RFC 5545) invitation, times in the caller's zone (VTIMEZONE).
#[utoipa::path(tag = "bookings",
    responses((status = 200, content_type = "text/calendar", body = String), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[get("/bookings/<id>/invite.ics")]
pub(super) async fn invite(
    db: &Db,
    config: &State<Config>,
    user: CurrentUser,
    id: BookingId,
) -> Result<IcsFile> {
    if !matches!(user.role, Role::Learner | Role::Advisor) {
        return Err(Error::Forbidden(msg!("booking.invite_who")));
    }
    let tz = user.time_zone.clone();
    let d = view::booking(
        store::get_booking(db, BookingScope::of(&user), id).await?,
        BookingScope::of(&user),
        &tz,
    );
    let b = &d.booking;
    // In the reader's language, as their mail was.
    let words = texts::calendar_event(
        Lang::from_code(&user.locale).unwrap_or(Lang::En),
        b.slot.topic,
        &d.advisor.0,
        &d.learner.0,
        &b.sme.name,
        &b.note,
        b.cancel_reason.as_deref(),
    );
    let text = ics::render(&ics::Invite {
        method_cancel: false,
        uid: &d.uid,
        sequence: b.sequence,
        cancelled: b.status == BookingStatus::Cancelled,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        updated_at: d.updated_at,
        created_at: d.created_at,
        now: now(),
        summary: words.summary,
        description: words.description,
        location: &b.slot.location,
        // The booking's page in the web UI (the API URL would answer a calendar's click 401).
        url: Some(format!(
            "{}/#/{}",
            config.public_url(),
            if user.id == d.advisor_id {
                "advisor/bookings"
            } else {
                "advice"
            }
        )),
        organizer: (&d.advisor.0, &d.advisor.1),
        attendee: (&d.learner.0, &d.learner.1),
        time_zone: Some(&tz),
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
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[put("/bookings/<id>/outcome", data = "<body>")]
pub(super) async fn record_outcome(
    db: &Db,
    mailer: &State<Mailer>,
    advisor: Advisor,
    id: BookingId,
    body: JsonBody<OutcomeBody>,
) -> Result<Json<Booking>> {
    let notes = body.notes.trim();
    if notes.chars().count() > 5000 {
        return Err(Error::invalid("notes", msg!("text.too_long", max = 5000)));
    }
    let scope = BookingScope::of(&advisor);
    let tz = advisor.time_zone.clone();
    let d = view::booking(store::get_booking(db, scope, id).await?, scope, &tz);
    if d.booking.status != BookingStatus::Active {
        return Err(Error::Conflict(msg!("booking.was_cancelled")));
    }
    let now = now();
    if d.starts_at > now {
        return Err(Error::invalid(
            "booking",
            msg!("booking.not_started").at("start", d.starts_at),
        ));
    }
    let outcome = (body.attended, notes);
    if !store::record_outcome(db, advisor.id, id.get(), outcome, now, Some(mailer)).await? {
        return Err(Error::Conflict(msg!("booking.was_cancelled")));
    }
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}
