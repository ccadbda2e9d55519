//! The waitlist: a learner joins, lists, leaves; declines a held slot (booking it is the
//! ordinary booking route); staff see who waits.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::check_topic;
use crate::auth::{CurrentUser, Learner, Role};
use crate::bookings::availability;
use crate::bookings::waitlist::{self, EntryScope, NewEntry, Rules, WaitlistEntry};
use crate::clock::now;
use crate::config::Config;
use crate::db::Db;
use crate::domain::Topic;
use crate::error::{Error, FieldError, Result};
use crate::ids::{HoldId, WaitlistEntryId};
use crate::items::Items;
use crate::json::JsonBody;
use crate::mail::Mailer;
use crate::msg;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistBody {
    /// Wait for this advisor (any topic unless `topic` is given too).
    advisor_id: Option<i64>,
    /// Wait for this topic (any advisor unless `advisor_id` is given too).
    #[schema(value_type = Option<Topic>)]
    topic: Option<String>,
    /// ISO weekdays that suit: 1 = Monday .. 7 = Sunday.
    weekdays: Vec<i64>,
    /// Local times in the learner's zone, `HH:MM` (`to` may be `24:00`): a session must start
    /// at or after `from` and end by `to`.
    from: String,
    to: String,
    /// Anything the advisor should know (up to 500 characters).
    #[serde(default)]
    note: String,
}

/// `HH:MM` as minutes after midnight; `24:00` is 1440.
fn minutes(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<i64> {
    if value.trim() == "24:00" {
        return Some(1440);
    }
    match availability::parse_hhmm(value) {
        Some(t) => Some(i64::from(t.hour()) * 60 + i64::from(t.minute())),
        None => {
            errors.push(FieldError::new(field, msg!("pattern.hhmm")));
            None
        }
    }
}

/// Join a waitlist for one advisor, a topic, or both, on the days and between the local
/// times that suit. When a matching slot is open (now or later), the first waiting person
/// gets a hold on it for `waitlist_hold_minutes` and a message; the answer shows a hold made
/// at once.
#[utoipa::path(tag = "bookings", request_body = WaitlistBody,
    responses((status = 201, body = WaitlistEntry), (status = 403),
        (status = 409, description = "the same wish is already on the list"),
        (status = 422, description = "invalid, or too many waitlists at once")),
    security(("bearer" = [])))]
#[post("/me/waitlist", data = "<body>")]
pub(super) async fn join(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    learner: Learner,
    body: JsonBody<WaitlistBody>,
) -> Result<(Status, Json<WaitlistEntry>)> {
    let mut errors = Vec::new();
    let topic = match body.topic.as_deref() {
        Some(t) => check_topic(&mut errors, t),
        None => None,
    };
    if body.advisor_id.is_none() && body.topic.is_none() {
        errors.push(FieldError::new("topic", msg!("waitlist.advisor_or_topic")));
    }
    if body.weekdays.is_empty() || body.weekdays.iter().any(|d| !(1..=7).contains(d)) {
        errors.push(FieldError::new("weekdays", msg!("pattern.weekdays")));
    }
    let from = minutes(&mut errors, "from", &body.from);
    let to = minutes(&mut errors, "to", &body.to);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errors.push(FieldError::new("to", msg!("pattern.end_before_start")));
        }
    }
    let note = body.note.trim();
    if note.chars().count() > 500 {
        errors.push(FieldError::new("note", msg!("text.too_long", max = 500)));
    }
    if let Some(advisor_id) = body.advisor_id {
        if !waitlist::is_advisor(db, advisor_id).await? {
            errors.push(FieldError::new("advisor_id", msg!("waitlist.no_advisor")));
        }
    }
    Error::check(errors)?;
    let (Some(from_minute), Some(to_minute)) = (from, to) else {
        return Err(Error::invalid("from", msg!("pattern.hhmm")));
    };
    let now = now();
    let id = waitlist::join(
        db,
        &NewEntry {
            learner_id: learner.id,
            advisor_id: body.advisor_id,
            topic,
            weekdays: waitlist::weekday_bits(&body.weekdays),
            from_minute,
            to_minute,
            time_zone: &learner.time_zone,
            note,
        },
        now,
    )
    .await?;
    // A slot that fits may be open already.
    if let Err(e) = waitlist::run(db, now, Rules::of(config), Some(mailer.inner())).await {
        tracing::warn!(error = %e, "waitlist offers after a join failed");
    }
    let entry = waitlist::get(db, learner.id, id, now, &learner.time_zone).await?;
    Ok((Status::Created, Json(entry)))
}

/// The learner's waitlist entries: waiting ones first (with their place and any hold), then
/// the ones booked or left, newest first.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Items<WaitlistEntry>), (status = 403)),
    security(("bearer" = [])))]
#[get("/me/waitlist")]
pub(super) async fn mine(db: &Db, learner: Learner) -> Result<Json<Items<WaitlistEntry>>> {
    Ok(Items::new(
        waitlist::list(
            db,
            EntryScope::Learner(learner.id),
            now(),
            &learner.time_zone,
        )
        .await?,
    ))
}

/// Leave a waitlist. A slot held for this entry passes to the next person waiting.
#[utoipa::path(tag = "bookings",
    responses((status = 204), (status = 403), (status = 404),
        (status = 409, description = "no longer waiting (booked or already left)")),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "waitlist entry id")))]
#[delete("/me/waitlist/<id>")]
pub(super) async fn leave(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    learner: Learner,
    id: WaitlistEntryId,
) -> Result<Status> {
    let now = now();
    // 404 for someone else's entry, before anything changes.
    waitlist::get(db, learner.id, id.get(), now, &learner.time_zone).await?;
    match waitlist::leave(db, learner.id, id.get(), now).await? {
        None => Err(Error::Conflict(msg!("waitlist.not_waiting"))),
        Some(released) => {
            if let Some(slot_id) = released {
                waitlist::offer_after(db, slot_id, Rules::of(config), mailer.inner()).await;
            }
            Ok(Status::NoContent)
        }
    }
}

/// Decline a slot held for you: it passes to the next person waiting at once, and you stay on
/// the waitlist (that slot is not offered to you again).
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = WaitlistEntry), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "hold id")))]
#[post("/waitlist/holds/<id>/decline")]
pub(super) async fn decline(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    learner: Learner,
    id: HoldId,
) -> Result<Json<WaitlistEntry>> {
    let now = now();
    let Some((slot_id, entry_id)) = waitlist::decline(db, learner.id, id.get(), now).await? else {
        return Err(Error::not_found("hold"));
    };
    waitlist::offer_after(db, slot_id, Rules::of(config), mailer.inner()).await;
    Ok(Json(
        waitlist::get(db, learner.id, entry_id, now, &learner.time_zone).await?,
    ))
}

/// Who is waiting: an advisor sees the entries naming them and those for a topic with no
/// advisor named; a coordinator those of their partner's SMEs; an admin all. Oldest first is
/// the order holds are offered in.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Items<WaitlistEntry>), (status = 403)),
    security(("bearer" = [])))]
#[get("/waitlist")]
pub(super) async fn staff_list(db: &Db, user: CurrentUser) -> Result<Json<Items<WaitlistEntry>>> {
    let scope = match user.role {
        Role::Learner => return Err(Error::Forbidden(msg!("waitlist.staff_only"))),
        Role::Advisor => EntryScope::Advisor(user.id),
        Role::Coordinator => EntryScope::Partner(user.partner_id.unwrap_or(-1)),
        Role::Admin => EntryScope::All,
    };
    let mut items = waitlist::list(db, scope, now(), &user.time_zone).await?;
    items.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(Items::new(items))
}
