//! Reminders 24 hours and 1 hour before each session. Every `reminder_interval_seconds` one
//! process (whichever claims the turn) queues the reminders now due; each carries a dedupe key,
//! so a reminder is queued once even if two processes, or two turns, see the same session.
//! A booking made less than a lead time ahead gets no reminder for that lead (its
//! confirmation has just been sent).

use rocket::fairing::AdHoc;
use sqlx::AnyPool;

use super::{mails, store};
use crate::config::Config;
use crate::error::Result;
use crate::mail::Mailer;

/// Lead times, in hours.
pub const LEADS: [i64; 2] = [24, 1];

/// Queue the reminders due at `now`; returns how many were queued.
pub async fn queue_due(db: &AnyPool, mailer: &Mailer, now: i64) -> Result<usize> {
    let mut queued = 0;
    for (i, lead) in LEADS.iter().enumerate() {
        let lead_secs = lead * 3600;
        // The next shorter lead's window is its own: a session an hour away gets the 1-hour
        // reminder only.
        let after = LEADS.get(i + 1).map(|l| now + l * 3600).unwrap_or(now);
        let due = store::starting_between(db, after, now + lead_secs).await?;
        for p in due
            .iter()
            .filter(|p| p.created_at <= p.starts_at - lead_secs)
        {
            queued += store::queue_now(db, &mails::reminders(p, *lead, mailer)).await?;
        }
    }
    Ok(queued)
}

/// The periodic job, started with the server (every `reminder_interval_seconds`).
pub fn stage(config: &Config, mailer: Mailer) -> AdHoc {
    let mailer = std::sync::Arc::new(mailer);
    crate::db::periodic(
        "booking_reminders",
        config.reminder_interval_seconds,
        move |pool, now| {
            let mailer = mailer.clone();
            async move { queue_due(&pool, &mailer, now).await }
        },
    )
}
