//! Moving a booking to another slot of the same advisor in one step: the new slot is taken or
//! nothing changes; the old slot is open again as soon as the move commits; the booking keeps
//! its UID (calendar applications update the event, SEQUENCE one higher); the other side gets
//! a notice, and both a mail with the updated invitation.

use sqlx::AnyPool;
use tracing::instrument;

use super::mails;
use super::quota::{self, OverQuota};
use super::store::{parties, queue, sqlx_error};
use crate::auth::Role;
use crate::error::{Context, Error, Result};
use crate::mail::Mailer;
use crate::msg;

/// A move asked for.
pub struct Move<'a> {
    pub booking_id: i64,
    pub to_slot: i64,
    /// Who moves it (the booking's learner or advisor).
    pub by: Role,
    pub by_name: &'a str,
    pub now: i64,
    /// The new slot must start at or after this (now + minimum notice).
    pub earliest_start: i64,
    pub mailer: Option<&'a Mailer>,
}

/// Why a move did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The booking is cancelled.
    NotActive,
    /// Its session has started (or is over).
    Started,
    NoSuchSlot,
    SameSlot,
    OtherAdvisor,
    Taken,
    SlotStarted,
    TooSoon,
    /// The learner has another session at the new time.
    Overlaps,
    /// Beyond the SME's advisory hours of the new slot's quarter.
    Quota(OverQuota),
    /// The new slot is held for another learner on its waitlist.
    Held(super::waitlist::HeldFor),
}

impl Refusal {
    /// The answer for the API.
    pub fn error(self, notice_hours: i64) -> Error {
        match self {
            Refusal::NotActive => Error::Conflict(msg!("booking.already_cancelled")),
            Refusal::Started => Error::invalid("booking", msg!("booking.move_started")),
            Refusal::NoSuchSlot => Error::invalid("slot_id", msg!("booking.move_no_slot")),
            Refusal::SameSlot => Error::invalid("slot_id", msg!("booking.move_same_slot")),
            Refusal::OtherAdvisor => Error::invalid("slot_id", msg!("booking.move_other_advisor")),
            Refusal::Taken => Error::Conflict(msg!("slot.taken")),
            Refusal::SlotStarted => Error::invalid("slot_id", msg!("slot.started")),
            Refusal::TooSoon => {
                Error::invalid("slot_id", msg!("booking.notice", hours = notice_hours))
            }
            Refusal::Overlaps => Error::invalid("slot_id", msg!("booking.overlaps")),
            Refusal::Quota(over) => over.error("slot_id"),
            Refusal::Held(held) => held.error(),
        }
    }
}

/// The booking as it is before the move.
#[derive(sqlx::FromRow)]
struct Current {
    learner_id: i64,
    advisor_id: i64,
    slot_id: i64,
    starts_at: i64,
    status: String,
}

/// Move the booking. `Ok(Ok(()))` when moved, `Ok(Err(refusal))` when not (nothing changed),
/// `Err(Conflict)` when a concurrent booking or move took the slot first.
#[instrument(skip_all)]
pub async fn reschedule(db: &AnyPool, m: &Move<'_>) -> Result<std::result::Result<(), Refusal>> {
    let mut tx = db.begin().await.context("starting reschedule")?;
    // Write first, in the order a booking takes its locks (the learner, then the slot), so
    // SQLite takes its write lock at once and PostgreSQL cannot deadlock against `book`.
    let learner_locked = sqlx::query(
        "UPDATE users SET time_zone = time_zone
         WHERE id = (SELECT learner_id FROM bookings WHERE id = $1)",
    )
    .bind(m.booking_id)
    .execute(&mut *tx)
    .await
    .context("locking learner")?;
    if learner_locked.rows_affected() != 1 {
        return Err(Error::not_found("booking"));
    }
    sqlx::query("UPDATE slots SET deleted_at = deleted_at WHERE id = $1")
        .bind(m.to_slot)
        .execute(&mut *tx)
        .await
        .context("locking slot")?;
    let current: Current = sqlx::query_as(
        "SELECT b.learner_id, s.advisor_id, b.slot_id, s.starts_at, b.status
         FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.id = $1",
    )
    .bind(m.booking_id)
    .fetch_one(&mut *tx)
    .await
    .context("reading booking")?;
    quota::lock_sme_of(&mut tx, current.learner_id).await?;
    if let Some(refusal) = check(&mut tx, m, &current).await? {
        tx.rollback().await.context("ending reschedule")?;
        return Ok(Err(refusal));
    }
    let moved = sqlx::query(
        "UPDATE bookings SET slot_id = $2, sequence = sequence + 1, updated_at = $3
         WHERE id = $1 AND status = 'active' AND slot_id = $4",
    )
    .bind(m.booking_id)
    .bind(m.to_slot)
    .bind(m.now)
    .bind(current.slot_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            Error::Conflict(msg!("slot.taken"))
        } else {
            sqlx_error("moving booking", e)
        }
    })?;
    if moved.rows_affected() != 1 {
        return Err(Error::Conflict(msg!("booking.already_cancelled")));
    }
    let p = parties(&mut tx, m.booking_id).await?;
    let told = if m.by == Role::Learner {
        current.advisor_id
    } else {
        current.learner_id
    };
    sqlx::query(
        "INSERT INTO booking_notifications
            (user_id, booking_id, kind, message, created_at, from_starts_at, to_starts_at, by_role)
         VALUES ($1, $2, 'booking_rescheduled', '', $3, $4, $5, $6)",
    )
    .bind(told)
    .bind(m.booking_id)
    .bind(m.now)
    .bind(current.starts_at)
    .bind(p.starts_at)
    .bind(m.by.as_str())
    .execute(&mut *tx)
    .await
    .context("recording notification")?;
    if let Some(mailer) = m.mailer {
        queue(
            &mut tx,
            &mails::rescheduled(&p, m.by_name, current.starts_at, m.now, mailer),
        )
        .await?;
    }
    tx.commit().await.map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            Error::Conflict(msg!("slot.taken"))
        } else {
            sqlx_error("saving reschedule", e)
        }
    })?;
    Ok(Ok(()))
}

/// The slot asked for.
#[derive(sqlx::FromRow)]
struct Target {
    advisor_id: i64,
    starts_at: i64,
    ends_at: i64,
    deleted_at: Option<i64>,
    /// Its active booking, if any.
    booking_id: Option<i64>,
}

/// What stands in the way of the move, read inside the locked transaction.
async fn check(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    m: &Move<'_>,
    current: &Current,
) -> Result<Option<Refusal>> {
    if current.status != "active" {
        return Ok(Some(Refusal::NotActive));
    }
    if current.starts_at <= m.now {
        return Ok(Some(Refusal::Started));
    }
    if current.slot_id == m.to_slot {
        return Ok(Some(Refusal::SameSlot));
    }
    let target: Option<Target> = sqlx::query_as(
        "SELECT s.advisor_id, s.starts_at, s.ends_at, s.deleted_at,
                (SELECT b.id FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active')
                    AS booking_id
         FROM slots s WHERE s.id = $1",
    )
    .bind(m.to_slot)
    .fetch_optional(&mut **tx)
    .await
    .context("reading slot")?;
    let Some(target) = target.filter(|t| t.deleted_at.is_none()) else {
        return Ok(Some(Refusal::NoSuchSlot));
    };
    if target.advisor_id != current.advisor_id {
        return Ok(Some(Refusal::OtherAdvisor));
    }
    if target.booking_id.is_some() {
        return Ok(Some(Refusal::Taken));
    }
    let (starts_at, ends_at) = (target.starts_at, target.ends_at);
    if starts_at <= m.now {
        return Ok(Some(Refusal::SlotStarted));
    }
    if starts_at < m.earliest_start {
        return Ok(Some(Refusal::TooSoon));
    }
    let (clashes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.learner_id = $1 AND b.status = 'active' AND b.id <> $2
           AND s.starts_at < $4 AND s.ends_at > $3",
    )
    .bind(current.learner_id)
    .bind(m.booking_id)
    .bind(starts_at)
    .bind(ends_at)
    .fetch_one(&mut **tx)
    .await
    .context("checking the learner's sessions")?;
    if clashes > 0 {
        return Ok(Some(Refusal::Overlaps));
    }
    if let Some(over) = quota::check(tx, current.learner_id, m.to_slot, Some(m.booking_id)).await? {
        return Ok(Some(Refusal::Quota(over)));
    }
    // Last: a learner moving into a slot held for them claims the hold.
    let held = super::waitlist::claim_or_refuse(tx, m.to_slot, current.learner_id, m.now).await?;
    Ok(held.map(Refusal::Held))
}
