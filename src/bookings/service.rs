//! The decisions of bookings that span more than one statement: laying a weekly pattern out
//! as slots. (Booking itself is one guarded statement in `store::book`.)

use serde::Serialize;
use sqlx::AnyPool;
use utoipa::ToSchema;

use super::availability::{self, Pattern};
use super::store::{self, NewSlot};
use super::{view, Slot};
use crate::domain::{Mode, Topic};
use crate::error::{Error, Result};
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
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PatternResult {
    pub time_zone: String,
    pub created: Vec<Slot>,
    pub skipped: Vec<SkippedSlot>,
}

/// Lay the pattern out in local wall-clock time and publish every future slot that does not
/// overlap one of the advisor's; say which local times were skipped and why. At most
/// [`MAX_PATTERN_SLOTS`] per request (422 beyond). The created slots are shown in `viewer_tz`.
pub async fn publish_pattern(
    db: &AnyPool,
    advisor_id: i64,
    viewer_tz: &str,
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
    let mut skipped: Vec<SkippedSlot> = gaps
        .into_iter()
        .map(|g| SkippedSlot {
            local: g.local.strftime("%Y-%m-%dT%H:%M").to_string(),
            starts_at: None,
            reason: g.reason.to_string(),
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
            skipped.push(SkippedSlot {
                local: local_label(c.starts_at),
                starts_at: Some(crate::clock::rfc3339(c.starts_at)),
                reason: "in the past".into(),
            });
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
    let ids = store::insert_slots(db, advisor_id, &future, now).await?;
    let mut created = Vec::new();
    for (slot, id) in future.iter().zip(ids) {
        match id {
            Some(id) => created.push(view::slot(store::get_slot(db, id).await?, viewer_tz)),
            None => skipped.push(SkippedSlot {
                local: local_label(slot.starts_at),
                starts_at: Some(crate::clock::rfc3339(slot.starts_at)),
                reason: "overlaps one of your slots".into(),
            }),
        }
    }
    Ok(PatternResult {
        time_zone: req.time_zone.clone(),
        created,
        skipped,
    })
}
