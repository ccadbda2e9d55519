//! Who may create and manage whom: the checks behind creating a user (shared by the API and
//! `academy user add`) and acting on an existing one.

use super::store::{self, NewUser};
use super::{check_new_email, valid_time_zone, SmeScope, User};
use crate::auth::policy::{self, Account};
use crate::auth::{password, CurrentUser, Role};
use crate::db::Db;
use crate::error::{Context, Error, FieldError, Result};
use crate::lang::Lang;
use crate::msg;

/// A user to create, as asked for (checked by [`create_checked`]).
pub struct NewAccount {
    pub email: String,
    pub name: String,
    /// `learner`, `advisor`, `coordinator` or `admin`.
    pub role: String,
    pub password: String,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

/// Validate and create a user as `scope` may (shared by the API and `academy user add`).
pub async fn create_checked(
    db: &Db,
    hasher: &password::Hasher,
    scope: SmeScope,
    body: NewAccount,
) -> Result<User> {
    let checked = check_account(db, hasher, scope, body).await?;
    let mut conn = db.acquire().await.context("creating user")?;
    insert_checked(&mut conn, &checked, None).await
}

/// A new account that passed every check, its password hashed: ready to insert.
pub struct CheckedAccount {
    email: String,
    name: String,
    role: Role,
    sme_id: Option<i64>,
    partner_id: Option<i64>,
    locale: String,
    time_zone: String,
    password_hash: String,
    scope: SmeScope,
}

impl CheckedAccount {
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// Every check of a new account as `scope` may create it (422 naming each wrong field, 404
/// for an SME outside the scope), then the password hashed.
pub async fn check_account(
    db: &Db,
    hasher: &password::Hasher,
    scope: SmeScope,
    body: NewAccount,
) -> Result<CheckedAccount> {
    checked(db, scope, body, Secret::Chosen(hasher)).await
}

/// An invited person's account: every check but the password's, which nobody knows yet;
/// `password_hash` is the hash of a random password that is thrown away (one hash serves a
/// whole CSV import: hashing is the slow part).
pub async fn check_invitee(
    db: &Db,
    scope: SmeScope,
    body: NewAccount,
    password_hash: &str,
) -> Result<CheckedAccount> {
    checked(db, scope, body, Secret::Unknown(password_hash)).await
}

/// Where a new account's password hash comes from.
enum Secret<'a> {
    /// The password in the request: checked against the rules, then hashed.
    Chosen(&'a password::Hasher),
    /// Already hashed, from a password nobody knows.
    Unknown(&'a str),
}

async fn checked(
    db: &Db,
    scope: SmeScope,
    body: NewAccount,
    secret: Secret<'_>,
) -> Result<CheckedAccount> {
    let mut errors = Vec::new();
    let email = match check_new_email(&body.email) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.push(FieldError::new("email", m));
            None
        }
    };
    required(&mut errors, "name", &body.name, 200);
    let role = Role::parse(&body.role);
    if role.is_none() {
        errors.push(FieldError::new("role", msg!("account.role")));
    }
    if let Secret::Chosen(_) = secret {
        let account = Account {
            email: email.as_deref().unwrap_or(&body.email),
            name: body.name.trim(),
        };
        if let Err(m) = policy::check_password(&body.password, account) {
            errors.push(FieldError::new("password", m));
        }
    }
    let locale = body.locale.clone().unwrap_or_else(|| "en".into());
    if !Lang::is_supported(&locale) {
        errors.push(FieldError::new(
            "locale",
            msg!("account.locale", codes = Lang::codes()),
        ));
    }
    let time_zone = body
        .time_zone
        .clone()
        .unwrap_or_else(|| "Europe/Madrid".into());
    if !valid_time_zone(&time_zone) {
        errors.push(FieldError::new("time_zone", msg!("account.time_zone")));
    }
    let partner_id = placement(db, scope, role, &body, &mut errors).await?;
    Error::check(errors)?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(Error::internal("creating user", "validated fields missing"));
    };
    let password_hash = match secret {
        Secret::Unknown(h) => h.to_string(),
        Secret::Chosen(hasher) => hasher.hash(body.password).await?,
    };
    Ok(CheckedAccount {
        email,
        name: body.name.trim().to_string(),
        role,
        sme_id: if role == Role::Learner {
            body.sme_id
        } else {
            None
        },
        partner_id,
        locale,
        time_zone,
        password_hash,
        scope,
    })
}

/// Insert a checked account on `conn` (a transaction's, for an invitation); `invited_at`
/// marks an account whose owner has not chosen a password yet.
pub async fn insert_checked(
    conn: &mut sqlx::AnyConnection,
    a: &CheckedAccount,
    invited_at: Option<i64>,
) -> Result<User> {
    store::insert_user(
        conn,
        &NewUser {
            email: &a.email,
            name: &a.name,
            role: a.role,
            sme_id: a.sme_id,
            partner_id: a.partner_id,
            locale: &a.locale,
            time_zone: &a.time_zone,
            password_hash: &a.password_hash,
            invited_at,
        },
    )
    .await
    .map_err(|e| match e {
        // Only admins learn that the address belongs to an account (they can see every
        // account anyway). Others get the same answer whoever holds it and wherever.
        Error::Conflict(_) if a.scope != SmeScope::All => {
            Error::Conflict(msg!("email.unavailable"))
        }
        other => other,
    })
}

/// Where a new account belongs: a learner's SME (which gives the partner), a coordinator's
/// partner, optionally a partner for the others. Wrong references are field errors; an SME
/// outside the caller's scope is a 404, as if it did not exist.
async fn placement(
    db: &Db,
    scope: SmeScope,
    role: Option<Role>,
    body: &NewAccount,
    errors: &mut Vec<FieldError>,
) -> Result<Option<i64>> {
    let mut partner_id = body.partner_id;
    match role {
        Some(Role::Learner) => match body.sme_id {
            None => errors.push(FieldError::new("sme_id", msg!("account.sme_required"))),
            Some(sme_id) => match store::get_sme(db, scope, sme_id).await {
                Ok(sme) => partner_id = Some(sme.partner_id),
                Err(Error::NotFound(_)) if scope != SmeScope::All => {
                    return Err(Error::not_found("SME"))
                }
                Err(Error::NotFound(_)) => {
                    errors.push(FieldError::new("sme_id", msg!("org.no_such_sme")))
                }
                Err(e) => return Err(e),
            },
        },
        Some(Role::Coordinator) => match partner_id {
            None => errors.push(FieldError::new(
                "partner_id",
                msg!("account.coordinator_partner"),
            )),
            Some(p) if !store::partner_exists(db, p).await? => {
                errors.push(FieldError::new("partner_id", msg!("org.no_such_partner")))
            }
            _ => {}
        },
        Some(_) => {
            if let Some(p) = partner_id {
                if !store::partner_exists(db, p).await? {
                    errors.push(FieldError::new("partner_id", msg!("org.no_such_partner")));
                }
            }
        }
        None => {}
    }
    Ok(partner_id)
}

/// Coordinators may act on the learners of their own partner's SMEs, admins on anyone; nobody on
/// themselves (an admin locking themselves out is not undoable through the API).
pub async fn managed(db: &Db, by: &CurrentUser, id: i64) -> Result<User> {
    if by.id == id {
        return Err(Error::Forbidden(msg!("account.own_account")));
    }
    store::get_managed_user(db, SmeScope::of(by), id).await
}

pub(super) fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let v = value.trim();
    if v.is_empty() {
        errors.push(FieldError::new(field, msg!("account.required")));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, msg!("text.too_long", max = max)));
    }
}
