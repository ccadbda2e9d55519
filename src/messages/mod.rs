//! What the server says to people, in their language: the catalogue of every problem message.
//!
//! A message is a stable machine `code` (`booking.slot_taken`) with named parameters; its
//! words live in one TOML file per language next to this module (`en.toml`, `es.toml`, ...),
//! with `{name}` where a parameter goes. Clients get the code and the parameters as data, and
//! the words rendered in the reader's language: `?lang`, else the signed-in user's language,
//! else `Accept-Language`, else English (the chain the course pages use). Times are written in
//! the reader's time zone (`9/12/2026 16:30 (Europe/Madrid)`), never as raw ISO strings.
//! Translators edit the TOML files and nothing else; tests check that every language has every
//! code with the same parameters, and that every code the server uses exists.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::lang::Lang;

/// One message: its code and its parameters, rendered when it is answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    pub code: Cow<'static, str>,
    pub params: Vec<(&'static str, Arg)>,
}

/// A parameter of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Shown as is (a name, a file name, a technical reason from a parser).
    Text(String),
    /// A number, shown as is.
    Int(i64),
    /// An instant (unix seconds), shown in the reader's zone; RFC 3339 UTC in `params`.
    Time(i64),
    /// An instant shown as the time of day only (`17:30`), e.g. the end of a session.
    Clock(i64),
    /// Another catalogue entry, shown in the reader's language (a role, a noun); its code in
    /// `params`.
    Word(&'static str),
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}
macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Arg::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_arg!(i64, i32, u32, u64, usize);

/// `msg!("code")` or `msg!("code", name = value, ...)`; values convert into [`Arg`].
#[macro_export]
macro_rules! msg {
    ($code:expr) => {
        $crate::messages::Msg::new($code)
    };
    ($code:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::messages::Msg::new($code)$(.with(stringify!($name), $value))+
    };
}

impl Msg {
    pub fn new(code: impl Into<Cow<'static, str>>) -> Self {
        Msg {
            code: code.into(),
            params: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.params.push((name, value.into()));
        self
    }

    /// An instant shown in the reader's zone.
    pub fn at(mut self, name: &'static str, unix_seconds: i64) -> Self {
        self.params.push((name, Arg::Time(unix_seconds)));
        self
    }

    /// An instant shown as the time of day only, in the reader's zone.
    pub fn clock(mut self, name: &'static str, unix_seconds: i64) -> Self {
        self.params.push((name, Arg::Clock(unix_seconds)));
        self
    }

    /// A word of the catalogue (`role.learner`) shown in the reader's language.
    pub fn word(mut self, name: &'static str, code: &'static str) -> Self {
        self.params.push((name, Arg::Word(code)));
        self
    }

    /// The parameters as JSON data for clients.
    pub fn params_json(&self) -> Map<String, Value> {
        self.params
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(s) => Value::String(s.clone()),
                    Arg::Int(n) => Value::from(*n),
                    Arg::Time(t) | Arg::Clock(t) => Value::String(
                        jiff::Timestamp::from_second(*t)
                            .map(|t| t.to_string())
                            .unwrap_or_default(),
                    ),
                    Arg::Word(code) => Value::String(word_code(code).to_string()),
                };
                (name.to_string(), value)
            })
            .collect()
    }

    /// The words of this message for `reader`.
    pub fn render(&self, reader: &Reader) -> String {
        let template = lookup(reader.lang, &self.code);
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match self.params.iter().find(|(n, _)| *n == name) {
                        Some((_, arg)) => out.push_str(&show(arg, reader)),
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The English words (logs, `Display`).
    pub fn english(&self) -> String {
        self.render(&Reader::default())
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

/// Who reads a message: their language and time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub lang: Lang,
    pub time_zone: String,
}

/// The zone times are shown in when the reader's own is not known (the hub is in Spain).
pub const DEFAULT_ZONE: &str = "Europe/Madrid";

impl Default for Reader {
    fn default() -> Self {
        Reader {
            lang: Lang::En,
            time_zone: DEFAULT_ZONE.to_string(),
        }
    }
}

/// The code a [`Arg::Word`] stands for in `params` (`role.learner` -> `learner`).
fn word_code(code: &str) -> &str {
    code.rsplit('.').next().unwrap_or(code)
}

fn show(arg: &Arg, reader: &Reader) -> String {
    match arg {
        Arg::Text(s) => s.clone(),
        Arg::Int(n) => n.to_string(),
        Arg::Time(t) => local_time(*t, &reader.time_zone),
        Arg::Clock(t) => jiff::Timestamp::from_second(*t)
            .map(|t| {
                t.to_zoned(
                    jiff::tz::TimeZone::get(&reader.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
                )
                .strftime("%H:%M")
                .to_string()
            })
            .unwrap_or_default(),
        Arg::Word(code) => lookup(reader.lang, code).to_string(),
    }
}

/// `9/12/2026 16:30 (Europe/Madrid)`: day/month/year in every language, 24-hour clock.
pub fn local_time(unix_seconds: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_second(unix_seconds) {
        Ok(t) => {
            let z = t.to_zoned(tz);
            format!(
                "{}/{}/{} {} ({zone})",
                z.day(),
                z.month(),
                z.year(),
                z.strftime("%H:%M")
            )
        }
        Err(_) => String::new(),
    }
}

type Catalogue = HashMap<String, String>;

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("en.toml"),
        Lang::Es => include_str!("es.toml"),
        Lang::Pt => include_str!("pt.toml"),
        Lang::Gl => include_str!("gl.toml"),
    }
}

/// The catalogue of one language, flattened to `section.key` codes. A file that does not
/// parse is a bug caught by the tests; at run time it counts as empty (English is used).
pub fn parse(text: &str) -> Result<Catalogue, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Catalogue::new();
    flatten("", &toml::Value::Table(table), &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut Catalogue) -> Result<(), String> {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
            Ok(())
        }
        other => Err(format!(
            "{prefix}: expected text, found {}",
            other.type_str()
        )),
    }
}

static CATALOGUES: LazyLock<HashMap<Lang, Catalogue>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .map(|&l| (l, parse(source(l)).unwrap_or_default()))
        .collect()
});

/// The template of `code` in `lang`, falling back along the language chain and to English;
/// an unknown code is shown as itself (tests make sure there are none).
fn lookup(lang: Lang, code: &str) -> &str {
    for l in lang.chain().chain(std::iter::once(Lang::En)) {
        if let Some(t) = CATALOGUES.get(&l).and_then(|c| c.get(code)) {
            return t.as_str();
        }
    }
    code
}

/// The title of a problem with this HTTP status in the reader's language (`status.<code>`),
/// or `None` for a status the catalogue has no words for.
pub fn status_title(status: u16, reader: &Reader) -> Option<String> {
    let code = format!("status.{status}");
    exists(&code).then(|| lookup(reader.lang, &code).to_string())
}

/// Whether the catalogue has `code` (in English, the reference language).
pub fn exists(code: &str) -> bool {
    CATALOGUES
        .get(&Lang::En)
        .is_some_and(|c| c.contains_key(code))
}

/// The reader of this request's messages: `?lang`, else the signed-in user's language (the
/// auth guard leaves it in the request cache), else `Accept-Language`, else English; the
/// signed-in user's zone, else [`DEFAULT_ZONE`].
pub fn reader_of(req: &rocket::Request<'_>) -> Reader {
    let user = req.local_cache(|| SignedIn(None)).0.clone();
    let query = req
        .query_value::<&str>("lang")
        .and_then(|r| r.ok())
        .and_then(Lang::from_code);
    let from_user = user.as_ref().and_then(|u| Lang::from_code(&u.0));
    let lang = query
        .or(from_user)
        .or_else(|| {
            let header = req.headers().get_one("Accept-Language").unwrap_or_default();
            crate::lang::parse_accept_language(header).first().copied()
        })
        .unwrap_or(Lang::En);
    Reader {
        lang,
        time_zone: user
            .map(|u| u.1)
            .filter(|z| jiff::tz::TimeZone::get(z).is_ok())
            .unwrap_or_else(|| DEFAULT_ZONE.to_string()),
    }
}

/// The reader as a request guard, for answers written in words (not problems). Put it after
/// the route's auth guard, so that the signed-in user's language is known.
#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Reader {
    type Error = std::convert::Infallible;

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::request::Outcome::Success(reader_of(req))
    }
}

/// The signed-in user's language and zone, left in the request cache by the auth guard.
#[derive(Debug, Clone, Default)]
pub struct SignedIn(pub Option<(String, String)>);

/// Remember the signed-in user's language and zone for this request's messages.
pub fn remember_reader(req: &rocket::Request<'_>, locale: &str, time_zone: &str) {
    let _ = req.local_cache(|| SignedIn(Some((locale.to_string(), time_zone.to_string()))));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(template: &str) -> Vec<String> {
        let mut names: Vec<String> = template
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_language_has_every_message_with_the_same_parameters() {
        let english = parse(source(Lang::En)).expect("en.toml parses");
        assert!(english.len() > 100, "{} messages", english.len());
        for lang in Lang::ALL {
            let other = parse(source(lang)).unwrap_or_else(|e| panic!("{lang}.toml: {e}"));
            let mut missing: Vec<&String> =
                english.keys().filter(|k| !other.contains_key(*k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{lang}.toml lacks {missing:?}");
            let mut extra: Vec<&String> =
                other.keys().filter(|k| !english.contains_key(*k)).collect();
            extra.sort();
            assert!(
                extra.is_empty(),
                "{lang}.toml has codes en.toml lacks: {extra:?}"
            );
            for (code, template) in &english {
                assert_eq!(
                    placeholders(template),
                    placeholders(&other[code]),
                    "{lang}.toml {code}: the parameters differ from English"
                );
                assert!(
                    !other[code].trim().is_empty(),
                    "{lang}.toml {code} is empty"
                );
            }
        }
    }

    #[test]
    fn every_code_the_server_uses_is_in_the_catalogue() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = Vec::new();
        collect_codes(&root, &mut used);
        assert!(used.len() > 50, "found {} codes", used.len());
        let missing: Vec<&String> = used.iter().filter(|c| !exists(c)).collect();
        assert!(missing.is_empty(), "codes without words: {missing:?}");
    }

    /// Every `msg!("...")`, `Msg::new("...")` and `not_found("...")` literal outside this file.
    fn collect_codes(dir: &std::path::Path, out: &mut Vec<String>) {
        let is_code = |c: &str| {
            c.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && c.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "_.".contains(ch))
            })
        };
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_codes(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("messages/mod.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for (marker, prefix) in [
                    ("msg!(\"", ""),
                    ("Msg::new(\"", ""),
                    ("not_found(\"", "not_found."),
                ] {
                    for piece in text.split(marker).skip(1) {
                        if let Some((code, _)) = piece.split_once('"') {
                            let code = format!("{prefix}{code}");
                            if is_code(&code) {
                                out.push(code);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_word_a_message_may_name_is_in_the_catalogue() {
        use crate::domain::{AttemptStatus, Role};
        let mut words: Vec<&str> = Role::ALL.iter().map(|r| r.word()).collect();
        words.extend(AttemptStatus::ALL.iter().map(|s| s.word()));
        words.extend(crate::domain::Topic::ALL.iter().map(|t| t.word()));
        words.extend([
            "roles.learners",
            "roles.advisors",
            "roles.staff",
            "roles.admins",
            "JsonType.integer",
            "JsonType.number",
            "JsonType.boolean",
            "JsonType.list",
            "JsonType.object",
            "JsonType.text",
            "JsonType.value",
        ]);
        let missing: Vec<&&str> = words.iter().filter(|w| !exists(w)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn parameters_are_filled_and_times_are_local() {
        let m = Msg::new("test.missing_code").with("n", 3);
        assert_eq!(m.english(), "test.missing_code");
        // 2026-12-09T15:30:00Z is 16:30 in Madrid and 15:30 in Lisbon.
        let t = 1_796_830_200;
        assert_eq!(
            local_time(t, "Europe/Madrid"),
            "9/12/2026 16:30 (Europe/Madrid)"
        );
        assert_eq!(
            local_time(t, "Europe/Lisbon"),
            "9/12/2026 15:30 (Europe/Lisbon)"
        );
        let json = Msg::new("x").at("start", t).with("n", 2).params_json();
        assert_eq!(json["start"], "2026-12-09T15:30:00Z");
        assert_eq!(json["n"], 2);
    }
}
