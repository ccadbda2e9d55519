//! The decisions of bookings that span more than one statement: laying a weekly pattern out
//! as slots. (Booking itself is one guarded statement in `store::book`.)

use serde::Serialize;
use sqlx::AnyPool;
use utoipa::ToSchema;

use super::availability::{self, Pattern};
use super::store::{self, NewSlot};
use super::workdays::Skip;
use super::{view, Slot};
use crate::domain::{Mode, Topic};
use crate::error::{Error, Result};
use crate::messages::Reader;
use crate::msg;

/// The most slots one `POST /slots/pattern` may lay out (each is a row and a conflict check).
pub const MAX_PATTERN_SLOTS: usize = 500;

/// A validated pattern request.
pub struct PatternRequest<'a> {
    pub pattern: Pattern,
    /// The pattern's IANA zone, as named by the advisor (stored with each slot).
    pub time_zone: String,
    pub topic: Topic,
    pub mode: Mode,
    pub location: &'a str,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedSlot {
    /// The local time asked for, `YYYY-MM-DDTHH:MM` in the pattern's zone.
    pub local: String,
    pub starts_at: Option<String>,
    /// Why, as a code of the message catalogue (`slot.holiday`, `slot.overlaps`,
    /// `slot.daily_cap`, ...).
    pub code: String,
    /// Why, in the reader's language.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PatternResult {
    pub time_zone: String,
    pub created: Vec<Slot>,
    pub skipped: Vec<SkippedSlot>,
}

/// Lay the pattern out in local wall-clock time and publish every future slot the advisor's
/// rules allow (no overlap, the buffer kept, days off, holidays and the daily cap respected);
/// say which local times were skipped and why, in the reader's words. At most
/// [`MAX_PATTERN_SLOTS`] per request (422 beyond). The created slots are shown in the
/// reader's zone.
pub async fn publish_pattern(
    db: &AnyPool,
    advisor_id: i64,
    reader: &Reader,
    req: &PatternRequest<'_>,
    now: i64,
) -> Result<PatternResult> {
    let (candidates, gaps) = availability::expand(&req.pattern);
    if candidates.len() > MAX_PATTERN_SLOTS {
        return Err(Error::invalid(
            "body",
            msg!(
                "pattern.too_many",
                count = candidates.len(),
                max = MAX_PATTERN_SLOTS
            ),
        ));
    }
    let skip = |local: String, starts_at: Option<i64>, why: Skip| SkippedSlot {
        local,
        starts_at: starts_at.map(crate::clock::rfc3339),
        reason: why.msg(reader.lang).render(reader),
        code: why.msg(reader.lang).code.to_string(),
    };
    let mut skipped: Vec<SkippedSlot> = gaps
        .into_iter()
        .map(|g| {
            skip(
                g.local.strftime("%Y-%m-%dT%H:%M").to_string(),
                None,
                Skip::Gap,
            )
        })
        .collect();
    let local_label = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| {
                t.to_zoned(req.pattern.tz.clone())
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mut future = Vec::new();
    for c in &candidates {
        if c.starts_at <= now {
            skipped.push(skip(
                local_label(c.starts_at),
                Some(c.starts_at),
                Skip::InThePast,
            ));
        } else {
            future.push(NewSlot {
                starts_at: c.starts_at,
                ends_at: c.ends_at,
                topic: req.topic,
                mode: req.mode,
                location: req.location,
                time_zone: &req.time_zone,
            });
        }
    }
    let outcomes = store::publish_slots(db, advisor_id, &future, now).await?;
    let mut created = Vec::new();
    for (slot, outcome) in future.iter().zip(outcomes) {
        match outcome {
            Ok(id) => created.push(view::slot(
                store::get_slot(db, id).await?,
                &reader.time_zone,
            )),
            Err(why) => skipped.push(skip(local_label(slot.starts_at), Some(slot.starts_at), why)),
        }
    }
    Ok(PatternResult {
        time_zone: req.time_zone.clone(),
        created,
        skipped,
    })
}
