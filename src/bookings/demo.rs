//! `academy demo`: a realistic week of advisors' slots with a few bookings, and two past
//! sessions: one attended, with its outcome, and one whose outcome the advisor has still to
//! record. Idempotent: slots that already exist are skipped (they overlap), bookings that
//! already exist are left alone.

use crate::domain::{BookingStatus, Mode, Topic};
use std::collections::BTreeMap;

use jiff::ToSpan;
use sqlx::AnyPool;

use super::availability::{self, Candidate, Pattern};
use super::store::{self, BookingRequest, NewSlot, SlotFilter};
use crate::clock::now;
use crate::error::{Error, Result};

const DAY: i64 = 86_400;

/// What the bookings part of the demo seeded.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Slots created by this run (0 when the week was already there).
    pub slots_created: usize,
    /// Open slots from now on.
    pub open_slots: usize,
    /// Bookings made by this run.
    pub bookings: usize,
}

struct Offer {
    advisor: &'static str,
    time_zone: &'static str,
    topic: Topic,
    mode: Mode,
    location: &'static str,
    weekdays: &'static [i8],
    from: (i8, i8),
    to: (i8, i8),
    session: i64,
    buffer: i64,
    /// The public holidays the advisor keeps free.
    holiday_region: &'static str,
}

const OFFERS: [Offer; 3] = [
    Offer {
        advisor: "advisor.markets@iberobio.example",
        time_zone: "Europe/Madrid",
        topic: Topic::MarketEntry,
        mode: Mode::InPerson,
        location: "Parc Científic de la Universitat de València, Paterna",
        weekdays: &[1, 3],
        from: (9, 0),
        to: (13, 0),
        session: 45,
        buffer: 15,
        holiday_region: "ES",
    },
    Offer {
        advisor: "advisor.finance@iberobio.example",
        time_zone: "Europe/Lisbon",
        topic: Topic::Finance,
        mode: Mode::Online,
        location: "https://meet.iberobio.example/financiamento-ines",
        weekdays: &[1, 2, 3, 4],
        from: (10, 0),
        to: (13, 0),
        session: 60,
        buffer: 15,
        holiday_region: "PT",
    },
    Offer {
        advisor: "advisor.ip@iberobio.example",
        time_zone: "Atlantic/Canary",
        topic: Topic::Ip,
        mode: Mode::Online,
        location: "https://meet.iberobio.example/ip-marta",
        weekdays: &[3, 5],
        from: (15, 0),
        to: (18, 0),
        session: 60,
        buffer: 0,
        holiday_region: "ES-CN",
    },
];

/// (learner, advisor of the offer, which of its next week's slots, note)
const BOOKINGS: [(&str, &str, usize, &str); 3] = [
    (
        "uxia@xenogen.example",
        "advisor.markets@iberobio.example",
        0,
        "CE marking route for our IVD kit and first distributors in Portugal",
    ),
    (
        "joao@celulaviva.example",
        "advisor.finance@iberobio.example",
        1,
        "Preparar a ronda seed: valuation e term sheet",
    ),
    (
        "conceicao@algatec.example",
        "advisor.ip@iberobio.example",
        0,
        "Freedom-to-operate for an algae-derived pigment",
    ),
];

/// A session that has already taken place, on one of the [`OFFERS`] (its advisor, topic, mode,
/// place and time zone), `days_ago` days back at `start` in the advisor's zone.
struct PastSession {
    offer: usize,
    learner: &'static str,
    days_ago: i64,
    start: (i8, i8),
    minutes: i64,
    note: &'static str,
    /// `Some((attended, advisor's notes))` when the outcome is already recorded.
    outcome: Option<(bool, &'static str)>,
}

const PAST_SESSIONS: [PastSession; 2] = [
    // Last week, attended, with the advisor's notes (shows in the SME report).
    PastSession {
        offer: 0,
        learner: "begona@mareapeptides.example",
        days_ago: 7,
        start: (10, 0),
        minutes: 45,
        note: "Pricing our peptide library for US pharma buyers",
        outcome: Some((
            true,
            "Good fit for the EU-US programme; send the pricing benchmark.",
        )),
    },
    // Two days ago, online: the advisor has not said yet whether the learner came.
    PastSession {
        offer: 1,
        learner: "joao@celulaviva.example",
        days_ago: 2,
        start: (15, 0),
        minutes: 60,
        note: "Rever o plano de tesouraria e a candidatura ao Portugal 2030 \
               antes de falarmos com o banco",
        outcome: None,
    },
];

fn user(users: &BTreeMap<String, i64>, email: &str) -> Result<i64> {
    users
        .get(email)
        .copied()
        .ok_or_else(|| Error::internal("demo", format!("demo user {email} is missing")))
}

pub async fn seed(db: &AnyPool, users: &BTreeMap<String, i64>) -> Result<Seeded> {
    let now = now();
    let mut seeded = Seeded::default();
    let mut next_week: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for offer in &OFFERS {
        let (created, week) = seed_week_of_slots(db, users, offer, now).await?;
        seeded.slots_created += created;
        next_week.insert(offer.advisor, week);
    }
    seeded.bookings += seed_bookings(db, users, &next_week, now).await?;
    for session in &PAST_SESSIONS {
        if seed_past_session(db, users, session, now).await? {
            seeded.bookings += 1;
        }
    }
    seeded.open_slots = store::list_slots(
        db,
        &SlotFilter {
            from: now,
            limit: 1000,
            ..SlotFilter::default()
        },
    )
    .await?
    .len();
    Ok(seeded)
}

/// The offer's slots of next week, laid out in the advisor's zone. Next Monday: a whole week
/// ahead, so every slot respects the booking notice.
fn next_week_candidates(offer: &Offer, now: i64) -> Vec<Candidate> {
    let tz = availability::zone(offer.time_zone);
    let today = availability::local_date(now, &tz).unwrap_or_default();
    let ahead = 8 - i64::from(today.weekday().to_monday_one_offset());
    let monday = today.checked_add(ahead.days()).unwrap_or(today);
    let pattern = Pattern {
        weekdays: offer.weekdays.to_vec(),
        start: jiff::civil::time(offer.from.0, offer.from.1, 0, 0),
        end: jiff::civil::time(offer.to.0, offer.to.1, 0, 0),
        session_minutes: offer.session,
        buffer_minutes: offer.buffer,
        first_day: monday,
        weeks: 1,
        tz,
    };
    availability::expand(&pattern).0
}

/// Publish the offer's week of slots (those already there are skipped): how many were created,
/// and the ids of the week's slots in order, whether created now or by an earlier run.
async fn seed_week_of_slots(
    db: &AnyPool,
    users: &BTreeMap<String, i64>,
    offer: &Offer,
    now: i64,
) -> Result<(usize, Vec<i64>)> {
    let advisor = user(users, offer.advisor)?;
    let candidates = next_week_candidates(offer, now);
    let slots: Vec<NewSlot> = candidates
        .iter()
        .map(|c| NewSlot {
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            topic: offer.topic,
            mode: offer.mode,
            location: offer.location,
            time_zone: offer.time_zone,
        })
        .collect();
    // The advisor's holidays first (unless they have chosen their own rules), so the week
    // skips them as the advisor's own publishing would.
    if super::workdays::settings(db, advisor).await? == super::workdays::Settings::default() {
        let rules = super::workdays::Settings {
            holiday_region: Some(offer.holiday_region.to_string()),
            ..Default::default()
        };
        super::workdays::save_settings(db, advisor, &rules, now).await?;
    }
    let ids = store::publish_slots(db, advisor, &slots, now).await?;
    let mut week = Vec::new();
    for c in &candidates {
        if let Some((id, _, _)) =
            store::overlapping_slot(db, advisor, c.starts_at, c.ends_at).await?
        {
            week.push(id);
        }
    }
    Ok((ids.iter().filter(|r| r.is_ok()).count(), week))
}

/// Book next week's slots listed in [`BOOKINGS`]: how many bookings this run made.
async fn seed_bookings(
    db: &AnyPool,
    users: &BTreeMap<String, i64>,
    next_week: &BTreeMap<&str, Vec<i64>>,
    now: i64,
) -> Result<usize> {
    let mut made = 0;
    for (learner, advisor, index, note) in BOOKINGS {
        let Some(&slot_id) = next_week.get(advisor).and_then(|w| w.get(index)) else {
            continue;
        };
        let learner_id = user(users, learner)?;
        if book(db, slot_id, learner_id, note, now, now).await? {
            made += 1;
        }
    }
    Ok(made)
}

/// Publish and book one past session, with its outcome when it has one; `false` when an
/// earlier run already booked it.
async fn seed_past_session(
    db: &AnyPool,
    users: &BTreeMap<String, i64>,
    session: &PastSession,
    now: i64,
) -> Result<bool> {
    let offer = &OFFERS[session.offer];
    let advisor = user(users, offer.advisor)?;
    let learner = user(users, session.learner)?;
    let tz = availability::zone(offer.time_zone);
    let then = now - session.days_ago * DAY;
    let day = availability::local_date(then, &tz).unwrap_or_default();
    let starts_at = day
        .at(session.start.0, session.start.1, 0, 0)
        .to_zoned(tz)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(then);
    let ends_at = starts_at + session.minutes * 60;
    let slot = NewSlot {
        starts_at,
        ends_at,
        topic: offer.topic,
        mode: offer.mode,
        location: offer.location,
        time_zone: offer.time_zone,
    };
    store::insert_slots(db, advisor, &[slot], now).await?;
    let Some((slot_id, _, _)) = store::overlapping_slot(db, advisor, starts_at, ends_at).await?
    else {
        return Ok(false);
    };
    if !book(db, slot_id, learner, session.note, now, i64::MIN).await? {
        return Ok(false);
    }
    if let Some((attended, notes)) = session.outcome {
        let times = (starts_at, ends_at);
        record_past_outcome(db, (advisor, learner), times, (attended, notes), now).await?;
    }
    Ok(true)
}

/// The advisor's outcome of the learner's active bookings between `times` (start, end).
async fn record_past_outcome(
    db: &AnyPool,
    (advisor, learner): (i64, i64),
    (from, to): (i64, i64),
    (attended, notes): (bool, &str),
    now: i64,
) -> Result<()> {
    let filter = store::BookingFilter {
        status: Some(BookingStatus::Active),
        from: Some(from),
        to: Some(to),
        limit: 10,
        after: None,
    };
    for b in store::list_bookings(db, super::BookingScope::Learner(learner), &filter).await? {
        store::record_outcome(db, advisor, b.id, (attended, notes), now, None).await?;
    }
    Ok(())
}

/// Book for the demo; `false` when the slot is already taken (an earlier run).
async fn book(
    db: &AnyPool,
    slot_id: i64,
    learner_id: i64,
    note: &str,
    now: i64,
    earliest_start: i64,
) -> Result<bool> {
    let uid = format!("booking-{}@iberobio-academy", uuid::Uuid::new_v4().simple());
    let request = BookingRequest {
        slot_id,
        learner_id,
        note,
        uid: &uid,
        now,
        earliest_start,
        max_active: 10,
    };
    match store::book(db, &request).await {
        Ok(Ok(_)) => Ok(true),
        Ok(Err(_)) | Err(Error::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
