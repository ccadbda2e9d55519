//! Which language to serve: `?lang`, then the user's locale, then `Accept-Language`, then the
//! course's default language (with the fallbacks of [`crate::lang`] in between).

use crate::lang::Lang;
pub use crate::lang::{choose, AcceptLanguage};
use crate::msg;

pub fn is_supported(code: &str) -> bool {
    Lang::is_supported(code)
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
        .or_else(|| accept.0.first().map(|l| l.code().to_string()))
}

/// The language a user asked for: `?lang` (an unsupported one is a 400 naming `lang`), else
/// their locale, else `Accept-Language`; `None`: serve the content's default.
pub fn for_user(
    user: &crate::auth::CurrentUser,
    lang: Option<&str>,
    accept: &AcceptLanguage,
) -> crate::error::Result<Option<String>> {
    if let Some(l) = lang {
        if !is_supported(l) {
            return Err(crate::error::Error::invalid(
                "lang",
                msg!("lang.unsupported", codes = Lang::codes()),
            ));
        }
        return Ok(Some(l.to_string()));
    }
    Ok(requested(None, Some(&user.locale), accept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_query_then_locale_then_header() {
        let accept = AcceptLanguage(vec![Lang::Pt]);
        assert_eq!(
            requested(Some("es"), Some("en"), &accept).as_deref(),
            Some("es")
        );
        assert_eq!(requested(None, Some("gl"), &accept).as_deref(), Some("gl"));
        assert_eq!(requested(None, Some("fr"), &accept).as_deref(), Some("pt"));
        assert_eq!(requested(None, None, &AcceptLanguage::default()), None);
    }
}
