//! All SQL of partners, SMEs and users.

use sqlx::AnyPool;
use tracing::instrument;

use super::{Partner, Sme, SmeScope, User};
use crate::auth::Role;
use crate::clock::now;
use crate::error::{Context, Error, Result};
use crate::msg;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    sme_id: Option<i64>,
    partner_id: Option<i64>,
    locale: String,
    time_zone: String,
    disabled_at: Option<i64>,
    token_version: i64,
    email_reminders: i64,
    email_digest: i64,
    invited_at: Option<i64>,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            Error::internal("reading user", format!("unknown role {}", self.role))
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            role,
            sme_id: self.sme_id,
            partner_id: self.partner_id,
            locale: self.locale,
            time_zone: self.time_zone,
            disabled: self.disabled_at.is_some(),
            email_reminders: self.email_reminders != 0,
            email_digest: self.email_digest != 0,
            invited: self.invited_at.is_some(),
            token_version: self.token_version,
        })
    }
}

const USER_COLUMNS: &str =
    "id, email, name, role, sme_id, partner_id, locale, time_zone, disabled_at, token_version, \
     email_reminders, email_digest, invited_at";

#[derive(sqlx::FromRow)]
struct PartnerRow {
    id: i64,
    name: String,
    country: String,
    region: String,
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Self {
        Partner {
            id: r.id,
            name: r.name,
            country: r.country,
            region: r.region,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SmeRow {
    id: i64,
    name: String,
    country: String,
    region: String,
    sector: String,
    partner_id: i64,
    partner_name: String,
}

impl From<SmeRow> for Sme {
    fn from(r: SmeRow) -> Self {
        Sme {
            id: r.id,
            name: r.name,
            country: r.country,
            region: r.region,
            sector: r.sector,
            partner_id: r.partner_id,
            partner_name: r.partner_name,
        }
    }
}

#[instrument(skip_all)]
pub async fn insert_partner(
    db: &AnyPool,
    name: &str,
    country: &str,
    region: &str,
) -> Result<Partner> {
    let row: PartnerRow = sqlx::query_as(
        "INSERT INTO partners (name, country, region, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id, name, country, region",
    )
    .bind(name)
    .bind(country)
    .bind(region)
    .bind(now())
    .fetch_one(db)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            Error::Conflict(msg!("org.partner_exists", name = name))
        } else {
            Error::internal("inserting partner", e)
        }
    })?;
    Ok(row.into())
}

#[instrument(skip_all)]
pub async fn list_partners(db: &AnyPool) -> Result<Vec<Partner>> {
    let rows: Vec<PartnerRow> =
        sqlx::query_as("SELECT id, name, country, region FROM partners ORDER BY name")
            .fetch_all(db)
            .await
            .context("listing partners")?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[instrument(skip_all)]
pub async fn partner_exists(db: &AnyPool, id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM partners WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .context("finding partner")?;
    Ok(n > 0)
}

pub struct NewSme<'a> {
    pub name: &'a str,
    pub country: &'a str,
    pub region: &'a str,
    pub sector: &'a str,
    pub partner_id: i64,
}

#[instrument(skip_all)]
pub async fn insert_sme(db: &AnyPool, sme: &NewSme<'_>) -> Result<Sme> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO smes (name, country, region, sector, partner_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(sme.name)
    .bind(sme.country)
    .bind(sme.region)
    .bind(sme.sector)
    .bind(sme.partner_id)
    .bind(now())
    .fetch_one(db)
    .await
    .context("inserting SME")?;
    get_sme(db, SmeScope::All, id).await
}

const SME_SELECT: &str = "SELECT s.id, s.name, s.country, s.region, s.sector, s.partner_id,
    p.name AS partner_name FROM smes s JOIN partners p ON p.id = s.partner_id";

#[instrument(skip_all)]
pub async fn list_smes(db: &AnyPool, scope: SmeScope) -> Result<Vec<Sme>> {
    list_smes_page(db, scope, None, None).await
}

/// SMEs in name order (then id): at most `limit` after `after` (`(name, id)` of the last one
/// of the previous page); everything when `limit` is `None`.
#[instrument(skip_all)]
pub async fn list_smes_page(
    db: &AnyPool,
    scope: SmeScope,
    after: Option<(&str, i64)>,
    limit: Option<i64>,
) -> Result<Vec<Sme>> {
    let sql = format!(
        "{SME_SELECT} WHERE ($1 IS NULL OR s.partner_id = $1) \
         AND ($2 IS NULL OR s.name > $2 OR (s.name = $2 AND s.id > $3)) \
         ORDER BY s.name, s.id LIMIT $4"
    );
    let rows: Vec<SmeRow> = sqlx::query_as(&sql)
        .bind(scope.partner_filter())
        .bind(after.map(|(name, _)| name))
        .bind(after.map_or(0, |(_, id)| id))
        .bind(limit.unwrap_or(i64::MAX))
        .fetch_all(db)
        .await
        .context("listing SMEs")?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One SME, if the scope may see it (otherwise 404: a denied object does not exist).
#[instrument(skip_all)]
pub async fn get_sme(db: &AnyPool, scope: SmeScope, id: i64) -> Result<Sme> {
    let sql = format!("{SME_SELECT} WHERE s.id = $1 AND ($2 IS NULL OR s.partner_id = $2)");
    let row: SmeRow = sqlx::query_as(&sql)
        .bind(id)
        .bind(scope.partner_filter())
        .fetch_one(db)
        .await
        .or_not_found("SME")?;
    Ok(row.into())
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub locale: &'a str,
    pub time_zone: &'a str,
    pub password_hash: &'a str,
    /// Invited: the owner has not chosen a password yet.
    pub invited_at: Option<i64>,
}

/// Which mail a person may turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailList {
    /// Reminders of advisory sessions.
    Reminders,
    /// The coordinators' weekly progress digest.
    Digest,
}

/// Turn a kind of optional mail on or off (404 for no such user).
#[instrument(skip_all)]
pub async fn set_mail_list(db: &AnyPool, user_id: i64, list: MailList, on: bool) -> Result<()> {
    let sql = match list {
        MailList::Reminders => "UPDATE users SET email_reminders = $1 WHERE id = $2",
        MailList::Digest => "UPDATE users SET email_digest = $1 WHERE id = $2",
    };
    let done = sqlx::query(sql)
        .bind(i64::from(on))
        .bind(user_id)
        .execute(db)
        .await
        .context("setting reminder mail")?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("user"));
    }
    Ok(())
}

/// A password chosen through a mailed link (reset or invitation), on the link's transaction:
/// the token version goes up (every access token stops working) and the account is no longer
/// "invited". `false` when the account is disabled or removed.
#[instrument(skip_all)]
pub async fn set_chosen_password(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    hash: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $2, token_version = token_version + 1, invited_at = NULL
         WHERE id = $1 AND disabled_at IS NULL AND removed_at IS NULL",
    )
    .bind(user_id)
    .bind(hash)
    .execute(conn)
    .await
    .context("setting a chosen password")?;
    Ok(done.rows_affected() == 1)
}

/// Replace an account's password hash (the demo's one password for every demo account).
#[instrument(skip_all)]
pub async fn set_password_hash(db: &AnyPool, user_id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(db)
        .await
        .context("setting a password hash")?;
    Ok(())
}

#[instrument(skip_all)]
pub async fn insert_user<'c, E>(db: E, u: &NewUser<'_>) -> Result<User>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!(
        "INSERT INTO users (email, name, role, sme_id, partner_id, locale, time_zone, password_hash,
             created_at, invited_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {USER_COLUMNS}"
    );
    let row: UserRow = sqlx::query_as(&sql)
        .bind(u.email)
        .bind(u.name)
        .bind(u.role.as_str())
        .bind(u.sme_id)
        .bind(u.partner_id)
        .bind(u.locale)
        .bind(u.time_zone)
        .bind(u.password_hash)
        .bind(now())
        .bind(u.invited_at)
        .fetch_one(db)
        .await
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                Error::Conflict(msg!("email.exists", email = u.email.to_string()))
            } else {
                Error::internal("inserting user", e)
            }
        })?;
    row.into_user()
}

/// The accounts that hold any of `emails` (normalized), disabled and removed ones too: their
/// addresses stay taken. One statement per 500 addresses.
#[instrument(skip_all)]
pub async fn users_by_email(db: &AnyPool, emails: &[String]) -> Result<Vec<User>> {
    let mut users = Vec::new();
    for chunk in emails.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, UserRow>(&sql);
        for email in chunk {
            query = query.bind(email);
        }
        let rows = query.fetch_all(db).await.context("looking up addresses")?;
        for row in rows {
            users.push(row.into_user()?);
        }
    }
    Ok(users)
}

#[instrument(skip_all)]
pub async fn get_user(db: &AnyPool, id: i64) -> Result<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: UserRow = sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(db)
        .await
        .or_not_found("user")?;
    row.into_user()
}

/// The user and password hash for a login email, if any. Disabled and removed users are not
/// found: their sign-in fails exactly like an unknown email.
#[instrument(skip_all)]
pub async fn login_lookup(db: &AnyPool, email: &str) -> Result<Option<(User, String)>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users
         WHERE email = $1 AND disabled_at IS NULL AND removed_at IS NULL"
    );
    let row: Option<LoginRow> = sqlx::query_as(&sql)
        .bind(email)
        .fetch_optional(db)
        .await
        .context("looking up login")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.user.into_user()?, row.password_hash)))
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

/// A user who may still use the platform (neither disabled nor removed).
#[instrument(skip_all)]
pub async fn get_active_user(db: &AnyPool, id: i64) -> Result<Option<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users
         WHERE id = $1 AND disabled_at IS NULL AND removed_at IS NULL"
    );
    let row: Option<UserRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db)
        .await
        .context("user")?;
    row.map(UserRow::into_user).transpose()
}

/// A user the scope may manage: admins any user that is not removed, coordinators the
/// learners of their own partner's SMEs. Anything else is a 404 (a denied user does not exist).
#[instrument(skip_all)]
pub async fn get_managed_user(db: &AnyPool, scope: SmeScope, id: i64) -> Result<User> {
    let sql = format!(
        "SELECT {} FROM users u LEFT JOIN smes s ON s.id = u.sme_id
         WHERE u.id = $1 AND u.removed_at IS NULL
           AND ($2 IS NULL OR (u.role = 'learner' AND s.partner_id = $2))",
        prefixed_user_columns()
    );
    let row: UserRow = sqlx::query_as(&sql)
        .bind(id)
        .bind(scope.partner_filter())
        .fetch_one(db)
        .await
        .or_not_found("user")?;
    row.into_user()
}

fn prefixed_user_columns() -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Disable (`true`) or re-enable a user. Disabling bumps the token version, so every access
/// token of the user stops working at once.
#[instrument(skip_all)]
pub async fn set_disabled(db: &AnyPool, id: i64, disabled: bool) -> Result<User> {
    let query = if disabled {
        sqlx::query(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $2),
             token_version = token_version + 1 WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(id)
        .bind(now())
    } else {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1 AND removed_at IS NULL")
            .bind(id)
    };
    let done = query.execute(db).await.context("disabling user")?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("user"));
    }
    get_user(db, id).await
}

/// Remove a user (soft): they cannot sign in, their tokens stop working and they are no longer
/// listed, but their enrolments, completions, bookings and certificates stay for reporting.
#[instrument(skip_all)]
pub async fn remove_user(db: &AnyPool, id: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET removed_at = $2, token_version = token_version + 1
         WHERE id = $1 AND removed_at IS NULL",
    )
    .bind(id)
    .bind(now())
    .execute(db)
    .await
    .context("removing user")?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("user"));
    }
    Ok(())
}

pub struct Placement {
    pub role: Role,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
}

/// Give a user another role, SME or partner. Their current access tokens stop working (they
/// carried the old placement); a refresh issues tokens for the new one.
#[instrument(skip_all)]
pub async fn move_user(db: &AnyPool, id: i64, to: &Placement) -> Result<User> {
    let done = sqlx::query(
        "UPDATE users SET role = $2, sme_id = $3, partner_id = $4,
         token_version = token_version + 1 WHERE id = $1 AND removed_at IS NULL",
    )
    .bind(id)
    .bind(to.role.as_str())
    .bind(to.sme_id)
    .bind(to.partner_id)
    .execute(db)
    .await
    .context("moving user")?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found("user"));
    }
    get_user(db, id).await
}

#[instrument(skip_all)]
pub async fn password_hash(db: &AnyPool, id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .or_not_found("user")
}

/// Users visible to the scope: admins see everyone, coordinators the learners of their SMEs.
#[instrument(skip_all)]
pub async fn list_users(db: &AnyPool, scope: SmeScope) -> Result<Vec<User>> {
    let rows: Vec<UserRow> = match scope {
        SmeScope::All => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE removed_at IS NULL ORDER BY name, id"
            );
            sqlx::query_as(&sql).fetch_all(db).await
        }
        other => {
            let sql = format!(
                "SELECT {} FROM users u JOIN smes s ON s.id = u.sme_id
                 WHERE u.role = 'learner' AND s.partner_id = $1 AND u.removed_at IS NULL
                 ORDER BY u.name, u.id",
                prefixed_user_columns()
            );
            sqlx::query_as(&sql)
                .bind(other.partner_filter())
                .fetch_all(db)
                .await
        }
    }
    .context("listing users")?;
    rows.into_iter().map(UserRow::into_user).collect()
}

pub struct ProfileChange<'a> {
    pub name: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub email_reminders: Option<bool>,
    pub email_digest: Option<bool>,
}

/// A new password also bumps the token version: every access token of the user stops working.
#[instrument(skip_all)]
pub async fn update_profile(db: &AnyPool, id: i64, change: &ProfileChange<'_>) -> Result<User> {
    sqlx::query(
        "UPDATE users SET name = COALESCE($2, name), locale = COALESCE($3, locale),
         time_zone = COALESCE($4, time_zone), password_hash = COALESCE($5, password_hash),
         token_version = token_version + CASE WHEN $5 IS NULL THEN 0 ELSE 1 END,
         invited_at = CASE WHEN $5 IS NULL THEN invited_at ELSE NULL END,
         email_reminders = COALESCE($6, email_reminders),
         email_digest = COALESCE($7, email_digest)
         WHERE id = $1",
    )
    .bind(id)
    .bind(change.name)
    .bind(change.locale)
    .bind(change.time_zone)
    .bind(change.password_hash)
    .bind(change.email_reminders.map(i64::from))
    .bind(change.email_digest.map(i64::from))
    .execute(db)
    .await
    .context("updating profile")?;
    get_user(db, id).await
}
