//! A certificate as callers see it: in lists, on the verify page, and as the data the PDF is
//! drawn from.

use serde::Serialize;
use utoipa::ToSchema;

use super::store::CertRow;
use super::{local_date, pdf, Lang, HUB_NAME};
use crate::clock::rfc3339;

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
    /// The Open Badges 3.0 credential as a VC-JWT (`application/vc+jwt`, same credentials).
    pub credential_url: String,
    /// The same credential as readable JSON.
    pub credential_json_url: String,
    /// The badge PNG with the credential baked in.
    pub badge_url: String,
    /// The public verification page.
    pub verify_url: String,
}

impl Certificate {
    pub fn from_row(row: CertRow, public_url: &str) -> Certificate {
        Certificate {
            pdf_url: format!("/api/certificates/{}/pdf", row.code),
            credential_url: format!("/api/certificates/{}/credential", row.code),
            credential_json_url: format!("/api/certificates/{}/credential.json", row.code),
            badge_url: format!("/api/certificates/{}/badge.png", row.code),
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
