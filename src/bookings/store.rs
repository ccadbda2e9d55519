//! All SQL of slots, bookings and their notifications.
//!
//! Concurrency, in one place:
//! - one active booking per slot is the partial unique index `bookings_one_active_per_slot`;
//!   the booking itself is one `INSERT ... SELECT` that the index guards (a losing request
//!   gets a unique violation, i.e. 409), never a check followed by an insert;
//! - the per-learner limit and "no booking on a withdrawn slot" need a little more: the
//!   booking transaction first writes the learner's row and the slot's row (a no-op update),
//!   which takes SQLite's write lock or PostgreSQL's row locks before anything is read;
//! - an advisor's slots never overlap: slot inserts run in a transaction that first writes the
//!   advisor's row, so two concurrent inserts for one advisor are serialised.

use sqlx::{Any, AnyPool, Transaction};
use tracing::instrument;

use super::mails::{self, Parties};
use super::{BookingScope, Notification};
use crate::auth::Role;
use crate::clock::rfc3339;
use crate::domain::{BookingStatus, Mode, Topic};
use crate::error::{Context, Error, Result};
use crate::ids::BookingId;
use crate::mail::{Mailer, Outgoing};
use crate::messages::Reader;
use crate::msg;

/// A live slot as stored, with its advisor (times are unix seconds; `view::slot` shows it).
#[derive(Debug, sqlx::FromRow)]
pub struct SlotRow {
    pub id: i64,
    pub advisor_id: i64,
    pub advisor_name: String,
    pub advisor_time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub topic: Topic,
    pub mode: Mode,
    pub location: String,
    pub booking_id: Option<i64>,
    /// The end of a waitlist hold on it (live while in the future).
    pub held_until: Option<i64>,
}

const SLOT_COLUMNS: &str = "s.id, s.advisor_id, a.name AS advisor_name, \
     a.time_zone AS advisor_time_zone, s.starts_at, s.ends_at, s.topic, s.mode, s.location, \
     (SELECT b.id FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active') AS booking_id, \
     (SELECT h.expires_at FROM waitlist_holds h WHERE h.slot_id = s.id AND h.status = 'active') \
         AS held_until";

/// A slot to publish, validated.
#[derive(Debug, Clone)]
pub struct NewSlot<'a> {
    pub starts_at: i64,
    pub ends_at: i64,
    pub topic: Topic,
    pub mode: Mode,
    pub location: &'a str,
    pub time_zone: &'a str,
}

pub(super) fn sqlx_error(what: &str, e: sqlx::Error) -> Error {
    match Err::<(), _>(e).context(what) {
        Err(e) => e,
        Ok(()) => Error::internal(what, "unexpected"),
    }
}

/// Lock the advisor's row for the rest of the transaction (SQLite: the write lock).
async fn lock_user(tx: &mut Transaction<'_, Any>, user_id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET time_zone = time_zone WHERE id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .context("locking user")?;
    Ok(done.rows_affected() == 1)
}

/// Insert slots for one advisor, skipping any that overlap the advisor's live slots (or each
/// other). Returns, in order, `Some(id)` for each inserted slot and `None` for a skipped one.
#[instrument(skip_all)]
pub async fn insert_slots(
    db: &AnyPool,
    advisor_id: i64,
    slots: &[NewSlot<'_>],
    now: i64,
) -> Result<Vec<Option<i64>>> {
    let mut tx = db.begin().await.context("starting slot insert")?;
    if !lock_user(&mut tx, advisor_id).await? {
        return Err(Error::not_found("advisor"));
    }
    let mut out = Vec::with_capacity(slots.len());
    for s in slots {
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO slots (advisor_id, starts_at, ends_at, topic, mode, location, time_zone, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8
             WHERE NOT EXISTS (
                 SELECT 1 FROM slots o
                 WHERE o.advisor_id = $1 AND o.deleted_at IS NULL
                   AND o.starts_at < $3 AND o.ends_at > $2)
             RETURNING id",
        )
        .bind(advisor_id)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.topic)
        .bind(s.mode)
        .bind(s.location)
        .bind(s.time_zone)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .context("inserting slot")?;
        out.push(id.map(|r| r.0));
    }
    tx.commit().await.context("saving slots")?;
    Ok(out)
}

/// Publish slots for one advisor under their rules (days off, holidays, buffer, daily cap;
/// see `workdays`): in order, the new slot's id or why it was skipped. One transaction holding
/// the advisor's lock, so concurrent publications are checked one after the other.
#[instrument(skip_all)]
pub async fn publish_slots(
    db: &AnyPool,
    advisor_id: i64,
    slots: &[NewSlot<'_>],
    now: i64,
) -> Result<Vec<std::result::Result<i64, super::workdays::Skip>>> {
    let mut tx = db.begin().await.context("starting slot insert")?;
    if !lock_user(&mut tx, advisor_id).await? {
        return Err(Error::not_found("advisor"));
    }
    let rules = super::workdays::Rules::load(&mut tx, advisor_id).await?;
    let mut out = Vec::with_capacity(slots.len());
    for s in slots {
        if let Some(skip) = rules.check(&mut tx, advisor_id, s).await? {
            out.push(Err(skip));
            continue;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO slots (advisor_id, starts_at, ends_at, topic, mode, location, time_zone, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(advisor_id)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.topic)
        .bind(s.mode)
        .bind(s.location)
        .bind(s.time_zone)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .context("inserting slot")?;
        out.push(Ok(id));
    }
    tx.commit().await.context("saving slots")?;
    Ok(out)
}

/// A live slot of the advisor's week with who booked it.
#[derive(Debug, sqlx::FromRow)]
pub struct WeekRow {
    #[sqlx(flatten)]
    pub slot: SlotRow,
    pub learner_id: Option<i64>,
    pub learner_name: Option<String>,
    pub sme_id: Option<i64>,
    pub sme_name: Option<String>,
}

/// The advisor's live slots starting in `[from, to)`, by start time.
#[instrument(skip_all)]
pub async fn week_slots(db: &AnyPool, advisor_id: i64, from: i64, to: i64) -> Result<Vec<WeekRow>> {
    sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS}, l.id AS learner_id, l.name AS learner_name, m.id AS sme_id,
                m.name AS sme_name
         FROM slots s JOIN users a ON a.id = s.advisor_id
         LEFT JOIN bookings b ON b.slot_id = s.id AND b.status = 'active'
         LEFT JOIN users l ON l.id = b.learner_id
         LEFT JOIN smes m ON m.id = b.sme_id
         WHERE s.advisor_id = $1 AND s.deleted_at IS NULL AND s.starts_at >= $2 AND s.starts_at < $3
         ORDER BY s.starts_at, s.id"
    ))
    .bind(advisor_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
    .context("reading the week")
}

/// The advisor's live slot that overlaps `[starts_at, ends_at)`, if any (to explain a refusal).
#[instrument(skip_all)]
pub async fn overlapping_slot(
    db: &AnyPool,
    advisor_id: i64,
    starts_at: i64,
    ends_at: i64,
) -> Result<Option<(i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT id, starts_at, ends_at FROM slots
         WHERE advisor_id = $1 AND deleted_at IS NULL AND starts_at < $3 AND ends_at > $2
         ORDER BY starts_at LIMIT 1",
    )
    .bind(advisor_id)
    .bind(starts_at)
    .bind(ends_at)
    .fetch_optional(db)
    .await
    .context("finding overlapping slot")
}

/// One live slot (booked or not).
#[instrument(skip_all)]
pub async fn get_slot(db: &AnyPool, id: i64) -> Result<SlotRow> {
    let row: SlotRow = sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS} FROM slots s JOIN users a ON a.id = s.advisor_id
         WHERE s.id = $1 AND s.deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_one(db)
    .await
    .or_not_found("slot")?;
    Ok(row)
}

/// Live slots by id (those withdrawn are left out), in no particular order.
#[instrument(skip_all)]
pub async fn slots_by_ids(db: &AnyPool, ids: &[i64]) -> Result<Vec<SlotRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {SLOT_COLUMNS} FROM slots s JOIN users a ON a.id = s.advisor_id
         WHERE s.deleted_at IS NULL AND s.id IN ({})",
        marks.join(", ")
    );
    let mut query = sqlx::query_as(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(db).await.context("reading slots")
}

#[derive(Debug, Clone, Default)]
pub struct SlotFilter {
    /// Only slots starting at or after this instant (never before "now").
    pub from: i64,
    pub to: Option<i64>,
    pub topic: Option<Topic>,
    pub advisor_id: Option<i64>,
    /// Include booked slots (for their advisor and admins).
    pub include_booked: bool,
    pub limit: i64,
    /// Keyset cursor: only slots after this `(starts_at, id)`.
    pub after: Option<(i64, i64)>,
    /// Without `include_booked`: slots held for someone on a waitlist are left out, except
    /// those held for this learner.
    pub holder: Option<i64>,
    pub now: i64,
}

/// Future live slots, by start time.
#[instrument(skip_all)]
pub async fn list_slots(db: &AnyPool, f: &SlotFilter) -> Result<Vec<SlotRow>> {
    sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS} FROM slots s JOIN users a ON a.id = s.advisor_id
         WHERE s.deleted_at IS NULL AND s.starts_at >= $1
           AND ($2 IS NULL OR s.starts_at < $2)
           AND ($3 IS NULL OR s.topic = $3)
           AND ($4 IS NULL OR s.advisor_id = $4)
           AND ($5 = 1 OR NOT EXISTS (
               SELECT 1 FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active'))
           AND ($7 IS NULL OR s.starts_at > $7 OR (s.starts_at = $7 AND s.id > $8))
           AND ($5 = 1 OR NOT EXISTS (
               SELECT 1 FROM waitlist_holds h WHERE h.slot_id = s.id AND h.status = 'active'
                 AND h.expires_at > $9 AND ($10 IS NULL OR h.learner_id <> $10)))
         ORDER BY s.starts_at, s.id
         LIMIT $6"
    ))
    .bind(f.from)
    .bind(f.to)
    .bind(f.topic)
    .bind(f.advisor_id)
    .bind(i64::from(f.include_booked))
    .bind(f.limit)
    .bind(f.after.map(|a| a.0))
    .bind(f.after.map(|a| a.1))
    .bind(f.now)
    .bind(f.holder)
    .fetch_all(db)
    .await
    .context("listing slots")
}

/// Why a booking was refused (the INSERT inserted nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoSuchSlot,
    Taken,
    Started,
    TooSoon,
    TooMany(i64),
    Overlaps,
    /// Beyond the SME's advisory hours of that quarter.
    Quota(super::quota::OverQuota),
    /// Held for another learner on the waitlist.
    Held(super::waitlist::HeldFor),
}

pub struct BookingRequest<'a> {
    pub slot_id: i64,
    pub learner_id: i64,
    pub note: &'a str,
    pub uid: &'a str,
    pub now: i64,
    /// Slots starting before this are too soon (now + minimum notice).
    pub earliest_start: i64,
    /// At most this many future active bookings per learner.
    pub max_active: i64,
}

/// Book a slot: `Ok(Ok(id))`, `Ok(Err(refusal))`, or `Err(Conflict)` when another booking won.
#[instrument(skip_all)]
pub async fn book(
    db: &AnyPool,
    r: &BookingRequest<'_>,
) -> Result<std::result::Result<i64, Refusal>> {
    book_with(db, r, None).await
}

/// [`book`], and with a `mailer` the confirmation to both sides queued in the same
/// transaction.
#[instrument(skip_all)]
pub async fn book_with(
    db: &AnyPool,
    r: &BookingRequest<'_>,
    mailer: Option<&Mailer>,
) -> Result<std::result::Result<i64, Refusal>> {
    let mut tx = db.begin().await.context("starting booking")?;
    let _turn = crate::db::write_turn(&mut tx).await;
    // First statements write: the learner's row (limit per learner) and the slot's row (a slot
    // being withdrawn right now). SQLite takes its write lock here, PostgreSQL row locks.
    lock_user(&mut tx, r.learner_id).await?;
    sqlx::query("UPDATE slots SET deleted_at = deleted_at WHERE id = $1")
        .bind(r.slot_id)
        .execute(&mut *tx)
        .await
        .context("locking slot")?;
    // Then the SME (colleagues booking at once are counted one after the other).
    super::quota::lock_sme_of(&mut tx, r.learner_id).await?;
    if let Some(over) = super::quota::check(&mut tx, r.learner_id, r.slot_id, None).await? {
        tx.rollback().await.context("ending booking")?;
        return Ok(Err(Refusal::Quota(over)));
    }
    // A slot held for someone on its waitlist is theirs until the hold expires; the holder's
    // booking claims the hold.
    if let Some(held) =
        super::waitlist::claim_or_refuse(&mut tx, r.slot_id, r.learner_id, r.now).await?
    {
        tx.rollback().await.context("ending booking")?;
        return Ok(Err(Refusal::Held(held)));
    }
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO bookings (slot_id, learner_id, sme_id, note, status, uid, sequence, created_at, updated_at)
         SELECT s.id, u.id, u.sme_id, $3, 'active', $4, 0, $5, $5
         FROM slots s, users u
         WHERE s.id = $1 AND u.id = $2 AND u.sme_id IS NOT NULL
           AND s.deleted_at IS NULL AND s.starts_at >= $6
           AND (SELECT COUNT(*) FROM bookings b JOIN slots bs ON bs.id = b.slot_id
                WHERE b.learner_id = $2 AND b.status = 'active' AND bs.starts_at > $5) < $7
           AND NOT EXISTS (
                SELECT 1 FROM bookings b JOIN slots bs ON bs.id = b.slot_id
                WHERE b.learner_id = $2 AND b.status = 'active'
                  AND bs.starts_at < s.ends_at AND bs.ends_at > s.starts_at)
         RETURNING id",
    )
    .bind(r.slot_id)
    .bind(r.learner_id)
    .bind(r.note)
    .bind(r.uid)
    .bind(r.now)
    .bind(r.earliest_start)
    .bind(r.max_active)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            Error::Conflict(msg!("slot.taken"))
        } else {
            sqlx_error("booking slot", e)
        }
    })?;
    if let Some((id,)) = inserted {
        if let Some(mailer) = mailer {
            let p = parties(&mut tx, id).await?;
            queue(&mut tx, &mails::confirmation(&p, r.now, mailer)).await?;
        }
        tx.commit().await.map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                Error::Conflict(msg!("slot.taken"))
            } else {
                sqlx_error("saving booking", e)
            }
        })?;
        return Ok(Ok(id));
    }
    // Nothing inserted: say why, reading inside the same (locked) transaction.
    let refusal = refusal(&mut tx, r).await?;
    tx.rollback().await.context("ending booking")?;
    Ok(Err(refusal))
}

/// Why a booking was not inserted.
async fn refusal(tx: &mut Transaction<'_, Any>, r: &BookingRequest<'_>) -> Result<Refusal> {
    let slot: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT s.starts_at, s.deleted_at,
                (SELECT b.id FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active')
         FROM slots s WHERE s.id = $1",
    )
    .bind(r.slot_id)
    .fetch_optional(&mut **tx)
    .await
    .context("reading slot")?;
    Ok(match slot {
        None | Some((_, Some(_), _)) => Refusal::NoSuchSlot,
        Some((_, None, Some(_))) => Refusal::Taken,
        Some((starts_at, None, None)) if starts_at <= r.now => Refusal::Started,
        Some((starts_at, None, None)) if starts_at < r.earliest_start => Refusal::TooSoon,
        Some(_) => {
            let (active,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM bookings b JOIN slots bs ON bs.id = b.slot_id
                 WHERE b.learner_id = $1 AND b.status = 'active' AND bs.starts_at > $2",
            )
            .bind(r.learner_id)
            .bind(r.now)
            .fetch_one(&mut **tx)
            .await
            .context("counting bookings")?;
            if active >= r.max_active {
                Refusal::TooMany(active)
            } else {
                Refusal::Overlaps
            }
        }
    })
}

/// A booking as stored, with its slot, advisor, learner and SME (`view::booking` shows it).
#[derive(Debug, sqlx::FromRow)]
pub struct BookingRow {
    pub id: i64,
    pub status: BookingStatus,
    pub note: String,
    pub uid: String,
    pub sequence: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    pub cancelled_by: Option<i64>,
    pub cancelled_by_role: Option<Role>,
    pub cancel_reason: Option<String>,
    pub attended: Option<i64>,
    pub outcome_notes: Option<String>,
    pub outcome_at: Option<i64>,
    pub no_show_waived_at: Option<i64>,
    pub slot_id: i64,
    pub slot_deleted_at: Option<i64>,
    pub slot_booking_id: Option<i64>,
    pub advisor_id: i64,
    pub advisor_name: String,
    pub advisor_email: String,
    pub advisor_time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub topic: Topic,
    pub mode: Mode,
    pub location: String,
    pub learner_id: i64,
    pub learner_name: String,
    pub learner_email: String,
    pub sme_id: i64,
    pub sme_name: String,
}

const BOOKING_SELECT: &str = "SELECT b.id, b.status, b.note, b.uid, b.sequence, b.created_at,
        b.updated_at, b.cancelled_at, b.cancelled_by, b.cancelled_by_role, b.cancel_reason,
        b.attended, b.outcome_notes, b.outcome_at, b.no_show_waived_at,
        s.id AS slot_id, s.deleted_at AS slot_deleted_at,
        (SELECT x.id FROM bookings x WHERE x.slot_id = s.id AND x.status = 'active')
            AS slot_booking_id,
        s.advisor_id, a.name AS advisor_name, a.email AS advisor_email,
        a.time_zone AS advisor_time_zone, s.starts_at, s.ends_at, s.topic, s.mode, s.location,
        l.id AS learner_id, l.name AS learner_name, l.email AS learner_email,
        m.id AS sme_id, m.name AS sme_name
     FROM bookings b
     JOIN slots s ON s.id = b.slot_id
     JOIN users a ON a.id = s.advisor_id
     JOIN users l ON l.id = b.learner_id
     JOIN smes m ON m.id = b.sme_id
     WHERE ($1 IS NULL OR b.learner_id = $1)
       AND ($2 IS NULL OR s.advisor_id = $2)
       AND ($3 IS NULL OR m.partner_id = $3)";

/// One booking the caller may see; anything else is "not found".
#[instrument(skip_all)]
pub async fn get_booking(db: &AnyPool, scope: BookingScope, id: BookingId) -> Result<BookingRow> {
    let (learner, advisor, partner) = scope.filters();
    let row: BookingRow = sqlx::query_as(&format!("{BOOKING_SELECT} AND b.id = $4"))
        .bind(learner)
        .bind(advisor)
        .bind(partner)
        .bind(id)
        .fetch_one(db)
        .await
        .or_not_found("booking")?;
    Ok(row)
}

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub status: Option<BookingStatus>,
    /// Only bookings whose slot starts at or after this instant.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
    /// Keyset cursor: only bookings after this `(slot starts_at, booking id)`.
    pub after: Option<(i64, i64)>,
}

/// Bookings the caller may see, soonest session first.
#[instrument(skip_all)]
pub async fn list_bookings(
    db: &AnyPool,
    scope: BookingScope,
    f: &BookingFilter,
) -> Result<Vec<BookingRow>> {
    let (learner, advisor, partner) = scope.filters();
    sqlx::query_as(&format!(
        "{BOOKING_SELECT}
           AND ($4 IS NULL OR b.status = $4)
           AND ($5 IS NULL OR s.starts_at >= $5)
           AND ($6 IS NULL OR s.starts_at < $6)
           AND ($8 IS NULL OR s.starts_at > $8 OR (s.starts_at = $8 AND b.id > $9))
         ORDER BY s.starts_at, b.id
         LIMIT $7"
    ))
    .bind(learner)
    .bind(advisor)
    .bind(partner)
    .bind(f.status)
    .bind(f.from)
    .bind(f.to)
    .bind(f.limit)
    .bind(f.after.map(|a| a.0))
    .bind(f.after.map(|a| a.1))
    .fetch_all(db)
    .await
    .context("listing bookings")
}

pub struct Cancellation<'a> {
    pub booking_id: i64,
    pub by: i64,
    pub by_role: &'a str,
    pub reason: &'a str,
    pub now: i64,
    /// Told about it (the other side).
    pub notify: Option<i64>,
    /// Mail both sides (who cancelled, by name).
    pub mail: Option<(&'a Mailer, &'a str)>,
}

/// Cancel an active booking; `false` when it was no longer active.
#[instrument(skip_all)]
pub async fn cancel_booking(db: &AnyPool, c: &Cancellation<'_>) -> Result<bool> {
    let mut tx = db.begin().await.context("starting cancellation")?;
    let _turn = crate::db::write_turn(&mut tx).await;
    let done = sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3,
                cancelled_by_role = $4, cancel_reason = $5, sequence = sequence + 1, updated_at = $2
         WHERE id = $1 AND status = 'active'",
    )
    .bind(c.booking_id)
    .bind(c.now)
    .bind(c.by)
    .bind(c.by_role)
    .bind(c.reason)
    .execute(&mut *tx)
    .await
    .context("cancelling booking")?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some(user) = c.notify {
        notify(&mut tx, user, c.booking_id, c.now).await?;
    }
    if let Some((mailer, by_name)) = c.mail {
        let p = parties(&mut tx, c.booking_id).await?;
        queue(
            &mut tx,
            &mails::cancellation(&p, by_name, c.reason, c.now, mailer),
        )
        .await?;
    }
    tx.commit().await.context("saving cancellation")?;
    Ok(true)
}

/// Tell `user_id` that the booking was cancelled. The words are written when the notice is
/// read (`notifications`), so none are stored (the `message` column holds older versions' text).
async fn notify(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    booking_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO booking_notifications (user_id, booking_id, kind, message, created_at)
         VALUES ($1, $2, 'booking_cancelled', '', $3)",
    )
    .bind(user_id)
    .bind(booking_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("recording notification")?;
    Ok(())
}

/// What happened to a withdrawn slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    Done,
    NotFound,
    Started,
}

/// Withdraw one of the advisor's future slots; its active booking (if any) is cancelled and
/// the learner told, in the same transaction.
#[instrument(skip_all)]
pub async fn withdraw_slot(
    db: &AnyPool,
    advisor_id: i64,
    slot_id: i64,
    now: i64,
    reason: &str,
    mailer: Option<&Mailer>,
) -> Result<Withdrawal> {
    let mut tx = db.begin().await.context("starting slot withdrawal")?;
    let done = sqlx::query(
        "UPDATE slots SET deleted_at = $3
         WHERE id = $1 AND advisor_id = $2 AND deleted_at IS NULL AND starts_at > $3",
    )
    .bind(slot_id)
    .bind(advisor_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("withdrawing slot")?;
    if done.rows_affected() != 1 {
        let mine: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM slots WHERE id = $1 AND advisor_id = $2 AND deleted_at IS NULL",
        )
        .bind(slot_id)
        .bind(advisor_id)
        .fetch_optional(&mut *tx)
        .await
        .context("slot")?;
        tx.rollback().await.context("ending slot withdrawal")?;
        return Ok(if mine.is_some() {
            Withdrawal::Started
        } else {
            Withdrawal::NotFound
        });
    }
    super::waitlist::release_slot(&mut tx, slot_id, now).await?;
    let cancelled: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3,
                cancelled_by_role = 'advisor', cancel_reason = $4, sequence = sequence + 1,
                updated_at = $2
         WHERE slot_id = $1 AND status = 'active'
         RETURNING id, learner_id",
    )
    .bind(slot_id)
    .bind(now)
    .bind(advisor_id)
    .bind((!reason.is_empty()).then_some(reason))
    .fetch_optional(&mut *tx)
    .await
    .context("cancelling the slot's booking")?;
    if let Some((booking_id, learner_id)) = cancelled {
        notify(&mut tx, learner_id, booking_id, now).await?;
        if let Some(mailer) = mailer {
            let p = parties(&mut tx, booking_id).await?;
            let by = p.advisor_name.clone();
            queue(&mut tx, &mails::cancellation(&p, &by, reason, now, mailer)).await?;
        }
    }
    tx.commit().await.context("saving slot withdrawal")?;
    Ok(Withdrawal::Done)
}

/// Record attended / no-show and the advisor's notes on an active booking of this advisor,
/// and (with a mailer) tell the learner in the same transaction.
#[instrument(skip_all)]
pub async fn record_outcome(
    db: &AnyPool,
    advisor_id: i64,
    booking_id: i64,
    outcome: (bool, &str),
    now: i64,
    mailer: Option<&Mailer>,
) -> Result<bool> {
    let (attended, notes) = outcome;
    let mut tx = db.begin().await.context("starting an outcome")?;
    let done = sqlx::query(
        "UPDATE bookings SET attended = $3, outcome_notes = $4, outcome_at = $5, updated_at = $5,
                no_show_waived_at = CASE WHEN $3 = 1 THEN NULL ELSE no_show_waived_at END,
                no_show_waived_by = CASE WHEN $3 = 1 THEN NULL ELSE no_show_waived_by END
         WHERE id = $1 AND status = 'active'
           AND slot_id IN (SELECT id FROM slots WHERE advisor_id = $2 AND starts_at <= $5)",
    )
    .bind(booking_id)
    .bind(advisor_id)
    .bind(i64::from(attended))
    .bind(notes)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("recording outcome")?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some(mailer) = mailer {
        let p = parties(&mut tx, booking_id).await?;
        queue(&mut tx, &mails::outcome(&p, attended, mailer)).await?;
        if attended {
            crate::xapi::session_attended(&mut tx, mailer, booking_id).await?;
        }
    }
    tx.commit().await.context("saving outcome")?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    booking_id: i64,
    kind: String,
    created_at: i64,
    starts_at: i64,
    topic: Topic,
    cancelled_by_role: Option<String>,
    cancel_reason: Option<String>,
    learner_name: String,
    advisor_name: String,
    from_starts_at: Option<i64>,
    to_starts_at: Option<i64>,
    by_role: Option<String>,
}

/// The user's latest booking notifications.
#[instrument(skip_all)]
pub async fn notifications(
    db: &AnyPool,
    user_id: i64,
    reader: &Reader,
) -> Result<Vec<Notification>> {
    // The words are written when they are read, in the reader's language and zone (the stored
    // `message` is the English text of older versions, kept for them).
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "SELECT n.id, n.booking_id, n.kind, n.created_at, s.starts_at, s.topic,
                b.cancelled_by_role, b.cancel_reason, l.name AS learner_name,
                a.name AS advisor_name, n.from_starts_at, n.to_starts_at, n.by_role
         FROM booking_notifications n
         JOIN bookings b ON b.id = n.booking_id
         JOIN slots s ON s.id = b.slot_id
         JOIN users l ON l.id = b.learner_id
         JOIN users a ON a.id = s.advisor_id
         WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
    .context("listing notifications")?;
    Ok(rows
        .into_iter()
        .map(|r| Notification {
            id: r.id,
            booking_id: r.booking_id,
            message: notice(&r).render(reader),
            kind: r.kind,
            created_at: rfc3339(r.created_at),
        })
        .collect())
}

/// What a notice says: who moved a session from when to when, or who cancelled which
/// session, and why.
fn notice(r: &NotificationRow) -> crate::messages::Msg {
    if let (Some(from), Some(to)) = (r.from_starts_at, r.to_starts_at) {
        let code = if r.by_role.as_deref() == Some("learner") {
            "notice.moved_by_learner"
        } else {
            "notice.moved_by_advisor"
        };
        return crate::messages::Msg::new(code)
            .word("topic", r.topic.word())
            .at("from", from)
            .at("start", to)
            .with("learner", r.learner_name.as_str())
            .with("advisor", r.advisor_name.as_str());
    }
    let no_reason = r
        .cancel_reason
        .as_deref()
        .is_none_or(|x| x.trim().is_empty());
    let code = if r.cancelled_by_role.as_deref() == Some("learner") {
        "notice.cancelled_by_learner"
    } else if no_reason {
        // The advisor withdrew the slot.
        "notice.withdrawn_by_advisor"
    } else {
        "notice.cancelled_by_advisor"
    };
    crate::messages::Msg::new(code)
        .word("topic", r.topic.word())
        .at("start", r.starts_at)
        .with("learner", r.learner_name.as_str())
        .with("advisor", r.advisor_name.as_str())
        .with("reason", r.cancel_reason.clone().unwrap_or_default())
}

/// `(sme_id, sme_name, starts_at)` of every attended session, within a partner filter.
#[instrument(skip_all)]
pub async fn attended_sessions(
    db: &AnyPool,
    partner: Option<i64>,
) -> Result<Vec<(i64, String, i64)>> {
    sqlx::query_as(
        "SELECT m.id, m.name, s.starts_at FROM bookings b
         JOIN slots s ON s.id = b.slot_id
         JOIN smes m ON m.id = b.sme_id
         WHERE b.status = 'active' AND b.attended = 1 AND ($1 IS NULL OR m.partner_id = $1)",
    )
    .bind(partner)
    .fetch_all(db)
    .await
    .context("counting attended sessions")
}

const PARTIES_SELECT: &str = "SELECT b.id AS booking_id, b.uid, b.sequence, b.note,
        b.created_at, b.updated_at, s.starts_at, s.ends_at, s.topic, s.mode, s.location,
        l.id AS learner_id, l.name AS learner_name, l.email AS learner_email,
        l.locale AS learner_locale, l.time_zone AS learner_time_zone,
        l.email_reminders AS learner_reminders,
        a.id AS advisor_id, a.name AS advisor_name, a.email AS advisor_email,
        a.locale AS advisor_locale, a.time_zone AS advisor_time_zone,
        a.email_reminders AS advisor_reminders,
        m.name AS sme_name
     FROM bookings b
     JOIN slots s ON s.id = b.slot_id
     JOIN users a ON a.id = s.advisor_id
     JOIN users l ON l.id = b.learner_id
     JOIN smes m ON m.id = b.sme_id";

/// A booking and both people on it, read inside the transaction that changes it.
pub(super) async fn parties(tx: &mut Transaction<'_, Any>, booking_id: i64) -> Result<Parties> {
    sqlx::query_as(&format!("{PARTIES_SELECT} WHERE b.id = $1"))
        .bind(booking_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading who a booking concerns")
}

pub(super) async fn queue(tx: &mut Transaction<'_, Any>, messages: &[Outgoing]) -> Result<()> {
    for m in messages {
        crate::mail::enqueue(tx, m).await?;
    }
    Ok(())
}

/// Active bookings of sessions starting in `(from, to]`, with both people (for reminders).
#[instrument(skip_all)]
pub async fn starting_between(db: &AnyPool, from: i64, to: i64) -> Result<Vec<Parties>> {
    sqlx::query_as(&format!(
        "{PARTIES_SELECT} WHERE b.status = 'active' AND s.starts_at > $1 AND s.starts_at <= $2
         ORDER BY s.starts_at, b.id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
    .context("finding sessions to remind")
}

/// Queue messages outside any other change (reminders: each carries its dedupe key).
pub async fn queue_now(db: &AnyPool, messages: &[Outgoing]) -> Result<usize> {
    let mut conn = db.acquire().await.context("queueing reminders")?;
    let mut queued = 0;
    for m in messages {
        if crate::mail::enqueue(&mut conn, m).await? {
            queued += 1;
        }
    }
    Ok(queued)
}
