//! `academy demo`: a realistic week of advisors' slots with a few bookings, and one past
//! session with its outcome. Idempotent: slots that already exist are skipped (they overlap),
//! bookings that already exist are left alone.

use crate::domain::{BookingStatus, Mode, Topic};
use std::collections::BTreeMap;

use jiff::ToSpan;
use sqlx::AnyPool;

use super::availability::{self, Pattern};
use super::store::{self, BookingRequest, NewSlot, SlotFilter};
use crate::clock::now;
use crate::error::{Error, Result};

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
    },
    Offer {
        advisor: "advisor.finance@iberobio.example",
        time_zone: "Europe/Lisbon",
        topic: Topic::Finance,
        mode: Mode::Online,
        location: "https://meet.iberobio.example/financiamento-ines",
        weekdays: &[2, 4],
        from: (10, 0),
        to: (13, 0),
        session: 60,
        buffer: 15,
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
        let advisor = user(users, offer.advisor)?;
        let tz = availability::zone(offer.time_zone);
        let today = availability::local_date(now, &tz).unwrap_or_default();
        // Next Monday: a whole week ahead, so every slot respects the booking notice.
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
        let (candidates, _) = availability::expand(&pattern);
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
        let ids = store::insert_slots(db, advisor, &slots, now).await?;
        seeded.slots_created += ids.iter().flatten().count();
        let mut week = Vec::new();
        for c in &candidates {
            if let Some((id, _, _)) =
                store::overlapping_slot(db, advisor, c.starts_at, c.ends_at).await?
            {
                week.push(id);
            }
        }
        next_week.insert(offer.advisor, week);
    }

    for (learner, advisor, index, note) in BOOKINGS {
        let Some(&slot_id) = next_week.get(advisor).and_then(|w| w.get(index)) else {
            continue;
        };
        let learner_id = user(users, learner)?;
        if book(db, slot_id, learner_id, note, now, now).await? {
            seeded.bookings += 1;
        }
    }

    // One session last week, attended, with the advisor's notes (shows in the SME report).
    let markets = user(users, "advisor.markets@iberobio.example")?;
    let begona = user(users, "begona@mareapeptides.example")?;
    let madrid = availability::zone("Europe/Madrid");
    let last_week = availability::local_date(now - 7 * 86_400, &madrid).unwrap_or_default();
    let past_start = last_week
        .at(10, 0, 0, 0)
        .to_zoned(madrid)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(now - 7 * 86_400);
    let past_end = past_start + 45 * 60;
    store::insert_slots(
        db,
        markets,
        &[NewSlot {
            starts_at: past_start,
            ends_at: past_end,
            topic: Topic::MarketEntry,
            mode: Mode::InPerson,
            location: OFFERS[0].location,
            time_zone: "Europe/Madrid",
        }],
        now,
    )
    .await?;
    if let Some((past_slot, _, _)) =
        store::overlapping_slot(db, markets, past_start, past_end).await?
    {
        if book(
            db,
            past_slot,
            begona,
            "Pricing our peptide library for US pharma buyers",
            now,
            i64::MIN,
        )
        .await?
        {
            seeded.bookings += 1;
            let filter = store::BookingFilter {
                status: Some(BookingStatus::Active),
                from: Some(past_start),
                to: Some(past_end),
                limit: 10,
                after: None,
            };
            for b in store::list_bookings(db, super::BookingScope::Learner(begona), &filter).await?
            {
                store::record_outcome(
                    db,
                    markets,
                    b.id,
                    true,
                    "Good fit for the EU-US programme; send the pricing benchmark.",
                    now,
                )
                .await?;
            }
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
