//! The waitlist. A learner for whom no slot fits waits for one advisor, a topic, or both, on
//! preferred weekdays between two local times (in their own zone). Whenever a matching slot is
//! open (a new slot, a cancellation, a move that frees a slot, a hold that ran out) the first
//! waiting entry, oldest first, gets a time-limited **hold** on it and a message: until the
//! hold expires only that learner may book the slot (the ordinary `POST /slots/{id}/booking`,
//! which claims the hold). A declined or expired hold passes to the next entry; an entry is
//! never offered the same slot twice.
//!
//! Concurrency: an offer runs in one transaction that first writes the slot's row (the lock a
//! booking takes too), so an offer and a booking of the same slot are serialised; the partial
//! unique indexes `waitlist_one_hold_per_slot` and `waitlist_one_hold_per_entry` make a second
//! live hold impossible whatever the number of processes (a losing offer is retried).
//! A periodic job (`waitlist`, every `reminder_interval_seconds`, one process per turn)
//! expires holds and offers whatever open slot matches a waiting entry, so nothing is missed
//! when a process stops between a change and its offer.

use std::collections::HashSet;

use jiff::tz::TimeZone;
use rocket::fairing::AdHoc;
use serde::Serialize;
use sqlx::{Any, AnyPool, Transaction};
use tracing::instrument;
use utoipa::ToSchema;

use super::store::{self, sqlx_error};
use super::{availability, view, PersonRef, Slot};
use crate::config::Config;
use crate::domain::{Mode, Topic};
use crate::error::{Context, Error, Result};
use crate::lang::Lang;
use crate::mail::texts::{self, Session};
use crate::mail::{Kind, Mailer, Outgoing};
use crate::msg;

/// A learner may wait in at most this many lists at once.
pub const MAX_WAITING: i64 = 5;
/// A hold shorter than this is not worth offering (the slot is too close to its start).
const MIN_HOLD_SECONDS: i64 = 15 * 60;
/// How many tries an offer gets when another process's offer wins a unique index.
const OFFER_TRIES: usize = 4;

/// The rules an offer follows, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// How long a hold lasts (`waitlist_hold_minutes`).
    pub hold_seconds: i64,
    /// Bookings need this much notice, so a hold ends by then.
    pub notice_seconds: i64,
    /// The most upcoming bookings per learner (a learner at the limit is not offered slots).
    pub max_active: i64,
}

impl Rules {
    pub fn of(config: &Config) -> Rules {
        Rules {
            hold_seconds: config.waitlist_hold_minutes.max(1) * 60,
            notice_seconds: config.booking_min_notice_hours.max(0) * 3600,
            max_active: config.booking_max_per_learner.max(1),
        }
    }
}

/// When a learner can come: ISO weekdays (a bit each) between two local times.
#[derive(Debug, Clone)]
pub struct Window {
    /// Bit `1 << d` for ISO weekday `d` (1 = Monday .. 7 = Sunday).
    pub weekdays: i64,
    /// Minutes after local midnight: start at or after `from`, end by `to` (1440 = midnight).
    pub from_minute: i64,
    pub to_minute: i64,
    pub tz: TimeZone,
}

impl Window {
    /// Does a session `[starts_at, ends_at)` fall inside the window, on one local day?
    pub fn fits(&self, starts_at: i64, ends_at: i64) -> bool {
        let (Ok(start), Ok(end)) = (
            jiff::Timestamp::from_second(starts_at),
            jiff::Timestamp::from_second(ends_at),
        ) else {
            return false;
        };
        let (start, end) = (
            start.to_zoned(self.tz.clone()),
            end.to_zoned(self.tz.clone()),
        );
        let day = i64::from(start.weekday().to_monday_one_offset());
        if self.weekdays & (1 << day) == 0 {
            return false;
        }
        let minute = |z: &jiff::Zoned| i64::from(z.hour()) * 60 + i64::from(z.minute());
        let end_minute = if end.date() == start.date() {
            minute(&end)
        } else if start.date().tomorrow().ok() == Some(end.date()) && minute(&end) == 0 {
            1440
        } else {
            return false;
        };
        minute(&start) >= self.from_minute && end_minute <= self.to_minute
    }
}

/// The bit set of ISO weekdays.
pub fn weekday_bits(days: &[i64]) -> i64 {
    days.iter().fold(0, |bits, d| bits | (1 << d))
}

/// The ISO weekdays of a bit set, in order.
pub fn weekdays_of(bits: i64) -> Vec<i64> {
    (1..=7).filter(|d| bits & (1 << d) != 0).collect()
}

/// `09:30` for 570; `24:00` for 1440.
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A waitlist entry as its learner (and staff) see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistEntry {
    pub id: i64,
    /// The advisor waited for; none: any advisor of the topic.
    pub advisor: Option<PersonRef>,
    /// The topic waited for; none: any topic of the advisor.
    pub topic: Option<Topic>,
    /// ISO weekdays, 1 = Monday .. 7 = Sunday.
    pub weekdays: Vec<i64>,
    /// Local times in `time_zone`, `HH:MM`: sessions start at or after `from` and end by `to`.
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub note: String,
    /// `waiting`, `booked` (a hold was claimed) or `left`.
    pub status: String,
    /// Among the waiting entries that want the same kind of session, how many were there first
    /// (plus one). Only while waiting.
    pub position: Option<i64>,
    /// The slot held for this entry right now, if any.
    pub hold: Option<Hold>,
    pub learner: PersonRef,
    pub sme: PersonRef,
    pub created_at: String,
}

/// A slot held for a waiting learner until `expires_at`: book it (`POST
/// /api/slots/{slot.id}/booking`) before then, or decline it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hold {
    pub id: i64,
    pub slot: Slot,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// The same instant in the reader's zone.
    pub expires_at_local: String,
}

#[derive(Debug, sqlx::FromRow)]
struct EntryRow {
    id: i64,
    learner_id: i64,
    learner_name: String,
    sme_id: i64,
    sme_name: String,
    advisor_id: Option<i64>,
    advisor_name: Option<String>,
    topic: Option<Topic>,
    weekdays: i64,
    from_minute: i64,
    to_minute: i64,
    time_zone: String,
    note: String,
    status: String,
    created_at: i64,
    position: Option<i64>,
    hold_id: Option<i64>,
    hold_slot_id: Option<i64>,
    hold_expires_at: Option<i64>,
}

const ENTRY_SELECT: &str = "SELECT e.id, e.learner_id, l.name AS learner_name, e.sme_id,
        m.name AS sme_name, e.advisor_id, a.name AS advisor_name, e.topic, e.weekdays,
        e.from_minute, e.to_minute, e.time_zone, e.note, e.status, e.created_at,
        CASE WHEN e.status = 'waiting' THEN 1 + (
            SELECT COUNT(*) FROM waitlist_entries o
            WHERE o.status = 'waiting'
              AND (o.created_at < e.created_at OR (o.created_at = e.created_at AND o.id < e.id))
              AND (o.advisor_id IS NULL OR e.advisor_id IS NULL OR o.advisor_id = e.advisor_id)
              AND (o.topic IS NULL OR e.topic IS NULL OR o.topic = e.topic)) END AS position,
        h.id AS hold_id, h.slot_id AS hold_slot_id, h.expires_at AS hold_expires_at
     FROM waitlist_entries e
     JOIN users l ON l.id = e.learner_id
     JOIN smes m ON m.id = e.sme_id
     LEFT JOIN users a ON a.id = e.advisor_id
     LEFT JOIN waitlist_holds h ON h.entry_id = e.id AND h.status = 'active' AND h.expires_at > $1";

/// Whose entries a caller may list.
#[derive(Debug, Clone, Copy)]
pub enum EntryScope {
    Learner(i64),
    /// Entries for this advisor, and those for a topic with no advisor named.
    Advisor(i64),
    Partner(i64),
    All,
}

async fn entries(
    db: &AnyPool,
    scope: EntryScope,
    only: Option<i64>,
    now: i64,
    viewer_tz: &str,
) -> Result<Vec<WaitlistEntry>> {
    let (learner, advisor, partner, waiting_only) = match scope {
        EntryScope::Learner(id) => (Some(id), None, None, 0),
        EntryScope::Advisor(id) => (None, Some(id), None, 1),
        EntryScope::Partner(p) => (None, None, Some(p), 1),
        EntryScope::All => (None, None, None, 1),
    };
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "{ENTRY_SELECT}
         WHERE ($2 IS NULL OR e.learner_id = $2)
           AND ($3 IS NULL OR e.advisor_id = $3 OR e.advisor_id IS NULL)
           AND ($4 IS NULL OR m.partner_id = $4)
           AND ($5 = 0 OR e.status = 'waiting')
           AND ($6 IS NULL OR e.id = $6)
         ORDER BY CASE WHEN e.status = 'waiting' THEN 0 ELSE 1 END, e.created_at DESC, e.id DESC
         LIMIT 500"
    ))
    .bind(now)
    .bind(learner)
    .bind(advisor)
    .bind(partner)
    .bind(waiting_only)
    .bind(only)
    .fetch_all(db)
    .await
    .context("listing waitlist entries")?;
    let tz = availability::zone(viewer_tz);
    // The held slots, in one query.
    let held: Vec<i64> = rows.iter().filter_map(|r| r.hold_slot_id).collect();
    let mut slots: std::collections::HashMap<i64, store::SlotRow> = store::slots_by_ids(db, &held)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let hold = match (r.hold_id, r.hold_slot_id, r.hold_expires_at) {
            (Some(id), Some(slot_id), Some(expires_at)) => {
                slots.remove(&slot_id).map(|slot| Hold {
                    id,
                    slot: view::slot(slot, viewer_tz),
                    expires_at: crate::clock::rfc3339(expires_at),
                    expires_at_local: availability::local_rfc3339(expires_at, &tz),
                })
            }
            _ => None,
        };
        out.push(WaitlistEntry {
            id: r.id,
            advisor: r.advisor_id.map(|id| PersonRef {
                id,
                name: r.advisor_name.clone().unwrap_or_default(),
            }),
            topic: r.topic,
            weekdays: weekdays_of(r.weekdays),
            from: hhmm(r.from_minute),
            to: hhmm(r.to_minute),
            time_zone: r.time_zone,
            note: r.note,
            status: r.status,
            position: r.position,
            hold,
            learner: PersonRef {
                id: r.learner_id,
                name: r.learner_name,
            },
            sme: PersonRef {
                id: r.sme_id,
                name: r.sme_name,
            },
            created_at: crate::clock::rfc3339(r.created_at),
        });
    }
    Ok(out)
}

/// The entries a caller may see (learners: their own, newest first; staff: waiting ones).
pub async fn list(
    db: &AnyPool,
    scope: EntryScope,
    now: i64,
    viewer_tz: &str,
) -> Result<Vec<WaitlistEntry>> {
    entries(db, scope, None, now, viewer_tz).await
}

/// One entry of a learner (404 when it is not theirs).
pub async fn get(
    db: &AnyPool,
    learner_id: i64,
    id: i64,
    now: i64,
    viewer_tz: &str,
) -> Result<WaitlistEntry> {
    entries(
        db,
        EntryScope::Learner(learner_id),
        Some(id),
        now,
        viewer_tz,
    )
    .await?
    .into_iter()
    .next()
    .ok_or_else(|| Error::not_found("waitlist_entry"))
}

/// Is `id` an advisor who can take sessions (not disabled or removed)?
pub async fn is_advisor(db: &AnyPool, id: i64) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM users WHERE id = $1 AND role = 'advisor'
           AND disabled_at IS NULL AND removed_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
    .context("finding advisor")?;
    Ok(found.is_some())
}

/// A validated request to wait.
pub struct NewEntry<'a> {
    pub learner_id: i64,
    pub advisor_id: Option<i64>,
    pub topic: Option<Topic>,
    pub weekdays: i64,
    pub from_minute: i64,
    pub to_minute: i64,
    pub time_zone: &'a str,
    pub note: &'a str,
}

/// Put the learner on the waitlist. 422 beyond [`MAX_WAITING`] entries, 409 for the same
/// wish twice.
#[instrument(skip_all)]
pub async fn join(db: &AnyPool, e: &NewEntry<'_>, now: i64) -> Result<i64> {
    let mut tx = db.begin().await.context("joining the waitlist")?;
    // The learner's row first (the lock a booking takes): two joins at once count one by one.
    let sme: Option<(Option<i64>,)> =
        sqlx::query_as("UPDATE users SET time_zone = time_zone WHERE id = $1 RETURNING sme_id")
            .bind(e.learner_id)
            .fetch_optional(&mut *tx)
            .await
            .context("locking learner")?;
    let Some((Some(sme_id),)) = sme else {
        return Err(Error::invalid("body", msg!("waitlist.no_sme")));
    };
    let (waiting, same): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN COALESCE(advisor_id, 0) = COALESCE($2, 0)
                     AND COALESCE(topic, '') = COALESCE($3, '') AND weekdays = $4
                     AND from_minute = $5 AND to_minute = $6 THEN 1 ELSE 0 END), 0)
         FROM waitlist_entries WHERE learner_id = $1 AND status = 'waiting'",
    )
    .bind(e.learner_id)
    .bind(e.advisor_id)
    .bind(e.topic)
    .bind(e.weekdays)
    .bind(e.from_minute)
    .bind(e.to_minute)
    .fetch_one(&mut *tx)
    .await
    .context("counting waitlist entries")?;
    if same > 0 {
        return Err(Error::Conflict(msg!("waitlist.duplicate")));
    }
    if waiting >= MAX_WAITING {
        return Err(Error::invalid(
            "body",
            msg!("waitlist.too_many", count = waiting, max = MAX_WAITING),
        ));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO waitlist_entries (learner_id, sme_id, advisor_id, topic, weekdays,
             from_minute, to_minute, time_zone, note, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $10) RETURNING id",
    )
    .bind(e.learner_id)
    .bind(sme_id)
    .bind(e.advisor_id)
    .bind(e.topic)
    .bind(e.weekdays)
    .bind(e.from_minute)
    .bind(e.to_minute)
    .bind(e.time_zone)
    .bind(e.note)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .context("saving waitlist entry")?;
    tx.commit().await.context("saving waitlist entry")?;
    Ok(id)
}

/// Leave the waitlist: the entry is `left` and a live hold of it is released (the caller
/// offers the slot to the next). `Ok(None)` when it was not waiting; the slot of the released
/// hold otherwise.
#[instrument(skip_all)]
pub async fn leave(
    db: &AnyPool,
    learner_id: i64,
    id: i64,
    now: i64,
) -> Result<Option<Option<i64>>> {
    let mut tx = db.begin().await.context("leaving the waitlist")?;
    let done = sqlx::query(
        "UPDATE waitlist_entries SET status = 'left', updated_at = $3
         WHERE id = $1 AND learner_id = $2 AND status = 'waiting'",
    )
    .bind(id)
    .bind(learner_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("leaving the waitlist")?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let released: Option<(i64,)> = sqlx::query_as(
        "UPDATE waitlist_holds SET status = 'released', ended_at = $2
         WHERE entry_id = $1 AND status = 'active' RETURNING slot_id",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .context("releasing the hold")?;
    tx.commit().await.context("leaving the waitlist")?;
    Ok(Some(released.map(|r| r.0)))
}

/// Decline a live hold: it ends, the entry keeps waiting (and is never offered this slot
/// again). The slot, for the caller to offer to the next; `None` when there was no such hold.
#[instrument(skip_all)]
pub async fn decline(
    db: &AnyPool,
    learner_id: i64,
    hold_id: i64,
    now: i64,
) -> Result<Option<(i64, i64)>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE waitlist_holds SET status = 'declined', ended_at = $3
         WHERE id = $1 AND learner_id = $2 AND status = 'active' AND expires_at > $3
         RETURNING slot_id, entry_id",
    )
    .bind(hold_id)
    .bind(learner_id)
    .bind(now)
    .fetch_optional(db)
    .await
    .context("declining the hold")?;
    Ok(row)
}

/// A live hold on a slot that stands in someone's way: held for another learner until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldFor {
    pub until: i64,
}

impl HeldFor {
    pub fn error(self) -> Error {
        Error::Conflict(msg!("slot.held").at("until", self.until))
    }
}

/// Inside a booking's (or a move's) transaction, after the slot's row is locked: a live hold
/// of another learner refuses it; the learner's own hold is claimed (its entry is `booked`),
/// undone with the rest if the booking fails.
pub(super) async fn claim_or_refuse(
    tx: &mut Transaction<'_, Any>,
    slot_id: i64,
    learner_id: i64,
    now: i64,
) -> Result<Option<HeldFor>> {
    let hold: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, learner_id, entry_id, expires_at FROM waitlist_holds
         WHERE slot_id = $1 AND status = 'active' AND expires_at > $2",
    )
    .bind(slot_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
    .context("reading the slot's hold")?;
    let Some((hold_id, holder, entry_id, until)) = hold else {
        return Ok(None);
    };
    if holder != learner_id {
        return Ok(Some(HeldFor { until }));
    }
    sqlx::query("UPDATE waitlist_holds SET status = 'claimed', ended_at = $2 WHERE id = $1")
        .bind(hold_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("claiming the hold")?;
    sqlx::query("UPDATE waitlist_entries SET status = 'booked', updated_at = $2 WHERE id = $1")
        .bind(entry_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("closing the waitlist entry")?;
    Ok(None)
}

/// Inside a slot withdrawal's transaction: a live hold on the slot ends (`released`); its
/// entry keeps waiting.
pub(super) async fn release_slot(
    tx: &mut Transaction<'_, Any>,
    slot_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE waitlist_holds SET status = 'released', ended_at = $2
         WHERE slot_id = $1 AND status = 'active'",
    )
    .bind(slot_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("releasing the slot's hold")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct OfferSlot {
    advisor_id: i64,
    advisor_name: String,
    topic: Topic,
    mode: Mode,
    location: String,
    starts_at: i64,
    ends_at: i64,
    deleted_at: Option<i64>,
    booking_id: Option<i64>,
    hold_id: Option<i64>,
    hold_expires_at: Option<i64>,
}

/// An entry's window as stored.
#[derive(Debug, sqlx::FromRow)]
struct WindowRow {
    weekdays: i64,
    from_minute: i64,
    to_minute: i64,
    time_zone: String,
}

impl WindowRow {
    fn window(&self) -> Window {
        Window {
            weekdays: self.weekdays,
            from_minute: self.from_minute,
            to_minute: self.to_minute,
            tz: availability::zone(&self.time_zone),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct Candidate {
    id: i64,
    learner_id: i64,
    #[sqlx(flatten)]
    when: WindowRow,
}

#[derive(Debug, sqlx::FromRow)]
struct Recipient {
    name: String,
    email: String,
    locale: String,
    time_zone: String,
}

/// Offer an open slot to the first waiting entry it fits: a hold for it, and a message.
/// Expires the slot's hold if its time is up. `Some(hold id)` when a hold was made.
/// Safe to call from any process at any time: it re-reads everything under the slot's lock.
#[instrument(skip_all)]
pub async fn offer(
    db: &AnyPool,
    slot_id: i64,
    now: i64,
    rules: Rules,
    mailer: Option<&Mailer>,
) -> Result<Option<i64>> {
    for _ in 0..OFFER_TRIES {
        match offer_once(db, slot_id, now, rules, mailer).await {
            Err(Retry::Lost) => continue,
            Err(Retry::Failed(e)) => return Err(e),
            Ok(made) => return Ok(made),
        }
    }
    Ok(None)
}

enum Retry {
    /// Another process's hold won a unique index: look again.
    Lost,
    Failed(Error),
}

impl From<Error> for Retry {
    fn from(e: Error) -> Retry {
        Retry::Failed(e)
    }
}

async fn offer_once(
    db: &AnyPool,
    slot_id: i64,
    now: i64,
    rules: Rules,
    mailer: Option<&Mailer>,
) -> std::result::Result<Option<i64>, Retry> {
    let mut tx = db.begin().await.context("starting an offer")?;
    let _turn = crate::db::write_turn(&mut tx).await;
    sqlx::query("UPDATE slots SET deleted_at = deleted_at WHERE id = $1")
        .bind(slot_id)
        .execute(&mut *tx)
        .await
        .context("locking slot")?;
    let slot: Option<OfferSlot> = sqlx::query_as(
        "SELECT s.advisor_id, a.name AS advisor_name, s.topic, s.mode, s.location,
                s.starts_at, s.ends_at, s.deleted_at,
                (SELECT b.id FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active')
                    AS booking_id,
                h.id AS hold_id, h.expires_at AS hold_expires_at
         FROM slots s JOIN users a ON a.id = s.advisor_id
         LEFT JOIN waitlist_holds h ON h.slot_id = s.id AND h.status = 'active'
         WHERE s.id = $1",
    )
    .bind(slot_id)
    .fetch_optional(&mut *tx)
    .await
    .context("reading slot")?;
    let Some(slot) = slot else {
        return Ok(None);
    };
    if let (Some(hold_id), Some(expires_at)) = (slot.hold_id, slot.hold_expires_at) {
        if expires_at > now && slot.deleted_at.is_none() && slot.booking_id.is_none() {
            return Ok(None);
        }
        let status = if slot.deleted_at.is_some() {
            "released"
        } else {
            "expired"
        };
        sqlx::query("UPDATE waitlist_holds SET status = $2, ended_at = $3 WHERE id = $1")
            .bind(hold_id)
            .bind(status)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("ending a hold")?;
    }
    let latest = slot.starts_at - rules.notice_seconds;
    if slot.deleted_at.is_some()
        || slot.booking_id.is_some()
        || latest - now < MIN_HOLD_SECONDS.min(rules.hold_seconds)
    {
        tx.commit().await.context("ending an offer")?;
        return Ok(None);
    }
    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT e.id, e.learner_id, e.weekdays, e.from_minute, e.to_minute, e.time_zone
         FROM waitlist_entries e
         WHERE e.status = 'waiting'
           AND (e.advisor_id IS NULL OR e.advisor_id = $2)
           AND (e.topic IS NULL OR e.topic = $3)
           AND NOT EXISTS (SELECT 1 FROM waitlist_holds h
                           WHERE h.entry_id = e.id AND (h.status = 'active' OR h.slot_id = $1))
           AND NOT EXISTS (SELECT 1 FROM bookings b JOIN slots bs ON bs.id = b.slot_id
                           WHERE b.learner_id = e.learner_id AND b.status = 'active'
                             AND bs.starts_at < $5 AND bs.ends_at > $4)
           AND (SELECT COUNT(*) FROM bookings b JOIN slots bs ON bs.id = b.slot_id
                WHERE b.learner_id = e.learner_id AND b.status = 'active'
                  AND bs.starts_at > $6) < $7
         ORDER BY e.created_at, e.id
         LIMIT 500",
    )
    .bind(slot_id)
    .bind(slot.advisor_id)
    .bind(slot.topic)
    .bind(slot.starts_at)
    .bind(slot.ends_at)
    .bind(now)
    .bind(rules.max_active)
    .fetch_all(&mut *tx)
    .await
    .context("finding who waits")?;
    let mut chosen = None;
    for c in candidates {
        if !c.when.window().fits(slot.starts_at, slot.ends_at) {
            continue;
        }
        // Never hold a slot the learner's SME has no hours left for.
        if super::quota::check(&mut tx, c.learner_id, slot_id, None)
            .await?
            .is_some()
        {
            continue;
        }
        chosen = Some(c);
        break;
    }
    let Some(c) = chosen else {
        tx.commit().await.context("ending an offer")?;
        return Ok(None);
    };
    let expires_at = (now + rules.hold_seconds).min(latest);
    let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO waitlist_holds (slot_id, entry_id, learner_id, status, created_at, expires_at)
         VALUES ($1, $2, $3, 'active', $4, $5) RETURNING id",
    )
    .bind(slot_id)
    .bind(c.id)
    .bind(c.learner_id)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await;
    let hold_id = match inserted {
        Ok((id,)) => id,
        Err(e) if crate::error::is_unique_violation(&e) => return Err(Retry::Lost),
        Err(e) => return Err(Retry::Failed(sqlx_error("holding slot", e))),
    };
    if let Some(mailer) = mailer {
        let to: Recipient =
            sqlx::query_as("SELECT name, email, locale, time_zone FROM users WHERE id = $1")
                .bind(c.learner_id)
                .fetch_one(&mut *tx)
                .await
                .context("reading who waits")?;
        let lang = Lang::from_code(&to.locale).unwrap_or(Lang::En);
        let letter = texts::waitlist_hold(
            lang,
            &to.name,
            &slot.advisor_name,
            &Session {
                starts_at: slot.starts_at,
                ends_at: slot.ends_at,
                time_zone: &to.time_zone,
                topic: slot.topic,
                mode: slot.mode,
                location: &slot.location,
            },
            expires_at,
            &mailer.page("#/advice"),
        );
        let message = Outgoing::new(
            Kind::WaitlistHold,
            Some(c.learner_id),
            &to.email,
            &to.name,
            &letter,
        )
        .once(format!("waitlist:hold:{hold_id}"));
        crate::mail::enqueue(&mut tx, &message).await?;
    }
    match tx.commit().await {
        Ok(()) => Ok(Some(hold_id)),
        Err(e) if crate::error::is_unique_violation(&e) => Err(Retry::Lost),
        Err(e) => Err(Retry::Failed(sqlx_error("saving hold", e))),
    }
}

/// [`offer`], logging rather than failing: for callers whose own change has already
/// committed (the periodic job offers the slot later if this fails).
pub async fn offer_after(db: &AnyPool, slot_id: i64, rules: Rules, mailer: &Mailer) {
    if let Err(e) = offer(db, slot_id, crate::clock::now(), rules, Some(mailer)).await {
        tracing::warn!(slot_id, error = %e, "waitlist offer failed; the periodic job retries");
    }
}

#[derive(Debug, sqlx::FromRow)]
struct OpenSlot {
    id: i64,
    advisor_id: i64,
    topic: Topic,
    starts_at: i64,
    ends_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct Waiting {
    id: i64,
    advisor_id: Option<i64>,
    topic: Option<Topic>,
    #[sqlx(flatten)]
    when: WindowRow,
}

/// The periodic job: expire the holds whose time is up and offer every open slot that fits a
/// waiting entry which has not had it yet. Returns the number of holds made.
#[instrument(skip_all)]
pub async fn run(db: &AnyPool, now: i64, rules: Rules, mailer: Option<&Mailer>) -> Result<usize> {
    let mut made = 0;
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT slot_id FROM waitlist_holds WHERE status = 'active' AND expires_at <= $1
         ORDER BY expires_at LIMIT 1000",
    )
    .bind(now)
    .fetch_all(db)
    .await
    .context("finding expired holds")?;
    for (slot_id,) in due {
        made += usize::from(offer(db, slot_id, now, rules, mailer).await?.is_some());
    }
    let waiting: Vec<Waiting> = sqlx::query_as(
        "SELECT id, advisor_id, topic, weekdays, from_minute, to_minute, time_zone
         FROM waitlist_entries WHERE status = 'waiting' ORDER BY created_at, id LIMIT 5000",
    )
    .fetch_all(db)
    .await
    .context("reading the waitlist")?;
    if waiting.is_empty() {
        return Ok(made);
    }
    let open: Vec<OpenSlot> = sqlx::query_as(
        "SELECT s.id, s.advisor_id, s.topic, s.starts_at, s.ends_at FROM slots s
         WHERE s.deleted_at IS NULL AND s.starts_at >= $1
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active')
           AND NOT EXISTS (SELECT 1 FROM waitlist_holds h WHERE h.slot_id = s.id AND h.status = 'active')
           AND EXISTS (SELECT 1 FROM waitlist_entries e WHERE e.status = 'waiting'
                       AND (e.advisor_id IS NULL OR e.advisor_id = s.advisor_id)
                       AND (e.topic IS NULL OR e.topic = s.topic))
         ORDER BY s.starts_at, s.id LIMIT 5000",
    )
    .bind(now + rules.notice_seconds + MIN_HOLD_SECONDS.min(rules.hold_seconds))
    .fetch_all(db)
    .await
    .context("finding open slots")?;
    if open.is_empty() {
        return Ok(made);
    }
    let had: HashSet<(i64, i64)> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT h.entry_id, h.slot_id FROM waitlist_holds h
         JOIN waitlist_entries e ON e.id = h.entry_id WHERE e.status = 'waiting'",
    )
    .fetch_all(db)
    .await
    .context("reading past holds")?
    .into_iter()
    .collect();
    let windows: Vec<(&Waiting, Window)> = waiting.iter().map(|w| (w, w.when.window())).collect();
    for s in open {
        let wanted = windows.iter().any(|(w, window)| {
            w.advisor_id.is_none_or(|a| a == s.advisor_id)
                && w.topic.is_none_or(|t| t == s.topic)
                && !had.contains(&(w.id, s.id))
                && window.fits(s.starts_at, s.ends_at)
        });
        if wanted {
            made += usize::from(offer(db, s.id, now, rules, mailer).await?.is_some());
        }
    }
    Ok(made)
}

/// The periodic job, started with the server (every `reminder_interval_seconds`).
pub fn stage(config: &Config, mailer: Mailer) -> AdHoc {
    let mailer = std::sync::Arc::new(mailer);
    let rules = Rules::of(config);
    crate::db::periodic(
        "waitlist",
        config.reminder_interval_seconds,
        move |pool, now| {
            let mailer = mailer.clone();
            async move { run(&pool, now, rules, Some(&mailer)).await }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[i64], from: i64, to: i64, tz: &str) -> Window {
        Window {
            weekdays: weekday_bits(days),
            from_minute: from,
            to_minute: to,
            tz: TimeZone::get(tz).unwrap(),
        }
    }

    fn at(s: &str) -> i64 {
        crate::clock::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn a_window_is_local_time_on_the_learners_days() {
        // Tuesdays 09:00-13:00 in Lisbon.
        let w = window(&[2], 9 * 60, 13 * 60, "Europe/Lisbon");
        // 2026-12-08 is a Tuesday; Lisbon is UTC+0 in winter.
        assert!(w.fits(at("2026-12-08T09:00:00Z"), at("2026-12-08T10:00:00Z")));
        assert!(w.fits(at("2026-12-08T12:00:00Z"), at("2026-12-08T13:00:00Z")));
        assert!(!w.fits(at("2026-12-08T12:30:00Z"), at("2026-12-08T13:30:00Z")));
        assert!(!w.fits(at("2026-12-08T08:30:00Z"), at("2026-12-08T09:30:00Z")));
        // Wednesday: not one of the days.
        assert!(!w.fits(at("2026-12-09T09:00:00Z"), at("2026-12-09T10:00:00Z")));
        // The same instants are an hour later in Madrid: 10:00 Madrid is 09:00 Lisbon.
        let madrid = window(&[2], 9 * 60, 13 * 60, "Europe/Madrid");
        assert!(!madrid.fits(at("2026-12-08T12:00:00Z"), at("2026-12-08T13:00:00Z")));
        assert!(madrid.fits(at("2026-12-08T08:00:00Z"), at("2026-12-08T09:00:00Z")));
        // Summer: Lisbon is UTC+1, so 09:00 local is 08:00Z.
        assert!(w.fits(at("2027-06-08T08:00:00Z"), at("2027-06-08T09:00:00Z")));
        assert!(!w.fits(at("2027-06-08T07:30:00Z"), at("2027-06-08T08:30:00Z")));
    }

    #[test]
    fn a_window_may_end_at_midnight_but_not_cross_it() {
        let w = window(&[1, 2, 3, 4, 5, 6, 7], 22 * 60, 1440, "Atlantic/Canary");
        assert!(w.fits(at("2026-12-08T23:00:00Z"), at("2026-12-09T00:00:00Z")));
        assert!(!w.fits(at("2026-12-08T23:30:00Z"), at("2026-12-09T00:30:00Z")));
    }

    #[test]
    fn weekday_bits_round_trip() {
        assert_eq!(weekdays_of(weekday_bits(&[5, 1, 3])), vec![1, 3, 5]);
        assert_eq!(weekday_bits(&[1]), 2);
        assert_eq!(hhmm(570), "09:30");
        assert_eq!(hhmm(1440), "24:00");
    }
}
