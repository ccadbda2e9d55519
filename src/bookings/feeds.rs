//! Calendar subscriptions: a private URL per learner or advisor that calendar programs poll
//! (`webcal://`), answering every session of that person (90 days back and everything ahead)
//! in their zone and language, cancelled ones marked cancelled, with the UIDs of the
//! invitations so a subscribed calendar and a mailed invitation show one event.
//!
//! The token is `<user id>-<version>-<MAC>` (the MAC from the platform's link key over both):
//! nothing secret is stored, the profile can show the same URL again, and raising the version
//! (regenerate) or setting `revoked_at` (revoke) ends the old URL at once in every process.

use sqlx::AnyPool;
use tracing::instrument;

use super::store::{self, BookingFilter, BookingRow};
use super::{ics, BookingScope};
use crate::auth::Role;
use crate::domain::BookingStatus;
use crate::error::{Context, Result};
use crate::lang::Lang;
use crate::mail::{texts, Mailer};

/// How far back a feed reaches.
const PAST_DAYS: i64 = 90;
/// At most this many sessions in one feed.
const MAX_EVENTS: i64 = 1000;

fn mac_message(user_id: i64, version: i64) -> String {
    format!("calendar-feed:{user_id}:{version}")
}

/// The token of a user's feed at `version`.
pub fn token(mailer: &Mailer, user_id: i64, version: i64) -> String {
    let mac = mailer.link_mac(&mac_message(user_id, version));
    // 128 bits of the MAC are plenty for a URL; shorter URLs paste better.
    format!("{user_id}-{version}-{}", &mac[..32])
}

/// `(user id, version)` of a well-formed token whose MAC is right.
pub fn check_token(mailer: &Mailer, token: &str) -> Option<(i64, i64)> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    let mut parts = token.splitn(3, '-');
    let user_id: i64 = parts.next()?.parse().ok()?;
    let version: i64 = parts.next()?.parse().ok()?;
    let mac = parts.next()?;
    if mac.len() != 32 || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let full = mailer.link_mac(&mac_message(user_id, version));
    // Compare the truncated MAC in constant time.
    let equal = full[..32]
        .bytes()
        .zip(mac.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()));
    (equal == 0).then_some((user_id, version))
}

/// The current version of the user's feed, switching it on (a new version) when it was
/// never made or was revoked.
#[instrument(skip_all)]
pub async fn current(db: &AnyPool, user_id: i64, now: i64) -> Result<i64> {
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, version, revoked_at, created_at)
         VALUES ($1, 1, NULL, $2)
         ON CONFLICT (user_id) DO UPDATE
            SET version = calendar_feeds.version + 1, revoked_at = NULL, created_at = $2
            WHERE calendar_feeds.revoked_at IS NOT NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await
    .context("switching on the calendar feed")?;
    let (version,): (i64,) =
        sqlx::query_as("SELECT version FROM calendar_feeds WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(db)
            .await
            .context("reading the calendar feed")?;
    Ok(version)
}

/// A new version: the old URL stops working.
#[instrument(skip_all)]
pub async fn regenerate(db: &AnyPool, user_id: i64, now: i64) -> Result<i64> {
    let (version,): (i64,) = sqlx::query_as(
        "INSERT INTO calendar_feeds (user_id, version, revoked_at, created_at)
         VALUES ($1, 1, NULL, $2)
         ON CONFLICT (user_id) DO UPDATE
            SET version = calendar_feeds.version + 1, revoked_at = NULL, created_at = $2
         RETURNING version",
    )
    .bind(user_id)
    .bind(now)
    .fetch_one(db)
    .await
    .context("regenerating the calendar feed")?;
    Ok(version)
}

/// Switch the feed off; `false` when there was none on.
#[instrument(skip_all)]
pub async fn revoke(db: &AnyPool, user_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await
    .context("revoking the calendar feed")?;
    Ok(done.rows_affected() == 1)
}

/// Whose feed a URL is, when it is live.
#[derive(Debug, sqlx::FromRow)]
pub struct Owner {
    pub id: i64,
    pub role: Role,
    pub locale: String,
    pub time_zone: String,
}

/// The owner of a live feed: the version is current and not revoked, the account is active
/// and still a learner or an advisor.
#[instrument(skip_all)]
pub async fn owner(db: &AnyPool, user_id: i64, version: i64) -> Result<Option<Owner>> {
    sqlx::query_as(
        "SELECT u.id, u.role, u.locale, u.time_zone
         FROM calendar_feeds f JOIN users u ON u.id = f.user_id
         WHERE f.user_id = $1 AND f.version = $2 AND f.revoked_at IS NULL
           AND u.disabled_at IS NULL AND u.removed_at IS NULL
           AND u.role IN ('learner', 'advisor')",
    )
    .bind(user_id)
    .bind(version)
    .fetch_optional(db)
    .await
    .context("reading a calendar feed")
}

/// The feed's text: the owner's sessions from [`PAST_DAYS`] ago on, in their zone and
/// language.
#[instrument(skip_all)]
pub async fn render(db: &AnyPool, owner: &Owner, mailer: &Mailer, now: i64) -> Result<String> {
    let scope = match owner.role {
        Role::Advisor => BookingScope::Advisor(owner.id),
        _ => BookingScope::Learner(owner.id),
    };
    let rows = store::list_bookings(
        db,
        scope,
        &BookingFilter {
            from: Some(now - PAST_DAYS * 86_400),
            limit: MAX_EVENTS,
            ..BookingFilter::default()
        },
    )
    .await?;
    let lang = Lang::from_code(&owner.locale).unwrap_or(Lang::En);
    let page = if owner.role == Role::Advisor {
        mailer.page("#/advisor/bookings")
    } else {
        mailer.page("#/advice")
    };
    let words: Vec<texts::CalendarText> = rows.iter().map(|r| event_words(r, lang)).collect();
    let events = rows
        .iter()
        .zip(&words)
        .map(|(r, w)| ics::Invite {
            uid: &r.uid,
            sequence: r.sequence,
            cancelled: r.status == BookingStatus::Cancelled,
            method_cancel: false,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            updated_at: r.updated_at,
            created_at: r.created_at,
            now,
            summary: w.summary.clone(),
            description: w.description.clone(),
            location: &r.location,
            url: Some(page.clone()),
            organizer: (&r.advisor_name, &r.advisor_email),
            attendee: (&r.learner_name, &r.learner_email),
            time_zone: Some(&owner.time_zone),
        })
        .collect();
    Ok(ics::render_feed(&ics::Feed {
        name: texts::calendar_name(lang),
        time_zone: &owner.time_zone,
        events,
    }))
}

fn event_words(r: &BookingRow, lang: Lang) -> texts::CalendarText {
    texts::calendar_event(
        lang,
        r.topic,
        &r.advisor_name,
        &r.learner_name,
        &r.sme_name,
        &r.note,
        r.cancel_reason.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_by_their_mac() {
        let mailer = Mailer::new(
            "http://127.0.0.1:8000",
            "a-secret-of-enough-length-0123456789",
        );
        let t = token(&mailer, 42, 3);
        assert_eq!(check_token(&mailer, &t), Some((42, 3)));
        assert_eq!(check_token(&mailer, &format!("{t}.ics")), Some((42, 3)));
        assert_eq!(check_token(&mailer, &t.to_uppercase()), Some((42, 3)));
        // Another user's or version's MAC does not fit.
        let other = token(&mailer, 43, 3);
        let forged = format!("42-3-{}", other.rsplit('-').next().unwrap());
        assert_eq!(check_token(&mailer, &forged), None);
        assert_eq!(check_token(&mailer, &t.replacen("42-3", "42-4", 1)), None);
        // One character changed.
        let mut bytes = t.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            check_token(&mailer, &String::from_utf8(bytes).unwrap()),
            None
        );
        for bad in ["", "42", "42-3", "x-3-abc", "42-3-zz", "-1-1-", "42-3-"] {
            assert_eq!(check_token(&mailer, bad), None, "{bad}");
        }
        // Another platform key: nothing fits.
        let elsewhere = Mailer::new(
            "http://127.0.0.1:8000",
            "another-secret-of-enough-length-xyz",
        );
        assert_eq!(check_token(&elsewhere, &t), None);
    }
}
