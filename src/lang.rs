//! The languages of the academy: the one list. Course folders, quiz texts, user locales,
//! `?lang` and `Accept-Language`, certificates and the web UI's language menu all come from
//! [`Lang::ALL`]. Adding a language is a variant here (code, name, fallback), its certificate
//! words (`certificates::i18n`) and its UI table (`static/i18n/<code>.js`); tests fail until
//! every one of them exists.

use serde::{Deserialize, Serialize};

/// A supported language, written as its ISO 639-1 code (`"gl"`) in JSON, TOML and URLs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
    Pt,
    Gl,
}

impl Lang {
    /// Every supported language, in the order menus show them.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Es, Lang::Pt, Lang::Gl];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Gl => "gl",
        }
    }

    /// The language's own name, as a language menu shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Pt => "Português",
            Lang::Gl => "Galego",
        }
    }

    /// The BCP 47 tag dates and numbers are formatted with in the web UI.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en-GB",
            Lang::Es => "es-ES",
            Lang::Pt => "pt-PT",
            Lang::Gl => "gl-ES",
        }
    }

    /// The language a reader of `self` is served when content lacks `self` (before the
    /// content's own default): Galician readers read Spanish.
    pub fn fallback(self) -> Option<Lang> {
        match self {
            Lang::Gl => Some(Lang::Es),
            Lang::En | Lang::Es | Lang::Pt => None,
        }
    }

    /// `self`, then its fallbacks, in order.
    pub fn chain(self) -> impl Iterator<Item = Lang> {
        std::iter::successors(Some(self), |l| l.fallback())
    }

    /// Exactly a supported code (`"gl"`); `None` for anything else (`"GL"`, `"gl-ES"`, `"fr"`).
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A language tag: `gl`, `es-ES`, `pt_PT`, `PT`...; its primary subtag decides.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::from_code(&primary)
    }

    /// Whether `code` is exactly a supported code.
    pub fn is_supported(code: &str) -> bool {
        Lang::from_code(code).is_some()
    }

    /// `"en, es, pt, gl"`: for messages that list the accepted values.
    pub fn codes() -> String {
        Lang::ALL.map(Lang::code).join(", ")
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The supported languages of the request's `Accept-Language` header, best first.
#[derive(Debug, Clone, Default)]
pub struct AcceptLanguage(pub Vec<Lang>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for AcceptLanguage {
    type Error = std::convert::Infallible;

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        let header = req.headers().get_one("Accept-Language").unwrap_or_default();
        rocket::request::Outcome::Success(AcceptLanguage(parse_accept_language(header)))
    }
}

/// The supported languages of an `Accept-Language` header, best first (quality values
/// respected, ties in header order; `q=0` and unsupported languages dropped).
pub fn parse_accept_language(header: &str) -> Vec<Lang> {
    let mut ranked: Vec<(f32, usize, Lang)> = Vec::new();
    for (i, part) in header.split(',').enumerate().take(32) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if let Some(lang) = Lang::parse(tag) {
            if q > 0.0 {
                ranked.push((q, i, lang));
            }
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<Lang> = Vec::new();
    for (_, _, l) in ranked {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// The language to serve from those `available` for a reader who asked for `requested`:
/// the requested language, else its fallbacks (Galician -> Spanish), else `default`.
/// The flag is true when the reader asked for a language this content does not have.
pub fn choose(requested: Option<&str>, available: &[&str], default: &str) -> (String, bool) {
    let Some(requested) = requested else {
        return (default.to_string(), false);
    };
    if available.contains(&requested) {
        return (requested.to_string(), false);
    }
    let served = Lang::from_code(requested)
        .into_iter()
        .flat_map(Lang::chain)
        .map(Lang::code)
        .find(|l| available.contains(l))
        .unwrap_or(default);
    (served.to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_serde_uses_them() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.code())
            );
            let back: Lang = serde_json::from_str(&format!("\"{}\"", l.code())).unwrap();
            assert_eq!(back, l);
        }
        assert!(serde_json::from_str::<Lang>("\"fr\"").is_err());
        assert_eq!(Lang::codes(), "en, es, pt, gl");
    }

    #[test]
    fn tags_are_parsed_by_primary_subtag() {
        assert_eq!(Lang::parse("gl-ES"), Some(Lang::Gl));
        assert_eq!(Lang::parse("PT_pt"), Some(Lang::Pt));
        assert_eq!(Lang::parse("ES"), Some(Lang::Es));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_code("GL"), None);
        assert_eq!(Lang::from_code("gl-ES"), None);
    }

    #[test]
    fn galician_falls_back_to_spanish() {
        assert_eq!(Lang::Gl.chain().collect::<Vec<_>>(), [Lang::Gl, Lang::Es]);
        assert_eq!(Lang::Pt.chain().collect::<Vec<_>>(), [Lang::Pt]);
    }

    #[test]
    fn accept_language_is_ranked_and_filtered() {
        assert_eq!(
            parse_accept_language("pt-PT,pt;q=0.9,en;q=0.8"),
            [Lang::Pt, Lang::En]
        );
        assert_eq!(
            parse_accept_language("fr, es;q=0.5, en;q=0.7"),
            [Lang::En, Lang::Es]
        );
        assert_eq!(
            parse_accept_language("gl-ES,es;q=0.8"),
            [Lang::Gl, Lang::Es]
        );
        assert_eq!(parse_accept_language("en;q=0, de"), Vec::<Lang>::new());
        assert!(parse_accept_language("").is_empty());
    }

    #[test]
    fn the_served_language_follows_the_chain() {
        assert_eq!(
            choose(Some("pt"), &["en", "pt"], "en"),
            ("pt".into(), false)
        );
        assert_eq!(choose(Some("pt"), &["en"], "en"), ("en".into(), true));
        assert_eq!(choose(None, &["en"], "en"), ("en".into(), false));
        // Galician: itself, else Spanish, else the default.
        assert_eq!(
            choose(Some("gl"), &["en", "es", "gl"], "en"),
            ("gl".into(), false)
        );
        assert_eq!(
            choose(Some("gl"), &["en", "es", "pt"], "en"),
            ("es".into(), true)
        );
        assert_eq!(choose(Some("gl"), &["en", "pt"], "en"), ("en".into(), true));
    }
}
