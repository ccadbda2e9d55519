//! All SQL of the outbox.
//!
//! Claiming: a worker moves due rows to `sending` with a lease (`claimed_until`) in one
//! statement. On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so processes sharing
//! the database never claim the same row; SQLite serialises writers. A row whose lease ran out
//! (its worker died mid-send) is due again: at worst that one message goes twice.

use sqlx::{AnyConnection, AnyPool};

use super::Outgoing;
use crate::error::{Context, Result};

/// Queue a message on `conn` (inside the caller's transaction). `false` when a message with
/// the same dedupe key is already queued (or sent): nothing is added.
pub async fn insert(conn: &mut AnyConnection, m: &Outgoing, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO outbox (kind, user_id, recipient, recipient_name, subject, text_body,
             html_body, calendar, unsubscribe_url, dedupe_key, status, attempts, next_attempt_at,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(m.kind.as_str())
    .bind(m.user_id)
    .bind(&m.to)
    .bind(&m.to_name)
    .bind(&m.subject)
    .bind(&m.text)
    .bind(&m.html)
    .bind(m.calendar.as_ref().map(|c| c.body.clone()))
    .bind(&m.unsubscribe_url)
    .bind(&m.dedupe_key)
    .bind(now)
    .execute(conn)
    .await
    .context("queueing a message")?;
    Ok(done.rows_affected() == 1)
}

/// Queue an item that is not mail (an xAPI statement) in the same outbox; `false` when the
/// dedupe key exists.
pub async fn insert_other(
    conn: &mut AnyConnection,
    kind: &str,
    user_id: Option<i64>,
    summary: &str,
    body: &str,
    dedupe_key: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO outbox (kind, user_id, recipient, recipient_name, subject, text_body,
             html_body, dedupe_key, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, '', '', $3, $4, '', $5, 'pending', 0, $6, $6)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(kind)
    .bind(user_id)
    .bind(summary)
    .bind(body)
    .bind(dedupe_key)
    .bind(now)
    .execute(conn)
    .await
    .context("queueing an outbox item")?;
    Ok(done.rows_affected() == 1)
}

/// Which worker an outbox row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Mail,
    /// xAPI statements (`kind = 'xapi_statement'`).
    Statements,
}

/// Whether a message with this dedupe key was ever queued.
pub async fn is_queued(db: &AnyPool, dedupe_key: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM outbox WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_optional(db)
        .await
        .context("looking for a queued message")?;
    Ok(row.is_some())
}

/// A claimed message, ready to send.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Queued {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub calendar: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub attempts: i64,
    pub dedupe_key: Option<String>,
}

const COLUMNS: &str = "id, kind, recipient, recipient_name, subject, text_body, html_body, \
                       calendar, unsubscribe_url, attempts, dedupe_key";

/// Claim up to `limit` due items of one channel until `lease_until`.
pub async fn claim(
    db: &AnyPool,
    now: i64,
    lease_until: i64,
    limit: i64,
    channel: Channel,
) -> Result<Vec<Queued>> {
    let mut conn = db.acquire().await.context("claiming messages")?;
    let lock = if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE outbox SET status = 'sending', claimed_until = $2, attempts = attempts + 1
         WHERE id IN (
             SELECT id FROM outbox
             WHERE ((status = 'pending' AND next_attempt_at <= $1)
                    OR (status = 'sending' AND claimed_until < $1))
               AND (kind = 'xapi_statement') = ($4 = 1)
             ORDER BY next_attempt_at, id
             LIMIT $3 {lock})
         RETURNING {COLUMNS}"
    );
    let rows: Vec<Queued> = sqlx::query_as(&sql)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .bind(i64::from(channel == Channel::Statements))
        .fetch_all(&mut *conn)
        .await
        .context("claiming messages")?;
    Ok(rows)
}

/// Sent: the bodies stay (a person may ask what was sent), the lease goes.
pub async fn mark_sent(db: &AnyPool, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $2, claimed_until = NULL, last_error = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await
    .context("marking a message sent")?;
    Ok(())
}

/// Not sent this time: due again at `next_attempt_at`, or `failed` for good when `None`.
pub async fn mark_unsent(
    db: &AnyPool,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> Result<()> {
    let (status, next) = match next_attempt_at {
        Some(at) => ("pending", at),
        None => ("failed", 0),
    };
    sqlx::query(
        "UPDATE outbox SET status = $2, claimed_until = NULL, last_error = $3,
             next_attempt_at = CASE WHEN $2 = 'pending' THEN $4 ELSE next_attempt_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(next)
    .execute(db)
    .await
    .context("rescheduling a message")?;
    Ok(())
}

/// How many messages are in each state (for `/metrics`, tests and the operator).
pub async fn counts(db: &AnyPool) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(db)
            .await
            .context("counting messages")?;
    Ok(rows)
}
