//! An advisor's working days: the public holidays they follow (a region of
//! [`super::holidays`]), days off, the minutes kept free between sessions and the most
//! sessions on one local day. These rules apply to every slot published, one at a time or by
//! weekly pattern, inside the transaction that holds the advisor's lock (so two publications
//! at once are checked one after the other). And the week as the advisor sees it.
//!
//! Local days are the advisor's: a slot's day is the date of its start in the zone it was
//! published in; days off are dates in the advisor's own zone.

use jiff::civil::Date;
use jiff::ToSpan;
use serde::Serialize;
use sqlx::{Any, AnyPool, Transaction};
use tracing::instrument;
use utoipa::ToSchema;

use super::holidays::{self, Holiday, Region};
use super::store::NewSlot;
use super::{availability, view, PersonRef, Slot};
use crate::error::{Context, Error, Result};
use crate::lang::Lang;
use crate::messages::Msg;
use crate::msg;

/// The most days one stretch of time off may cover.
pub const MAX_TIME_OFF_DAYS: i64 = 366;

/// An advisor's rules, as stored (defaults: no region, no buffer, no cap).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Settings {
    pub holiday_region: Option<String>,
    pub buffer_minutes: i64,
    pub daily_cap: Option<i64>,
}

/// One stretch of days off.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct TimeOff {
    pub id: i64,
    /// `YYYY-MM-DD` in the advisor's zone, both included.
    pub first_day: String,
    pub last_day: String,
    pub reason: String,
}

/// What an advisor's availability page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    /// The region whose public holidays are kept free; none: no holidays.
    pub holiday_region: Option<String>,
    /// The regions to choose from, named in the reader's language.
    pub regions: Vec<Region>,
    pub buffer_minutes: i64,
    /// The most sessions on one day; none: no limit.
    pub daily_cap: Option<i64>,
    /// Days off from today on.
    pub time_off: Vec<TimeOff>,
    /// The region's holidays in the coming twelve months.
    pub holidays: Vec<Holiday>,
    /// Where the holidays come from (`date-holidays 3.37.0 (npm)`).
    pub holidays_source: String,
    pub time_zone: String,
}

/// The advisor's settings (defaults when never saved).
pub async fn settings(db: &AnyPool, advisor_id: i64) -> Result<Settings> {
    let row: Option<Settings> = sqlx::query_as(
        "SELECT holiday_region, buffer_minutes, daily_cap FROM advisor_settings WHERE advisor_id = $1",
    )
    .bind(advisor_id)
    .fetch_optional(db)
    .await
    .context("reading advisor settings")?;
    Ok(row.unwrap_or_default())
}

/// Save the advisor's settings (validated by the caller). One statement: two saves at once
/// both succeed, the last one wins.
pub async fn save_settings(db: &AnyPool, advisor_id: i64, s: &Settings, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO advisor_settings (advisor_id, holiday_region, buffer_minutes, daily_cap, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (advisor_id) DO UPDATE SET holiday_region = excluded.holiday_region,
             buffer_minutes = excluded.buffer_minutes, daily_cap = excluded.daily_cap,
             updated_at = excluded.updated_at",
    )
    .bind(advisor_id)
    .bind(&s.holiday_region)
    .bind(s.buffer_minutes)
    .bind(s.daily_cap)
    .bind(now)
    .execute(db)
    .await
    .context("saving advisor settings")?;
    Ok(())
}

/// Days off ending on or after `from` (a local date), soonest first.
pub async fn time_off(db: &AnyPool, advisor_id: i64, from: Date) -> Result<Vec<TimeOff>> {
    sqlx::query_as(
        "SELECT id, first_day, last_day, reason FROM advisor_time_off
         WHERE advisor_id = $1 AND deleted_at IS NULL AND last_day >= $2
         ORDER BY first_day, id",
    )
    .bind(advisor_id)
    .bind(from.to_string())
    .fetch_all(db)
    .await
    .context("reading days off")
}

/// The availability page of an advisor, in `lang`, from `today` (their local date).
pub async fn availability(
    db: &AnyPool,
    advisor_id: i64,
    time_zone: &str,
    lang: Lang,
    today: Date,
) -> Result<Availability> {
    let s = settings(db, advisor_id).await?;
    let year_on = today.checked_add(1.year()).unwrap_or(today);
    let holidays = match &s.holiday_region {
        Some(r) => holidays::between(r, today, year_on, lang),
        None => Vec::new(),
    };
    Ok(Availability {
        regions: holidays::regions(lang),
        holiday_region: s.holiday_region,
        buffer_minutes: s.buffer_minutes,
        daily_cap: s.daily_cap,
        time_off: time_off(db, advisor_id, today).await?,
        holidays,
        // The package and version (the data file also says, in English, "public holidays only").
        holidays_source: holidays::source()
            .0
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        time_zone: time_zone.to_string(),
    })
}

/// The UTC instants `[start of first, end of last)` of local days in `tz`.
pub fn day_bounds(first: Date, last: Date, tz: &jiff::tz::TimeZone) -> Option<(i64, i64)> {
    let from = first.to_zoned(tz.clone()).ok()?.timestamp().as_second();
    let after = last.tomorrow().ok()?.to_zoned(tz.clone()).ok()?;
    Some((from, after.timestamp().as_second()))
}

/// What adding days off did: the open slots withdrawn and the booked sessions left in those
/// days for the advisor to move or cancel.
pub struct TimeOffAdded {
    pub id: i64,
    pub withdrawn: Vec<i64>,
    pub booked: Vec<i64>,
}

/// Add days off: no slot is published on them from now on, and the open future slots of those
/// days are withdrawn (a hold on one ends). Booked sessions stay; their ids are returned.
#[instrument(skip_all)]
pub async fn add_time_off(
    db: &AnyPool,
    advisor_id: i64,
    (first, last): (Date, Date),
    reason: &str,
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> Result<TimeOffAdded> {
    let Some((from, to)) = day_bounds(first, last, tz) else {
        return Err(Error::invalid("first_day", msg!("pattern.date")));
    };
    let mut tx = db.begin().await.context("adding days off")?;
    // The advisor's lock, as slot publication takes it: a slot published meanwhile is checked
    // against these days, or withdrawn by this.
    sqlx::query("UPDATE users SET time_zone = time_zone WHERE id = $1")
        .bind(advisor_id)
        .execute(&mut *tx)
        .await
        .context("locking advisor")?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO advisor_time_off (advisor_id, first_day, last_day, reason, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(advisor_id)
    .bind(first.to_string())
    .bind(last.to_string())
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .context("adding days off")?;
    let withdrawn: Vec<(i64,)> = sqlx::query_as(
        "UPDATE slots SET deleted_at = $4
         WHERE advisor_id = $1 AND deleted_at IS NULL AND starts_at >= $2 AND starts_at < $3
           AND starts_at > $4
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = slots.id AND b.status = 'active')
         RETURNING id",
    )
    .bind(advisor_id)
    .bind(from)
    .bind(to)
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .context("withdrawing the slots of those days")?;
    for (slot_id,) in &withdrawn {
        super::waitlist::release_slot(&mut tx, *slot_id, now).await?;
    }
    let booked: Vec<(i64,)> = sqlx::query_as(
        "SELECT b.id FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE s.advisor_id = $1 AND b.status = 'active' AND s.starts_at >= $2
           AND s.starts_at < $3 AND s.starts_at > $4
         ORDER BY s.starts_at, b.id",
    )
    .bind(advisor_id)
    .bind(from)
    .bind(to)
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .context("finding the sessions of those days")?;
    tx.commit().await.context("adding days off")?;
    Ok(TimeOffAdded {
        id,
        withdrawn: withdrawn.into_iter().map(|r| r.0).collect(),
        booked: booked.into_iter().map(|r| r.0).collect(),
    })
}

/// Remove days off (slots withdrawn when they were added are not restored). `false` when there
/// was no such entry of this advisor.
pub async fn remove_time_off(db: &AnyPool, advisor_id: i64, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE advisor_time_off SET deleted_at = $3
         WHERE id = $1 AND advisor_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(advisor_id)
    .bind(now)
    .execute(db)
    .await
    .context("removing days off")?;
    Ok(done.rows_affected() == 1)
}

/// Why a slot cannot be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    InThePast,
    /// A local start time that does not exist that day (clocks go forward).
    Gap,
    Overlap {
        slot_id: i64,
        starts_at: i64,
        ends_at: i64,
    },
    Buffer {
        minutes: i64,
        starts_at: i64,
        ends_at: i64,
    },
    DailyCap {
        cap: i64,
        date: Date,
    },
    Holiday {
        region: String,
        date: Date,
    },
    TimeOff {
        first: String,
        last: String,
        reason: String,
    },
}

impl Skip {
    /// What to tell the advisor, in `lang` (holiday names come from the data, per language).
    pub fn msg(&self, lang: Lang) -> Msg {
        match self {
            Skip::InThePast => msg!("slot.starts_in_past"),
            Skip::Gap => msg!("pattern.gap"),
            Skip::Overlap {
                slot_id,
                starts_at,
                ends_at,
            } => msg!("slot.overlaps", slot_id = *slot_id)
                .at("start", *starts_at)
                .clock("end", *ends_at),
            Skip::Buffer {
                minutes,
                starts_at,
                ends_at,
            } => msg!("slot.buffer", minutes = *minutes)
                .at("start", *starts_at)
                .clock("end", *ends_at),
            Skip::DailyCap { cap, date } => {
                msg!(
                    "slot.daily_cap",
                    cap = *cap,
                    date = day_text(&date.to_string())
                )
            }
            Skip::Holiday { region, date } => {
                let name = holidays::on(region, *date, lang)
                    .map(|h| h.name)
                    .unwrap_or_default();
                msg!(
                    "slot.holiday",
                    date = day_text(&date.to_string()),
                    holiday = name
                )
            }
            Skip::TimeOff {
                first,
                last,
                reason,
            } => msg!(
                "slot.time_off",
                first = day_text(first),
                last = day_text(last),
                reason = reason.as_str()
            ),
        }
    }

    /// The 422 for one slot, naming `starts_at`.
    pub fn error(&self, lang: Lang) -> Error {
        Error::invalid("starts_at", self.msg(lang))
    }
}

/// `24/12/2026` for `2026-12-24`: a date as every message writes it (day/month/year).
fn day_text(iso: &str) -> String {
    match iso.parse::<Date>() {
        Ok(d) => format!("{}/{}/{}", d.day(), d.month(), d.year()),
        Err(_) => iso.to_string(),
    }
}

/// The rules of one advisor, read inside the publishing transaction.
pub(super) struct Rules {
    settings: Settings,
    time_off: Vec<(String, String, String)>,
}

impl Rules {
    pub(super) async fn load(tx: &mut Transaction<'_, Any>, advisor_id: i64) -> Result<Rules> {
        let settings: Option<Settings> = sqlx::query_as(
            "SELECT holiday_region, buffer_minutes, daily_cap FROM advisor_settings
             WHERE advisor_id = $1",
        )
        .bind(advisor_id)
        .fetch_optional(&mut **tx)
        .await
        .context("reading advisor settings")?;
        let time_off: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT first_day, last_day, reason FROM advisor_time_off
             WHERE advisor_id = $1 AND deleted_at IS NULL",
        )
        .bind(advisor_id)
        .fetch_all(&mut **tx)
        .await
        .context("reading days off")?;
        Ok(Rules {
            settings: settings.unwrap_or_default(),
            time_off,
        })
    }

    /// Why `slot` cannot be published now, if anything stands in its way (the advisor's
    /// other slots, including those inserted earlier in this transaction, count).
    pub(super) async fn check(
        &self,
        tx: &mut Transaction<'_, Any>,
        advisor_id: i64,
        slot: &NewSlot<'_>,
    ) -> Result<Option<Skip>> {
        let tz = availability::zone(slot.time_zone);
        let Some(day) = availability::local_date(slot.starts_at, &tz) else {
            return Ok(Some(Skip::InThePast));
        };
        let key = day.to_string();
        if let Some((first, last, reason)) = self
            .time_off
            .iter()
            .find(|(first, last, _)| *first <= key && key <= *last)
        {
            return Ok(Some(Skip::TimeOff {
                first: first.clone(),
                last: last.clone(),
                reason: reason.clone(),
            }));
        }
        if let Some(region) = &self.settings.holiday_region {
            if holidays::on(region, day, Lang::En).is_some() {
                return Ok(Some(Skip::Holiday {
                    region: region.clone(),
                    date: day,
                }));
            }
        }
        let buffer = self.settings.buffer_minutes * 60;
        let near: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, starts_at, ends_at FROM slots
             WHERE advisor_id = $1 AND deleted_at IS NULL AND starts_at < $3 AND ends_at > $2
             ORDER BY starts_at LIMIT 1",
        )
        .bind(advisor_id)
        .bind(slot.starts_at - buffer)
        .bind(slot.ends_at + buffer)
        .fetch_optional(&mut **tx)
        .await
        .context("checking the advisor's slots")?;
        if let Some((slot_id, starts_at, ends_at)) = near {
            return Ok(Some(
                if starts_at < slot.ends_at && ends_at > slot.starts_at {
                    Skip::Overlap {
                        slot_id,
                        starts_at,
                        ends_at,
                    }
                } else {
                    Skip::Buffer {
                        minutes: self.settings.buffer_minutes,
                        starts_at,
                        ends_at,
                    }
                },
            ));
        }
        if let Some(cap) = self.settings.daily_cap {
            let Some((from, to)) = day_bounds(day, day, &tz) else {
                return Ok(None);
            };
            let (count,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM slots
                 WHERE advisor_id = $1 AND deleted_at IS NULL AND starts_at >= $2 AND starts_at < $3",
            )
            .bind(advisor_id)
            .bind(from)
            .bind(to)
            .fetch_one(&mut **tx)
            .await
            .context("counting the day's slots")?;
            if count >= cap {
                return Ok(Some(Skip::DailyCap { cap, date: day }));
            }
        }
        Ok(None)
    }
}

/// One slot of the week, with who booked it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekSlot {
    pub slot: Slot,
    pub booking_id: Option<i64>,
    pub learner: Option<PersonRef>,
    pub sme: Option<PersonRef>,
}

/// One local day of the advisor's week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekDay {
    /// `YYYY-MM-DD` in the advisor's zone.
    pub date: String,
    /// ISO weekday, 1 = Monday.
    pub weekday: i64,
    /// The public holiday of the advisor's region that day, named in the reader's language.
    pub holiday: Option<String>,
    /// The reason of the days off covering this day.
    pub time_off: Option<String>,
    pub slots: Vec<WeekSlot>,
    /// Live slots that day (booked or not), and how many of them are booked.
    pub sessions: i64,
    pub booked: i64,
    /// More slots than the daily cap (published before the cap was set).
    pub over_cap: bool,
}

/// The advisor's week, Monday to Sunday in their zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Week {
    pub time_zone: String,
    pub first_day: String,
    pub last_day: String,
    /// The Mondays of the weeks before and after (for `?date=`).
    pub previous: String,
    pub next: String,
    pub holiday_region: Option<String>,
    pub buffer_minutes: i64,
    pub daily_cap: Option<i64>,
    pub days: Vec<WeekDay>,
}

/// The week (Monday to Sunday, in `time_zone`) that contains `date`.
pub async fn week(
    db: &AnyPool,
    advisor_id: i64,
    time_zone: &str,
    lang: Lang,
    date: Date,
) -> Result<Week> {
    let tz = availability::zone(time_zone);
    let back = i64::from(date.weekday().to_monday_zero_offset());
    let monday = date.checked_sub(back.days()).unwrap_or(date);
    let sunday = monday.checked_add(6.days()).unwrap_or(monday);
    let Some((from, to)) = day_bounds(monday, sunday, &tz) else {
        return Err(Error::invalid("date", msg!("pattern.date")));
    };
    let s = settings(db, advisor_id).await?;
    let off = time_off(db, advisor_id, monday).await?;
    let rows = super::store::week_slots(db, advisor_id, from, to).await?;
    let mut days: Vec<WeekDay> = (0..7)
        .filter_map(|i| monday.checked_add(i.days()).ok())
        .map(|d| {
            let key = d.to_string();
            WeekDay {
                weekday: i64::from(d.weekday().to_monday_one_offset()),
                holiday: s
                    .holiday_region
                    .as_deref()
                    .and_then(|r| holidays::on(r, d, lang))
                    .map(|h| h.name),
                time_off: off
                    .iter()
                    .find(|t| t.first_day <= key && key <= t.last_day)
                    .map(|t| t.reason.clone()),
                date: key,
                slots: Vec::new(),
                sessions: 0,
                booked: 0,
                over_cap: false,
            }
        })
        .collect();
    for r in rows {
        let Some(day) = availability::local_date(r.slot.starts_at, &tz) else {
            continue;
        };
        let Some(d) = days.iter_mut().find(|d| d.date == day.to_string()) else {
            continue;
        };
        d.sessions += 1;
        d.booked += i64::from(r.slot.booking_id.is_some());
        d.slots.push(WeekSlot {
            booking_id: r.slot.booking_id,
            learner: r.learner_id.map(|id| PersonRef {
                id,
                name: r.learner_name.clone().unwrap_or_default(),
            }),
            sme: r.sme_id.map(|id| PersonRef {
                id,
                name: r.sme_name.clone().unwrap_or_default(),
            }),
            slot: view::slot(r.slot, time_zone),
        });
    }
    for d in &mut days {
        d.over_cap = s.daily_cap.is_some_and(|cap| d.sessions > cap);
    }
    Ok(Week {
        time_zone: time_zone.to_string(),
        first_day: monday.to_string(),
        last_day: sunday.to_string(),
        previous: monday.checked_sub(7.days()).unwrap_or(monday).to_string(),
        next: monday.checked_add(7.days()).unwrap_or(monday).to_string(),
        holiday_region: s.holiday_region,
        buffer_minutes: s.buffer_minutes,
        daily_cap: s.daily_cap,
        days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_bounds_follow_the_local_day_across_clock_changes() {
        let madrid = availability::zone("Europe/Madrid");
        // 29 March 2026 has 23 hours in Madrid, 25 October 25.
        let (a, b) = day_bounds(date(2026, 3, 29), date(2026, 3, 29), &madrid).unwrap();
        assert_eq!(b - a, 23 * 3600);
        let (a, b) = day_bounds(date(2026, 10, 25), date(2026, 10, 25), &madrid).unwrap();
        assert_eq!(b - a, 25 * 3600);
        let canary = availability::zone("Atlantic/Canary");
        let (a, _) = day_bounds(date(2026, 12, 24), date(2026, 12, 31), &canary).unwrap();
        assert_eq!(crate::clock::rfc3339(a), "2026-12-24T00:00:00Z");
    }
}
