//! The weekly digest: on Monday morning (from 08:00 in each coordinator's own zone) every
//! coordinator who has not turned it off gets one message about their partner's SMEs: the
//! week's course completions, learners, pending invitations and certificates per SME. Queued
//! once per coordinator and ISO week (a dedupe key), whatever the number of processes or turns.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use rocket::fairing::AdHoc;
use sqlx::AnyPool;

use super::store::{self, DigestReader};
use crate::config::Config;
use crate::error::{Context, Result};
use crate::lang::Lang;
use crate::mail::texts::{self, DigestLine};
use crate::mail::{self, Kind, MailList, Mailer, Outgoing};

/// SMEs listed one by one in a digest (the rest are counted).
const MAX_LINES: usize = 25;

/// The local hour of Monday from which the digest goes out.
const SEND_FROM_HOUR: i8 = 8;

/// The dedupe key of `reader`'s digest for the ISO week of `now` in their zone, if it is due:
/// on Monday from [`SEND_FROM_HOUR`] local time until midnight. Not on other days: a
/// coordinator who joins on a Thursday, or a server started on a Friday, waits for Monday.
pub fn due_key(reader_id: i64, time_zone: &str, now: i64) -> Option<String> {
    let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = jiff::Timestamp::from_second(now).ok()?.to_zoned(zone);
    if local.weekday() != jiff::civil::Weekday::Monday || local.hour() < SEND_FROM_HOUR {
        return None;
    }
    let week = local.date().iso_week_date();
    Some(format!(
        "digest:user:{reader_id}:week:{}-W{:02}",
        week.year(),
        week.week()
    ))
}

/// Queue the digests due at `now`; returns how many were queued.
pub async fn queue_due(db: &AnyPool, mailer: &Mailer, now: i64) -> Result<usize> {
    let mut queued = 0;
    // One reading per partner, however many of its coordinators want the digest.
    let mut lines_of: HashMap<i64, (Vec<DigestLine>, usize)> = HashMap::new();
    for reader in store::digest_readers(db).await? {
        let Some(key) = due_key(reader.id, &reader.time_zone, now) else {
            continue;
        };
        if mail::is_queued(db, &key).await? {
            continue;
        }
        let (lines, more) = match lines_of.entry(reader.partner_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(partner_lines(db, reader.partner_id, now).await?),
        };
        let message = letter(&reader, lines, *more, mailer).once(key);
        let mut conn = db.acquire().await.context("queueing a digest")?;
        if mail::enqueue(&mut conn, &message).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

fn letter(reader: &DigestReader, lines: &[DigestLine], more: usize, mailer: &Mailer) -> Outgoing {
    let lang = Lang::from_code(&reader.locale).unwrap_or(Lang::En);
    let letter = texts::weekly_digest(
        lang,
        &reader.name,
        &reader.partner_name,
        lines,
        more,
        &mailer.page("#/staff"),
    );
    Outgoing::new(
        Kind::Digest,
        Some(reader.id),
        &reader.email,
        &reader.name,
        &letter,
    )
    .with_unsubscribe(mailer.unsubscribe_url_for(reader.id, MailList::Digest))
}

/// The partner's SMEs, most completions this week first, then by name; at most [`MAX_LINES`]
/// (SMEs with no activity this week are counted, not listed, past that).
async fn partner_lines(db: &AnyPool, partner: i64, now: i64) -> Result<(Vec<DigestLine>, usize)> {
    let week_ago = now - 7 * 86_400;
    let mut week: HashMap<i64, i64> = HashMap::new();
    for (sme, at) in store::completion_times(db, Some(partner)).await? {
        if at > week_ago {
            *week.entry(sme).or_default() += 1;
        }
    }
    let invited: HashMap<i64, i64> = store::invited_per_sme(db, partner)
        .await?
        .into_iter()
        .collect();
    let mut lines: Vec<DigestLine> = store::sme_counts(db, Some(partner))
        .await?
        .into_iter()
        .map(|c| DigestLine {
            completed_week: week.get(&c.sme_id).copied().unwrap_or(0),
            invited: invited.get(&c.sme_id).copied().unwrap_or(0),
            sme: c.sme_name,
            learners: c.learners,
            completed: c.completions,
            certificates: c.certificates,
        })
        .collect();
    lines.sort_by(|a, b| {
        b.completed_week
            .cmp(&a.completed_week)
            .then(a.sme.cmp(&b.sme))
    });
    let more = lines.len().saturating_sub(MAX_LINES);
    lines.truncate(MAX_LINES);
    Ok((lines, more))
}

/// The periodic job, started with the server (checked every `reminder_interval_seconds`),
/// unless `weekly_digest` is off.
pub fn stage(config: &Config, mailer: Mailer) -> AdHoc {
    if !config.weekly_digest {
        return AdHoc::on_liftoff("Weekly digest (off)", |_| Box::pin(async {}));
    }
    let mailer = std::sync::Arc::new(mailer);
    crate::db::periodic(
        "weekly_digest",
        config.reminder_interval_seconds,
        move |pool, now| {
            let mailer = mailer.clone();
            async move { queue_due(&pool, &mailer, now).await }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        crate::clock::parse_rfc3339(rfc3339).unwrap()
    }

    #[test]
    fn due_from_monday_eight_in_the_readers_zone_once_per_iso_week() {
        // Monday 2026-12-07 07:30 UTC: 08:30 in Madrid, 07:30 in Lisbon.
        let t = at("2026-12-07T07:30:00Z");
        assert_eq!(
            due_key(1, "Europe/Madrid", t).as_deref(),
            Some("digest:user:1:week:2026-W50")
        );
        assert_eq!(due_key(1, "Europe/Lisbon", t), None);
        assert!(due_key(1, "Europe/Lisbon", at("2026-12-07T08:00:00Z")).is_some());
        // Monday 23:30 in Madrid is still Monday there; Tuesday is not a digest day.
        assert!(due_key(1, "Europe/Madrid", at("2026-12-07T22:30:00Z")).is_some());
        assert_eq!(
            due_key(1, "Europe/Madrid", at("2026-12-07T23:30:00Z")),
            None
        );
        assert_eq!(
            due_key(1, "Europe/Lisbon", at("2026-12-11T15:00:00Z")),
            None
        );
        // The ISO year differs from the calendar year around New Year (Monday 2027-01-04 is
        // in week 1 of 2027; Monday 2024-12-30 in week 1 of 2025).
        assert_eq!(
            due_key(2, "Europe/Madrid", at("2024-12-30T09:00:00Z")).as_deref(),
            Some("digest:user:2:week:2025-W01")
        );
    }
}
