//! All SQL of certificates.

use sqlx::{AnyConnection, AnyPool};
use tracing::instrument;

use super::code::Code;
use crate::error::{Context, Error, Result};

/// A certificate as issued, plus the SME's current partner (who may see it now).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertRow {
    pub id: i64,
    pub completion_id: i64,
    pub code: String,
    pub user_id: i64,
    pub course_id: i64,
    pub sme_id: i64,
    pub partner_id: i64,
    pub language: String,
    pub holder_name: String,
    pub sme_name: String,
    pub partner_name: String,
    pub course_slug: String,
    pub course_title: String,
    pub completed_at: i64,
    pub completed_on: String,
    pub score: Option<i64>,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
    pub revocation_reason: Option<String>,
    /// The partner the SME belongs to now (tenancy), which may differ from the issuer.
    pub current_partner_id: i64,
}

const SELECT: &str = "SELECT c.id, c.completion_id, c.code, c.user_id, c.course_id, c.sme_id, \
     c.partner_id, c.language, c.holder_name, c.sme_name, c.partner_name, c.course_slug, \
     c.course_title, c.completed_at, c.completed_on, c.score, c.issued_at, c.revoked_at, \
     c.revocation_reason, s.partner_id AS current_partner_id \
     FROM certificates c JOIN smes s ON s.id = c.sme_id";

/// What a completion's certificate needs to say, read inside the completion's transaction.
#[derive(Debug, sqlx::FromRow)]
pub struct CompletionFacts {
    pub user_id: i64,
    pub course_id: i64,
    pub completed_at: i64,
    pub score: Option<i64>,
    pub holder_name: String,
    pub email: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub sme_id: i64,
    pub sme_name: String,
    pub partner_id: i64,
    pub partner_name: String,
    pub course_slug: String,
    pub titles_json: String,
    pub default_language: String,
}

#[instrument(skip_all)]
pub async fn completion_facts(
    conn: &mut AnyConnection,
    completion_id: i64,
) -> Result<CompletionFacts> {
    sqlx::query_as(
        "SELECT cc.user_id, cc.course_id, cc.completed_at, cc.score, u.name AS holder_name, u.email, \
         u.locale, u.time_zone, s.id AS sme_id, s.name AS sme_name, p.id AS partner_id, \
         p.name AS partner_name, co.slug AS course_slug, co.titles_json, co.default_language \
         FROM course_completions cc \
         JOIN users u ON u.id = cc.user_id \
         JOIN smes s ON s.id = u.sme_id \
         JOIN partners p ON p.id = s.partner_id \
         JOIN courses co ON co.id = cc.course_id \
         WHERE cc.id = $1",
    )
    .bind(completion_id)
    .fetch_one(&mut *conn)
    .await
    .context("course completion")
}

pub struct NewCertificate<'a> {
    pub completion_id: i64,
    pub facts: &'a CompletionFacts,
    pub language: &'a str,
    pub course_title: &'a str,
    pub completed_on: &'a str,
    pub now: i64,
}

/// Insert the certificate of a completion and return its code. Exactly one per completion:
/// the unique index decides, and a second call returns the first certificate's code. A code
/// collision (about 1 in 10^12 per issue) simply draws another code. `ON CONFLICT DO NOTHING`
/// keeps a PostgreSQL transaction usable where a failed INSERT would abort it.
#[instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, new: &NewCertificate<'_>) -> Result<String> {
    let f = new.facts;
    for _ in 0..8 {
        let code = Code::generate()
            .map_err(|e| Error::internal("generating a certificate code", e))?
            .into_string();
        let inserted: Option<(String,)> = sqlx::query_as(
            "INSERT INTO certificates (completion_id, code, user_id, course_id, sme_id, \
             partner_id, language, holder_name, sme_name, partner_name, course_slug, \
             course_title, completed_at, completed_on, score, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT DO NOTHING RETURNING code",
        )
        .bind(new.completion_id)
        .bind(&code)
        .bind(f.user_id)
        .bind(f.course_id)
        .bind(f.sme_id)
        .bind(f.partner_id)
        .bind(new.language)
        .bind(&f.holder_name)
        .bind(&f.sme_name)
        .bind(&f.partner_name)
        .bind(&f.course_slug)
        .bind(new.course_title)
        .bind(f.completed_at)
        .bind(new.completed_on)
        .bind(f.score)
        .bind(new.now)
        .fetch_optional(&mut *conn)
        .await
        .context("issuing certificate")?;
        if let Some((code,)) = inserted {
            return Ok(code);
        }
        if let Some(existing) = code_for_completion(conn, new.completion_id).await? {
            return Ok(existing);
        }
    }
    Err(Error::internal(
        "issuing certificate",
        "no free certificate code after 8 draws",
    ))
}

#[instrument(skip_all)]
pub async fn code_for_completion(
    conn: &mut AnyConnection,
    completion_id: i64,
) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT code FROM certificates WHERE completion_id = $1")
            .bind(completion_id)
            .fetch_optional(&mut *conn)
            .await
            .context("certificate")?;
    Ok(row.map(|r| r.0))
}

#[instrument(skip_all)]
pub async fn by_code(db: &AnyPool, code: &str) -> Result<Option<CertRow>> {
    let sql = format!("{SELECT} WHERE c.code = $1");
    sqlx::query_as(&sql)
        .bind(code)
        .fetch_optional(db)
        .await
        .context("certificate")
}

/// Who is listing certificates.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// A learner: their own.
    Holder(i64),
    /// Staff: SMEs of this partner (`None`: every partner).
    Partner(Option<i64>),
}

#[instrument(skip_all)]
pub async fn list(
    db: &AnyPool,
    viewer: Viewer,
    sme_id: Option<i64>,
    course: Option<&str>,
) -> Result<Vec<CertRow>> {
    let (holder, partner, everyone) = match viewer {
        Viewer::Holder(id) => (Some(id), None, 0_i64),
        Viewer::Partner(None) => (None, None, 1),
        Viewer::Partner(Some(p)) => (None, Some(p), 0),
    };
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR c.user_id = $1) \
         AND ($2 IS NULL OR s.partner_id = $2) \
         AND ($1 IS NOT NULL OR $2 IS NOT NULL OR $3 = 1) \
         AND ($4 IS NULL OR c.sme_id = $4) \
         AND ($5 IS NULL OR c.course_slug = $5) \
         ORDER BY c.completed_at DESC, c.id DESC"
    );
    sqlx::query_as(&sql)
        .bind(holder)
        .bind(partner)
        .bind(everyone)
        .bind(sme_id)
        .bind(course)
        .fetch_all(db)
        .await
        .context("certificates")
}

/// Every valid (not revoked) certificate of one SME, for its ZIP.
#[instrument(skip_all)]
pub async fn valid_for_sme(db: &AnyPool, sme_id: i64) -> Result<Vec<CertRow>> {
    let sql = format!(
        "{SELECT} WHERE c.sme_id = $1 AND c.revoked_at IS NULL \
         ORDER BY c.holder_name, c.course_slug, c.id"
    );
    sqlx::query_as(&sql)
        .bind(sme_id)
        .fetch_all(db)
        .await
        .context("certificates")
}

/// Revoke a certificate once: `false` when it was already revoked.
#[instrument(skip_all)]
pub async fn revoke(db: &AnyPool, id: i64, by: i64, reason: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE certificates SET revoked_at = $1, revoked_by = $2, revocation_reason = $3 \
         WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(id)
    .execute(db)
    .await
    .context("revoking certificate")?;
    Ok(done.rows_affected() == 1)
}

/// Completions that have no certificate yet (for the demo, and for completions recorded
/// before certificates existed).
#[instrument(skip_all)]
pub async fn completions_without_certificate(db: &AnyPool) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT cc.id FROM course_completions cc \
         LEFT JOIN certificates c ON c.completion_id = cc.id WHERE c.id IS NULL ORDER BY cc.id",
    )
    .fetch_all(db)
    .await
    .context("completions")?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
