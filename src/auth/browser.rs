//! The web UI's session: the refresh token in an HttpOnly cookie, the access token in the
//! page's memory only.
//!
//! Scripts keep the JSON contract (tokens in the body). The browser asks for the cookie with
//! the header `X-Academy-Session: cookie` on login, refresh, logout and invitation acceptance:
//!
//! - the cookie `academy_refresh` is `HttpOnly` (no script reads it), `SameSite=Strict` (no
//!   other site's page sends it), `Path=/api/auth` (only the auth routes see it) and `Secure`
//!   whenever the public URL is `https:` (on `http://127.0.0.1:8000` it cannot be: Chromium
//!   would keep a Secure cookie there, Safari and any plain-http LAN address would not);
//! - the answer of a cookie-mode login or refresh has no `refresh_token` in its body, so a
//!   script injected into the page cannot carry the long-lived token away;
//! - cross-site requests cannot use it: besides `SameSite=Strict`, the custom header makes a
//!   cross-origin request need a CORS preflight, which this server never grants, and a request
//!   whose `Sec-Fetch-Site` is not `same-origin`, or whose `Origin` is neither the public URL's
//!   nor the `Host` it was sent to, is refused (403). Without the header, the cookie is ignored.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::request::{FromRequest, Outcome, Request};

use super::Keys;
use crate::config::Config;
use crate::error::{stash, Error};
use crate::msg;

/// The cookie that holds the browser's refresh token.
pub const COOKIE: &str = "academy_refresh";
/// Only the auth routes (refresh, logout) receive the cookie.
pub const COOKIE_PATH: &str = "/api/auth";
/// The request header that asks for the cookie session (value `cookie`).
pub const MODE_HEADER: &str = "X-Academy-Session";
/// On a refused refresh: why the session is over (see [`SessionEnd`]).
pub const END_HEADER: &str = "X-Academy-Session-End";
/// The cookie outlives its refresh token by this much, so that a browser coming back after the
/// session expired is told so (`expired`) rather than treated as never signed in (`missing`).
const COOKIE_MARGIN_SECS: i64 = 7 * 86_400;

/// Why a refresh was refused, for the client to tell the person (header [`END_HEADER`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// No session cookie came with the request (never signed in here, or signed out).
    Missing,
    /// The session lived its time without being used.
    Expired,
    /// The session was closed elsewhere: a password change or reset, a refresh token used
    /// twice, a sign-out with this session's token, or an unknown token.
    Revoked,
    /// The account was disabled or removed.
    Account,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Missing => "missing",
            SessionEnd::Expired => "expired",
            SessionEnd::Revoked => "revoked",
            SessionEnd::Account => "account",
        }
    }
}

/// Whether the request asks for the cookie session.
pub fn wants_cookie(req: &Request<'_>) -> bool {
    req.headers()
        .get_one(MODE_HEADER)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"))
}

/// How the client carries its refresh token.
pub enum Carrier<'r> {
    /// In the JSON body (scripts; the public contract).
    Body,
    /// In the session cookie (the web UI).
    Cookie(SessionCookie<'r>),
}

/// The session cookie of a same-origin browser request.
pub struct SessionCookie<'r> {
    jar: &'r CookieJar<'r>,
    secure: bool,
    max_age_secs: i64,
}

impl SessionCookie<'_> {
    /// The refresh token the browser sent, if any.
    pub fn token(&self) -> Option<String> {
        self.jar
            .get(COOKIE)
            .map(|c| c.value().trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn build(&self, value: String) -> Cookie<'static> {
        Cookie::build((COOKIE, value))
            .path(COOKIE_PATH)
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .build()
    }

    /// Hand the browser a (new) refresh token.
    pub fn set(&self, token: String) {
        let mut cookie = self.build(token);
        cookie.set_max_age(rocket::time::Duration::seconds(self.max_age_secs));
        self.jar.add(cookie);
    }

    /// Make the browser forget the cookie (when it sent one).
    pub fn clear(&self) {
        self.jar.remove(self.build(String::new()));
    }
}

/// `https://host:port` of a URL (lower-cased), or `None` when it has no scheme.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// A browser request from the site's own pages: `Sec-Fetch-Site` (when sent) is
/// `same-origin`, and `Origin` (when sent) is the public URL's or the one of the `Host` the
/// request was sent to.
fn same_origin(req: &Request<'_>, config: &Config) -> Result<(), ()> {
    let headers = req.headers();
    if let Some(site) = headers.get_one("Sec-Fetch-Site") {
        if !site.trim().eq_ignore_ascii_case("same-origin") {
            return Err(());
        }
    }
    if let Some(origin) = headers.get_one("Origin") {
        let origin = origin.trim().to_ascii_lowercase();
        let public = origin_of(config.public_url());
        let host = headers
            .get_one("Host")
            .map(|h| h.trim().to_ascii_lowercase());
        let authority = origin.split_once("://").map(|(_, a)| a.to_string());
        let ok = public.as_deref() == Some(origin.as_str())
            || (host.is_some() && authority.is_some() && host == authority);
        if !ok {
            return Err(());
        }
    }
    Ok(())
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Carrier<'r> {
    type Error = Error;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Error> {
        if !wants_cookie(req) {
            return Outcome::Success(Carrier::Body);
        }
        let (Some(config), Some(keys)) =
            (req.rocket().state::<Config>(), req.rocket().state::<Keys>())
        else {
            let err = Error::internal("session cookie", "configuration is not managed");
            stash(req, &err);
            return Outcome::Error((err.status(), err));
        };
        if same_origin(req, config).is_err() {
            let err = Error::Forbidden(msg!("auth.cross_site"));
            stash(req, &err);
            return Outcome::Error((err.status(), err));
        }
        Outcome::Success(Carrier::Cookie(SessionCookie {
            jar: req.cookies(),
            secure: config.public_url().starts_with("https:"),
            max_age_secs: keys.refresh_ttl_secs + COOKIE_MARGIN_SECS,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Academy.example/hub/").as_deref(),
            Some("https://academy.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000").as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(origin_of("academy.example"), None);
    }
}
