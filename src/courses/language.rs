//! Which language to serve: `?lang`, then the user's locale, then `Accept-Language`, then the
//! course's default language.

use std::convert::Infallible;

use rocket::request::{self, FromRequest, Request};

use super::catalog::LANGUAGES;

/// The supported languages of an `Accept-Language` header, best first.
#[derive(Debug, Clone, Default)]
pub struct AcceptLanguage(pub Vec<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AcceptLanguage {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Infallible> {
        let header = req.headers().get_one("Accept-Language").unwrap_or_default();
        request::Outcome::Success(AcceptLanguage(parse_accept_language(header)))
    }
}

/// `pt-PT,pt;q=0.9,en;q=0.8` -> `["pt", "en"]`; unsupported languages and `q=0` are dropped.
pub fn parse_accept_language(header: &str) -> Vec<String> {
    let mut ranked: Vec<(f32, usize, String)> = Vec::new();
    for (i, part) in header.split(',').enumerate().take(32) {
        let mut pieces = part.split(';');
        let tag = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or_default().to_string();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if q > 0.0 && LANGUAGES.contains(&primary.as_str()) {
            ranked.push((q, i, primary));
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, _, l) in ranked {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

pub fn is_supported(lang: &str) -> bool {
    LANGUAGES.contains(&lang)
}

/// The language the reader asked for: the first supported one of `?lang`, their locale and
/// `Accept-Language` (`None`: nothing asked, serve the course default).
pub fn requested(
    query: Option<&str>,
    locale: Option<&str>,
    accept: &AcceptLanguage,
) -> Option<String> {
    query
        .filter(|l| is_supported(l))
        .or(locale.filter(|l| is_supported(l)))
        .map(str::to_string)
        .or_else(|| accept.0.first().cloned())
}

/// The language a user asked for: `?lang` (an unsupported one is a 400 naming `lang`), else
/// their locale, else `Accept-Language`; `None`: serve the content's default.
pub async fn for_user(
    db: &sqlx::AnyPool,
    user_id: i64,
    lang: Option<&str>,
    accept: &AcceptLanguage,
) -> crate::error::Result<Option<String>> {
    if let Some(l) = lang {
        if !is_supported(l) {
            return Err(crate::error::Error::invalid(
                "lang",
                "must be one of en, es, pt",
            ));
        }
        return Ok(Some(l.to_string()));
    }
    let me = crate::orgs::store::get_user(db, user_id).await?;
    Ok(requested(None, Some(&me.locale), accept))
}

/// The language to serve from those `available`, and whether it is a fallback (the reader asked
/// for a language this content does not have).
pub fn choose(requested: Option<&str>, available: &[&str], default: &str) -> (String, bool) {
    match requested {
        Some(r) if available.contains(&r) => (r.to_string(), false),
        Some(_) => (default.to_string(), true),
        None => (default.to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_ranked_and_filtered() {
        assert_eq!(
            parse_accept_language("pt-PT,pt;q=0.9,en;q=0.8"),
            ["pt", "en"]
        );
        assert_eq!(
            parse_accept_language("fr, es;q=0.5, en;q=0.7"),
            ["en", "es"]
        );
        assert_eq!(parse_accept_language("en;q=0, de"), Vec::<String>::new());
        assert!(parse_accept_language("").is_empty());
    }

    #[test]
    fn the_chain_is_query_then_locale_then_header() {
        let accept = AcceptLanguage(vec!["pt".into()]);
        assert_eq!(
            requested(Some("es"), Some("en"), &accept).as_deref(),
            Some("es")
        );
        assert_eq!(requested(None, Some("en"), &accept).as_deref(), Some("en"));
        assert_eq!(requested(None, None, &accept).as_deref(), Some("pt"));
        assert_eq!(requested(None, None, &AcceptLanguage::default()), None);
    }

    #[test]
    fn fallback_is_reported() {
        assert_eq!(
            choose(Some("pt"), &["en", "pt"], "en"),
            ("pt".into(), false)
        );
        assert_eq!(choose(Some("pt"), &["en"], "en"), ("en".into(), true));
        assert_eq!(choose(None, &["en"], "en"), ("en".into(), false));
    }
}
