//! All SQL of the reports.

use sqlx::AnyPool;
use tracing::instrument;

use crate::error::{Context, Result};

/// One enrolment with its completion and certificate, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompletionRow {
    pub sme_id: i64,
    pub sme_name: String,
    pub learner_id: i64,
    pub learner_name: String,
    pub course: String,
    pub enrolled_at: i64,
    pub completed_at: Option<i64>,
    pub score: Option<i64>,
    pub certificate_code: Option<String>,
    pub certificate_revoked_at: Option<i64>,
}

/// Enrolments of learners of the SMEs in scope (`partner`: `None` = all), with completions.
#[instrument(skip_all)]
pub async fn completions(
    db: &AnyPool,
    partner: Option<i64>,
    sme_id: Option<i64>,
    course: Option<&str>,
) -> Result<Vec<CompletionRow>> {
    sqlx::query_as(
        "SELECT s.id AS sme_id, s.name AS sme_name, u.id AS learner_id, u.name AS learner_name, \
         co.slug AS course, e.enrolled_at, cc.completed_at, cc.score, \
         ce.code AS certificate_code, ce.revoked_at AS certificate_revoked_at \
         FROM enrolments e \
         JOIN users u ON u.id = e.user_id \
         JOIN smes s ON s.id = u.sme_id \
         JOIN courses co ON co.id = e.course_id \
         LEFT JOIN course_completions cc ON cc.user_id = e.user_id AND cc.course_id = e.course_id \
         LEFT JOIN certificates ce ON ce.completion_id = cc.id \
         WHERE ($1 IS NULL OR s.partner_id = $1) AND ($2 IS NULL OR s.id = $2) \
         AND ($3 IS NULL OR co.slug = $3) \
         ORDER BY s.name, s.id, u.name, u.id, co.slug",
    )
    .bind(partner)
    .bind(sme_id)
    .bind(course)
    .fetch_all(db)
    .await
    .context("completions report")
}

/// Learners, enrolments, completions and valid certificates of each SME in scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmeCounts {
    pub sme_id: i64,
    pub sme_name: String,
    pub country: String,
    pub region: String,
    pub partner_id: i64,
    pub partner_name: String,
    pub learners: i64,
    pub enrolments: i64,
    pub completions: i64,
    pub certificates: i64,
}

/// One pass over each table, grouped by SME (not four lookups per SME).
#[instrument(skip_all)]
pub async fn sme_counts(db: &AnyPool, partner: Option<i64>) -> Result<Vec<SmeCounts>> {
    sqlx::query_as(
        "SELECT s.id AS sme_id, s.name AS sme_name, s.country, s.region, s.partner_id, \
         p.name AS partner_name, COALESCE(l.n, 0) AS learners, COALESCE(en.n, 0) AS enrolments, \
         COALESCE(co.n, 0) AS completions, COALESCE(ce.n, 0) AS certificates \
         FROM smes s JOIN partners p ON p.id = s.partner_id \
         LEFT JOIN (SELECT u.sme_id, COUNT(*) AS n FROM users u \
                    WHERE u.role = 'learner' GROUP BY u.sme_id) l ON l.sme_id = s.id \
         LEFT JOIN (SELECT u.sme_id, COUNT(*) AS n FROM enrolments e \
                    JOIN users u ON u.id = e.user_id GROUP BY u.sme_id) en ON en.sme_id = s.id \
         LEFT JOIN (SELECT u.sme_id, COUNT(*) AS n FROM course_completions cc \
                    JOIN users u ON u.id = cc.user_id GROUP BY u.sme_id) co ON co.sme_id = s.id \
         LEFT JOIN (SELECT ce.sme_id, COUNT(*) AS n FROM certificates ce \
                    WHERE ce.revoked_at IS NULL GROUP BY ce.sme_id) ce ON ce.sme_id = s.id \
         WHERE ($1 IS NULL OR s.partner_id = $1) ORDER BY s.name, s.id",
    )
    .bind(partner)
    .fetch_all(db)
    .await
    .context("SME report")
}

/// `(sme_id, completed_at)` of every course completion by a learner of an SME in scope.
#[instrument(skip_all)]
pub async fn completion_times(db: &AnyPool, partner: Option<i64>) -> Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT s.id, cc.completed_at FROM course_completions cc \
         JOIN users u ON u.id = cc.user_id JOIN smes s ON s.id = u.sme_id \
         WHERE ($1 IS NULL OR s.partner_id = $1)",
    )
    .bind(partner)
    .fetch_all(db)
    .await
    .context("indicators")
}

/// A coordinator who wants the weekly digest (active, password chosen).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestReader {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub time_zone: String,
    pub partner_id: i64,
    pub partner_name: String,
}

#[instrument(skip_all)]
pub async fn digest_readers(db: &AnyPool) -> Result<Vec<DigestReader>> {
    sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.locale, u.time_zone, u.partner_id, \
         p.name AS partner_name FROM users u JOIN partners p ON p.id = u.partner_id \
         WHERE u.role = 'coordinator' AND u.email_digest = 1 AND u.disabled_at IS NULL \
         AND u.removed_at IS NULL AND u.invited_at IS NULL ORDER BY u.id",
    )
    .fetch_all(db)
    .await
    .context("finding digest readers")
}

/// `(sme_id, invited)`: learners of a partner's SMEs invited and not yet signed in.
#[instrument(skip_all)]
pub async fn invited_per_sme(db: &AnyPool, partner: i64) -> Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT u.sme_id, COUNT(*) FROM users u JOIN smes s ON s.id = u.sme_id \
         WHERE s.partner_id = $1 AND u.invited_at IS NOT NULL AND u.removed_at IS NULL \
         GROUP BY u.sme_id",
    )
    .bind(partner)
    .fetch_all(db)
    .await
    .context("counting invitations")
}
