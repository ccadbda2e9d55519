//! Certificates: issued in the course completion's own transaction, rendered as PDF (one, or a
//! ZIP per SME), verified by code on a public page, revoked by admins.
//!
//! - [`issue_in_tx`] is the one way a certificate comes into being: the completion path calls
//!   it inside its transaction, so there is never a completion without its certificate nor a
//!   certificate without its completion, and the unique index on `completion_id` makes it one.
//! - What a certificate says is stored as issued (holder, SME, partner, course title, date,
//!   score, language), so the PDF and the verify page agree for as long as it exists.

pub mod code;
pub mod i18n;
pub mod page;
pub mod pdf;
pub mod qr;
mod ratelimit;
mod routes;
mod store;
pub mod zip;

use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;

pub use code::Code;
pub use i18n::Lang;
pub use ratelimit::VerifyLimiter;
pub use routes::{page_routes, routes, Doc};

use crate::clock::{now, rfc3339};
use crate::error::{Context, Result};
use store::CertRow;

/// The hub's name as printed on certificates and the verify page.
pub const HUB_NAME: &str = "IberoBio Academy";

/// Issue the certificate of a course completion on the completion's own connection
/// (transaction), returning its code. Idempotent: a second call returns the same code.
pub async fn issue_in_tx(conn: &mut AnyConnection, completion_id: i64) -> Result<String> {
    let facts = store::completion_facts(conn, completion_id).await?;
    let lang = Lang::parse(&facts.locale).unwrap_or(Lang::En);
    let course_title = course_title(&facts.titles_json, lang, &facts.default_language)
        .unwrap_or_else(|| facts.course_slug.clone());
    let completed_on = local_date(facts.completed_at, &facts.time_zone).to_string();
    let code = store::insert(
        conn,
        &store::NewCertificate {
            completion_id,
            facts: &facts,
            language: lang.code(),
            course_title: &course_title,
            completed_on: &completed_on,
            now: now(),
        },
    )
    .await?;
    tracing::info!(completion_id, code = %code, "certificate issued");
    Ok(code)
}

/// Issue the certificates that completions recorded before certificates existed lack (the
/// demo's start-up); returns how many were issued.
pub async fn issue_missing(db: &sqlx::AnyPool) -> Result<usize> {
    let missing = store::completions_without_certificate(db).await?;
    for &completion in &missing {
        let mut conn = db.acquire().await.context("issuing certificates")?;
        issue_in_tx(&mut conn, completion).await?;
    }
    Ok(missing.len())
}

/// The code of a completion's certificate, if it has one.
pub async fn code_for_completion(
    conn: &mut AnyConnection,
    completion_id: i64,
) -> Result<Option<String>> {
    store::code_for_completion(conn, completion_id).await
}

/// A course title in `lang` from the courses table's `{"en": "...", ...}`, falling back to
/// `lang`'s fallbacks (Galician: Spanish), the course's default language, then to any.
pub fn course_title(titles_json: &str, lang: Lang, default_language: &str) -> Option<String> {
    let titles: std::collections::BTreeMap<String, String> =
        serde_json::from_str(titles_json).ok()?;
    lang.chain()
        .find_map(|l| titles.get(l.code()))
        .or_else(|| titles.get(default_language))
        .or_else(|| titles.values().next())
        .filter(|t| !t.trim().is_empty())
        .cloned()
}

/// The calendar date of an instant in an IANA zone (UTC when the zone is unknown).
pub fn local_date(ts: i64, tz: &str) -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(ts)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone)
        .date()
}

/// A certificate in lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certificate {
    pub code: String,
    pub learner_id: i64,
    pub learner_name: String,
    /// The course slug.
    pub course: String,
    /// The course title in the certificate's language.
    pub course_title: String,
    pub sme_id: i64,
    pub sme_name: String,
    /// The issuing partner.
    pub issuer: String,
    /// `en`, `es` or `pt`: the language the certificate is printed in.
    pub language: String,
    /// RFC 3339, UTC.
    pub completed_at: String,
    pub score: Option<i64>,
    pub issued_at: String,
    pub revoked: bool,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    /// Where the PDF is (`GET`, with the same credentials).
    pub pdf_url: String,
    /// The public verification page.
    pub verify_url: String,
}

impl Certificate {
    pub fn from_row(row: CertRow, public_url: &str) -> Certificate {
        Certificate {
            pdf_url: format!("/api/certificates/{}/pdf", row.code),
            verify_url: verify_url(public_url, &row.code),
            code: row.code,
            learner_id: row.user_id,
            learner_name: row.holder_name,
            course: row.course_slug,
            course_title: row.course_title,
            sme_id: row.sme_id,
            sme_name: row.sme_name,
            issuer: row.partner_name,
            language: row.language,
            completed_at: rfc3339(row.completed_at),
            score: row.score,
            issued_at: rfc3339(row.issued_at),
            revoked: row.revoked_at.is_some(),
            revoked_at: row.revoked_at.map(rfc3339),
            revocation_reason: row.revocation_reason,
        }
    }
}

/// `{public_url}/verify/{code}`.
pub fn verify_url(public_url: &str, code: &str) -> String {
    format!("{}/verify/{code}", public_url.trim_end_matches('/'))
}

/// What goes on the PDF of a stored certificate.
pub fn pdf_data(row: &CertRow, public_url: &str) -> pdf::CertificateData {
    let completed_on = row
        .completed_on
        .parse::<jiff::civil::Date>()
        .unwrap_or_else(|_| local_date(row.completed_at, "UTC"));
    pdf::CertificateData {
        lang: Lang::parse(&row.language).unwrap_or(Lang::En),
        hub_name: HUB_NAME.into(),
        learner_name: row.holder_name.clone(),
        sme_name: row.sme_name.clone(),
        course_title: row.course_title.clone(),
        completed_on,
        score: row.score.map(|s| s as f64),
        code: row.code.clone(),
        verify_url: verify_url(public_url, &row.code),
        partner_name: row.partner_name.clone(),
        revoked: row.revoked_at.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_titles_fall_back() {
        let j = r#"{"en":"Market entry","es":"Entrada en mercados"}"#;
        assert_eq!(
            course_title(j, Lang::Es, "en").as_deref(),
            Some("Entrada en mercados")
        );
        assert_eq!(
            course_title(j, Lang::Pt, "en").as_deref(),
            Some("Market entry")
        );
        assert_eq!(
            course_title(j, Lang::Pt, "es").as_deref(),
            Some("Entrada en mercados")
        );
        assert_eq!(
            course_title(j, Lang::Gl, "en").as_deref(),
            Some("Entrada en mercados")
        );
        assert_eq!(course_title("not json", Lang::En, "en"), None);
    }

    #[test]
    fn dates_in_the_learners_zone() {
        // 23:30 UTC on 31 March is already 1 April in Madrid (CEST) but not in Lisbon (WEST).
        let ts = crate::clock::parse_rfc3339("2026-03-31T23:30:00Z").unwrap();
        assert_eq!(local_date(ts, "Europe/Madrid").to_string(), "2026-04-01");
        assert_eq!(local_date(ts, "Europe/Lisbon").to_string(), "2026-04-01");
        assert_eq!(local_date(ts, "Atlantic/Azores").to_string(), "2026-03-31");
        assert_eq!(local_date(ts, "Nowhere/Atlantis").to_string(), "2026-03-31");
    }
}
