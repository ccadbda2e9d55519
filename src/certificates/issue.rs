//! Issuing: the one way a certificate comes into being, inside the completion's transaction,
//! with what it says fixed at that moment (course title in the learner's language, the date in
//! the learner's zone).

use sqlx::AnyConnection;

use super::{store, Lang};
use crate::clock::now;
use crate::error::{Context, Result};
use crate::mail::{texts, Kind, Mailer, Outgoing};

/// Issue the certificate of a course completion on the completion's own connection
/// (transaction), returning its code. Idempotent: a second call returns the same code.
pub async fn issue_in_tx(
    conn: &mut AnyConnection,
    completion_id: i64,
    mailer: Option<&Mailer>,
) -> Result<String> {
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
    if let (Some(mailer), Some(email)) = (mailer, facts.email.as_deref()) {
        let letter = texts::course_completed(
            lang,
            &facts.holder_name,
            &course_title,
            &mailer.url(&format!("/verify/{code}")),
        );
        let message = Outgoing::new(
            Kind::CourseCompleted,
            Some(facts.user_id),
            email,
            &facts.holder_name,
            &letter,
        );
        crate::mail::enqueue(conn, &message).await?;
    }
    if let Some(mailer) = mailer {
        crate::xapi::course_completed(conn, mailer, completion_id).await?;
    }
    Ok(code)
}

/// Issue the certificates that completions recorded before certificates existed lack (the
/// demo's start-up); returns how many were issued.
pub async fn issue_missing(db: &sqlx::AnyPool) -> Result<usize> {
    let missing = store::completions_without_certificate(db).await?;
    for &completion in &missing {
        let mut conn = db.acquire().await.context("issuing certificates")?;
        issue_in_tx(&mut conn, completion, None).await?;
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
