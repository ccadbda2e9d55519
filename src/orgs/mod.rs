//! Partners (the hub's member organisations), their SMEs, and users; who may see whom.

mod routes;
mod service;
mod store;

use serde::Serialize;

use crate::auth::{CurrentUser, Role};
use crate::messages::Msg;
use crate::msg;

pub use routes::{routes, Doc};
pub use service::{
    check_account, check_invitee, create_checked, insert_checked, managed, CheckedAccount,
    NewAccount,
};
pub use store::{
    get_active_user, get_sme, get_user, insert_partner, insert_sme, insert_user, list_partners,
    list_smes, login_lookup, password_hash, set_chosen_password, set_mail_list, set_password_hash,
    update_profile, users_by_email, MailList, NewSme, NewUser, ProfileChange,
};

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
    /// A disabled user cannot sign in until re-enabled (removed users are not listed).
    pub disabled: bool,
    /// Reminders of advisory sessions by email (security mail is always sent).
    pub email_reminders: bool,
    /// The weekly progress digest by email (coordinators).
    pub email_digest: bool,
    /// Invited and not yet signed in: the person has not chosen a password.
    pub invited: bool,
    /// Access tokens issued before the last bump stop working (never shown to clients).
    #[serde(skip)]
    pub token_version: i64,
}

impl From<&User> for crate::auth::Subject {
    fn from(u: &User) -> Self {
        crate::auth::Subject {
            id: u.id,
            role: u.role,
            sme_id: u.sme_id,
            partner_id: u.partner_id,
            token_version: u.token_version,
        }
    }
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

/// Emails are compared trimmed, lower-cased and in Unicode NFC (composed `ñ` and `n` + combining
/// tilde are one address).
pub fn normalize_email(email: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let e: String = email.trim().nfc().collect::<String>().to_lowercase();
    if e.len() > 254 {
        return None;
    }
    let parsed: email_address::EmailAddress = e.parse().ok()?;
    // Require a dotted domain: `a@b` is syntactically valid but never a real mailbox here.
    parsed.domain().contains('.').then_some(e)
}

/// A new account's email: valid, and not a look-alike of another address. The whole address
/// must be written in one script (digits and punctuation go with any): `аdmin@hub.example` with
/// a Cyrillic `а` is refused, as are invisible characters (zero-width spaces, direction marks).
pub fn check_new_email(email: &str) -> Result<String, Msg> {
    use unicode_security::general_security_profile::IdentifierType;
    use unicode_security::{GeneralSecurityProfile, MixedScript};
    let Some(e) = normalize_email(email) else {
        return Err(msg!("email.invalid"));
    };
    let invisible = |c: char| {
        c.is_control()
            || c.is_whitespace()
            || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
    };
    if e.chars().any(invisible) {
        return Err(msg!("email.invisible"));
    }
    if !e.as_str().is_single_script() {
        return Err(msg!("email.mixed_scripts"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_emails_must_not_mix_scripts() {
        assert_eq!(
            check_new_email("Admin@Hub.example").as_deref(),
            Ok("admin@hub.example")
        );
        assert_eq!(
            check_new_email("josé.núñez@empresa.es").as_deref(),
            Ok("josé.núñez@empresa.es")
        );
        assert_eq!(
            check_new_email("иван@почта.рф").as_deref(),
            Ok("иван@почта.рф")
        );
        // Cyrillic а (U+0430) in the local part, then in the domain.
        assert!(check_new_email("\u{430}dmin@hub.example")
            .unwrap_err()
            .english()
            .contains("scripts"));
        assert!(check_new_email("admin@hub.ex\u{430}mple")
            .unwrap_err()
            .english()
            .contains("scripts"));
        // Greek omicron among Latin letters.
        assert!(check_new_email("rob\u{3bf}t@hub.example").is_err());
        assert!(check_new_email("ad\u{200b}min@hub.example").is_err());
        assert!(check_new_email("nope").is_err());
    }

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
