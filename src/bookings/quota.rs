//! The programme's rule on advisory hours: the coordinator of an SME's partner allots it a
//! number of hours per quarter (quarters counted in [`REPORT_TIME_ZONE`], as every report).
//! A booking (or a move) that would take the SME's sessions of that quarter beyond the
//! allotment is refused. Sessions count from booking on: upcoming, attended and no-shows alike,
//! unless the coordinator waived the no-show; cancelled ones never count. A quarter without an
//! allotment has no limit.
//!
//! The check runs inside the booking's transaction after the SME's row is locked, so
//! colleagues booking at the same moment are counted one after the other (never over).

use serde::Serialize;
use sqlx::{Any, AnyPool, Transaction};
use tracing::instrument;
use utoipa::ToSchema;

use super::availability;
use super::REPORT_TIME_ZONE;
use crate::error::{Context, Error, Result};
use crate::msg;

/// `(start, end)` of a quarter `2026-Q4` in [`REPORT_TIME_ZONE`], as unix seconds.
pub fn quarter_bounds(period: &str) -> Option<(i64, i64)> {
    let (year, q) = period.split_once("-Q")?;
    if year.len() != 4 || q.len() != 1 {
        return None;
    }
    let year: i16 = year.parse().ok()?;
    let q: i8 = q.parse().ok()?;
    if !(1..=4).contains(&q) || !(2000..=2100).contains(&year) {
        return None;
    }
    let tz = availability::zone(REPORT_TIME_ZONE);
    let at = |y: i16, month: i8| -> Option<i64> {
        let day = jiff::civil::Date::new(y, month, 1).ok()?;
        Some(day.to_zoned(tz.clone()).ok()?.timestamp().as_second())
    };
    let start = at(year, (q - 1) * 3 + 1)?;
    let end = if q == 4 {
        at(year + 1, 1)?
    } else {
        at(year, q * 3 + 1)?
    };
    Some((start, end))
}

/// The quarter a session starting at `ts` counts in.
pub fn period_of(ts: i64) -> String {
    availability::quarter_of(ts, &availability::zone(REPORT_TIME_ZONE))
}

/// `1 h 30 min`, `10 h`, `45 min`: a number of minutes as people read it (the same in every
/// language of the platform).
pub fn hours_text(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Why a session does not fit the SME's hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQuota {
    pub period: String,
    pub allotted_minutes: i64,
    pub left_minutes: i64,
    pub needed_minutes: i64,
}

impl OverQuota {
    /// The 422 for the API, naming `field`.
    pub fn error(&self, field: &str) -> Error {
        Error::invalid(
            field,
            msg!(
                "booking.quota",
                period = self.period.as_str(),
                allotted = hours_text(self.allotted_minutes).as_str(),
                left = hours_text(self.left_minutes).as_str(),
                needed = hours_text(self.needed_minutes).as_str(),
            ),
        )
    }
}

/// Lock the SME of `learner_id` for the rest of the transaction (PostgreSQL: its row;
/// SQLite: the transaction already holds the write lock).
pub async fn lock_sme_of(tx: &mut Transaction<'_, Any>, learner_id: i64) -> Result<()> {
    sqlx::query("UPDATE smes SET name = name WHERE id = (SELECT sme_id FROM users WHERE id = $1)")
        .bind(learner_id)
        .execute(&mut **tx)
        .await
        .context("locking the SME")?;
    Ok(())
}

/// Whether a session of `slot_id` for `learner_id`'s SME fits its allotment, not counting
/// the booking `except` (the one being moved). Call after [`lock_sme_of`].
pub async fn check(
    tx: &mut Transaction<'_, Any>,
    learner_id: i64,
    slot_id: i64,
    except: Option<i64>,
) -> Result<Option<OverQuota>> {
    let slot: Option<(i64, i64)> =
        sqlx::query_as("SELECT starts_at, ends_at FROM slots WHERE id = $1")
            .bind(slot_id)
            .fetch_optional(&mut **tx)
            .await
            .context("reading the slot")?;
    let Some((starts_at, ends_at)) = slot else {
        return Ok(None);
    };
    let period = period_of(starts_at);
    let Some((from, to)) = quarter_bounds(&period) else {
        return Ok(None);
    };
    let allotted: Option<(i64, i64)> = sqlx::query_as(
        "SELECT q.sme_id, q.minutes FROM advisory_quotas q
         JOIN users u ON u.sme_id = q.sme_id
         WHERE u.id = $1 AND q.period = $2",
    )
    .bind(learner_id)
    .bind(&period)
    .fetch_optional(&mut **tx)
    .await
    .context("reading the SME's hours")?;
    let Some((sme_id, allotted)) = allotted else {
        return Ok(None);
    };
    let (used,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(s.ends_at - s.starts_at), 0) AS BIGINT) / 60
         FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.sme_id = $1 AND b.status = 'active'
           AND s.starts_at >= $2 AND s.starts_at < $3
           AND NOT (b.attended = 0 AND b.no_show_waived_at IS NOT NULL)
           AND b.id <> $4",
    )
    .bind(sme_id)
    .bind(from)
    .bind(to)
    .bind(except.unwrap_or(-1))
    .fetch_one(&mut **tx)
    .await
    .context("counting the SME's hours")?;
    let needed = (ends_at - starts_at) / 60;
    Ok((used + needed > allotted).then(|| OverQuota {
        period,
        allotted_minutes: allotted,
        left_minutes: (allotted - used).max(0),
        needed_minutes: needed,
    }))
}

/// One quarter of an SME's advisory hours, as the report shows it (minutes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarterHours {
    pub period: String,
    pub allotted: Option<i64>,
    /// Upcoming and past sessions that count (every active booking but waived no-shows).
    pub used: i64,
    pub attended: i64,
    pub no_show: i64,
    pub waived: i64,
}

/// An SME's advisory hours in one quarter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdvisoryHours {
    /// `2027-Q1` (quarters in Europe/Madrid).
    pub period: String,
    /// Hours allotted by the coordinator; `null`: no limit.
    pub allotted_hours: Option<f64>,
    /// Hours of the sessions that count: upcoming, attended and not waived no-shows.
    pub used_hours: f64,
    pub attended_hours: f64,
    pub no_show_hours: f64,
    /// No-shows the coordinator waived (not counted in `used_hours`).
    pub waived_hours: f64,
    /// `allotted_hours - used_hours` (never below 0); `null` without a limit.
    pub remaining_hours: Option<f64>,
}

fn hours(minutes: i64) -> f64 {
    minutes as f64 / 60.0
}

impl From<QuarterHours> for AdvisoryHours {
    fn from(q: QuarterHours) -> Self {
        AdvisoryHours {
            allotted_hours: q.allotted.map(hours),
            remaining_hours: q.allotted.map(|a| hours((a - q.used).max(0))),
            used_hours: hours(q.used),
            attended_hours: hours(q.attended),
            no_show_hours: hours(q.no_show),
            waived_hours: hours(q.waived),
            period: q.period,
        }
    }
}

impl QuarterHours {
    /// Count a session of `minutes` by its outcome (`attended` 1/0/unknown, waived or not).
    fn count(&mut self, minutes: i64, attended: Option<i64>, waived: Option<i64>) {
        match (attended, waived) {
            (Some(0), Some(_)) => self.waived += minutes,
            (Some(0), None) => {
                self.no_show += minutes;
                self.used += minutes;
            }
            (Some(_), _) => {
                self.attended += minutes;
                self.used += minutes;
            }
            (None, _) => self.used += minutes,
        }
    }
}

/// Every SME's hours in the quarter `now` falls in (within a partner, or all): one query for
/// the allotments and one for the sessions, whatever the number of SMEs.
#[instrument(skip_all)]
pub async fn this_quarter_by_sme(
    db: &AnyPool,
    partner: Option<i64>,
    now: i64,
) -> Result<(String, std::collections::HashMap<i64, QuarterHours>)> {
    let period = period_of(now);
    let mut by: std::collections::HashMap<i64, QuarterHours> = Default::default();
    let Some((from, to)) = quarter_bounds(&period) else {
        return Ok((period, by));
    };
    let allotted: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT q.sme_id, q.minutes FROM advisory_quotas q JOIN smes m ON m.id = q.sme_id
         WHERE q.period = $1 AND ($2 IS NULL OR m.partner_id = $2)",
    )
    .bind(&period)
    .bind(partner)
    .fetch_all(db)
    .await
    .context("reading the SMEs' hours")?;
    let sessions: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT b.sme_id, (s.ends_at - s.starts_at) / 60, b.attended, b.no_show_waived_at
         FROM bookings b JOIN slots s ON s.id = b.slot_id JOIN smes m ON m.id = b.sme_id
         WHERE b.status = 'active' AND s.starts_at >= $1 AND s.starts_at < $2
           AND ($3 IS NULL OR m.partner_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(partner)
    .fetch_all(db)
    .await
    .context("reading the SMEs' sessions")?;
    let blank = || QuarterHours {
        period: period.clone(),
        ..QuarterHours::default()
    };
    for (sme, minutes) in allotted {
        by.entry(sme).or_insert_with(blank).allotted = Some(minutes);
    }
    for (sme, minutes, attended, waived) in sessions {
        by.entry(sme)
            .or_insert_with(blank)
            .count(minutes, attended, waived);
    }
    Ok((period, by))
}

/// Every quarter of an SME with an allotment or a session, oldest first.
#[instrument(skip_all)]
pub async fn quarters(db: &AnyPool, sme_id: i64) -> Result<Vec<QuarterHours>> {
    use std::collections::BTreeMap;
    let allotted: Vec<(String, i64)> =
        sqlx::query_as("SELECT period, minutes FROM advisory_quotas WHERE sme_id = $1")
            .bind(sme_id)
            .fetch_all(db)
            .await
            .context("reading the SME's hours")?;
    let sessions: Vec<(i64, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT s.starts_at, (s.ends_at - s.starts_at) / 60, b.attended, b.no_show_waived_at
         FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.sme_id = $1 AND b.status = 'active'",
    )
    .bind(sme_id)
    .fetch_all(db)
    .await
    .context("reading the SME's sessions")?;
    let mut by: BTreeMap<String, QuarterHours> = BTreeMap::new();
    fn of(by: &mut BTreeMap<String, QuarterHours>, period: String) -> &mut QuarterHours {
        by.entry(period.clone()).or_insert_with(|| QuarterHours {
            period,
            ..QuarterHours::default()
        })
    }
    for (period, minutes) in allotted {
        of(&mut by, period).allotted = Some(minutes);
    }
    for (starts_at, minutes, attended, waived) in sessions {
        of(&mut by, period_of(starts_at)).count(minutes, attended, waived);
    }
    Ok(by.into_values().collect())
}

/// Allot `minutes` to an SME for a quarter (replacing what was there).
#[instrument(skip_all)]
pub async fn set(
    db: &AnyPool,
    sme_id: i64,
    period: &str,
    minutes: i64,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO advisory_quotas (sme_id, period, minutes, set_by, set_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (sme_id, period) DO UPDATE
            SET minutes = $3, set_by = $4, set_at = $5",
    )
    .bind(sme_id)
    .bind(period)
    .bind(minutes)
    .bind(by)
    .bind(now)
    .execute(db)
    .await
    .context("setting the SME's hours")?;
    Ok(())
}

/// Remove a quarter's allotment (no limit again); `false` when there was none.
#[instrument(skip_all)]
pub async fn clear(db: &AnyPool, sme_id: i64, period: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM advisory_quotas WHERE sme_id = $1 AND period = $2")
        .bind(sme_id)
        .bind(period)
        .execute(db)
        .await
        .context("clearing the SME's hours")?;
    Ok(done.rows_affected() == 1)
}

/// Waive a recorded no-show (it stops counting against the SME's hours); `false` when the
/// booking is not an active one recorded as missed.
#[instrument(skip_all)]
pub async fn waive_no_show(db: &AnyPool, booking_id: i64, by: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET no_show_waived_at = $2, no_show_waived_by = $3, updated_at = $2
         WHERE id = $1 AND status = 'active' AND attended = 0 AND no_show_waived_at IS NULL",
    )
    .bind(booking_id)
    .bind(now)
    .bind(by)
    .execute(db)
    .await
    .context("waiving a no-show")?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_bounded_in_madrid_time() {
        let (from, to) = quarter_bounds("2027-Q1").unwrap();
        // 1 January 2027 00:00 in Madrid is 2026-12-31T23:00:00Z.
        assert_eq!(crate::clock::rfc3339(from), "2026-12-31T23:00:00Z");
        // 1 April 2027 00:00 in Madrid (summer time) is 2027-03-31T22:00:00Z.
        assert_eq!(crate::clock::rfc3339(to), "2027-03-31T22:00:00Z");
        let (q4, next) = quarter_bounds("2026-Q4").unwrap();
        assert_eq!(next, from);
        assert!(q4 < next);
        assert_eq!(period_of(from), "2027-Q1");
        assert_eq!(period_of(from - 1), "2026-Q4");
        for bad in [
            "2027-Q5", "2027-Q0", "27-Q1", "2027Q1", "2027-Q", "", "2027-Q1x", "1999-Q1",
        ] {
            assert_eq!(quarter_bounds(bad), None, "{bad}");
        }
    }

    #[test]
    fn hours_read_as_people_write_them() {
        assert_eq!(hours_text(600), "10 h");
        assert_eq!(hours_text(90), "1 h 30 min");
        assert_eq!(hours_text(45), "45 min");
        assert_eq!(hours_text(0), "0 min");
        assert_eq!(hours_text(-5), "0 min");
    }
}
