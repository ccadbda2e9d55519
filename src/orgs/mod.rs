//! Partners (the hub's member organisations), their SMEs, and users; who may see whom.

mod routes;
pub mod store;

use serde::Serialize;

use crate::auth::{CurrentUser, Role};

pub use routes::{create_checked, routes, Doc, NewUserBody};

pub const LOCALES: [&str; 3] = ["en", "es", "pt"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub locale: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sme {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub region: String,
    pub sector: String,
    pub partner_id: i64,
    pub partner_name: String,
}

/// Which SMEs a caller may see: `None` means all (admins), otherwise only this partner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmeScope {
    All,
    Partner(i64),
    /// Neither coordinator nor admin: sees no SME through staff routes.
    Nothing,
}

impl SmeScope {
    pub fn of(user: &CurrentUser) -> SmeScope {
        match (user.role, user.partner_id) {
            (Role::Admin, _) => SmeScope::All,
            (Role::Coordinator, Some(p)) => SmeScope::Partner(p),
            _ => SmeScope::Nothing,
        }
    }

    /// The partner filter for SQL: `None` = every partner; `Some(-1)` matches nothing.
    pub fn partner_filter(self) -> Option<i64> {
        match self {
            SmeScope::All => None,
            SmeScope::Partner(p) => Some(p),
            SmeScope::Nothing => Some(-1),
        }
    }
}

/// Is `tz` an IANA time zone name we can compute with?
pub fn valid_time_zone(tz: &str) -> bool {
    !tz.is_empty() && jiff::tz::TimeZone::get(tz).is_ok()
}

/// Emails are compared lower-cased and trimmed.
pub fn normalize_email(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    if e.len() > 254 {
        return None;
    }
    let parsed: email_address::EmailAddress = e.parse().ok()?;
    // Require a dotted domain: `a@b` is syntactically valid but never a real mailbox here.
    parsed.domain().contains('.').then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Ana@Example.PT ").as_deref(),
            Some("ana@example.pt")
        );
        assert!(normalize_email("not-an-email").is_none());
        assert!(normalize_email("a@b").is_none());
        assert!(normalize_email("a b@c.es").is_none());
    }

    #[test]
    fn time_zones() {
        assert!(valid_time_zone("Europe/Lisbon"));
        assert!(valid_time_zone("Atlantic/Canary"));
        assert!(!valid_time_zone("Europe/Atlantis"));
    }
}
