//! Getting into an account by a mailed link: a password reset, or an invitation to choose a
//! first password. The link carries a random token (`token=` in the URL); only its SHA-256 is
//! stored, it works once, and it expires. No password ever travels by mail.

use crate::auth::policy::{self, Account};
use crate::auth::{self, password, CurrentUser, Role};
use crate::clock::now;
use crate::crypto::{random_token, sha256_hex};
use crate::db::Db;
use crate::error::{Context, Error, Result};
use crate::lang::Lang;
use crate::mail::{self, texts, Kind, Mailer, Outgoing};
use crate::orgs::{self, NewAccount, SmeScope, User};

use super::store::{self, NewLink, Purpose};
use crate::msg;

/// At most this many reset mails per account per hour (more requests are answered the same
/// way and send nothing).
const RESETS_PER_HOUR: i64 = 3;

/// Ask for a reset link. Answers the same whether or not the account exists; only an active
/// account gets mail.
pub async fn request_reset(db: &Db, mailer: &Mailer, email: &str, minutes: i64) -> Result<()> {
    let Some(email) = orgs::normalize_email(email) else {
        return Ok(());
    };
    let Some((user, _)) = orgs::login_lookup(db, &email).await? else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let t = now();
    if store::made_since(db, Purpose::PasswordReset, user.id, t - 3600).await? >= RESETS_PER_HOUR {
        tracing::warn!(user = user.id, "password reset mail limit reached");
        return Ok(());
    }
    let token = random_token(40);
    let link = mailer.page(&format!("#/reset?token={token}"));
    let letter = texts::password_reset(lang_of(&user), &user.name, &link, minutes);
    let message = Outgoing::new(
        Kind::PasswordReset,
        Some(user.id),
        &user.email,
        &user.name,
        &letter,
    );
    let mut tx = db.begin().await.context("starting a password reset")?;
    store::insert(
        &mut tx,
        &NewLink {
            purpose: Purpose::PasswordReset,
            token_hash: &sha256_hex(&token),
            user_id: user.id,
            created_by: None,
            expires_at: t + minutes * 60,
            now: t,
        },
    )
    .await?;
    mail::enqueue(&mut tx, &message).await?;
    tx.commit().await.context("saving a password reset")?;
    tracing::info!(user = user.id, "password reset mail queued");
    Ok(())
}

/// Choose a password with a link of `purpose`: checked against the password rules first (a
/// refused password does not use the link up), then the link is used and the password set in
/// one transaction, and every session of the account ends.
pub async fn choose_password(
    db: &Db,
    hasher: &password::Hasher,
    purpose: Purpose,
    token: &str,
    new_password: String,
) -> Result<User> {
    let hash = sha256_hex(token.trim());
    let t = now();
    let Some(user_id) = store::peek(db, purpose, &hash, t).await? else {
        return Err(Error::invalid("token", msg!("link.invalid")));
    };
    let user = orgs::get_user(db, user_id).await?;
    let account = Account {
        email: &user.email,
        name: &user.name,
    };
    if let Err(m) = policy::check_password(&new_password, account) {
        return Err(Error::invalid("password", m));
    }
    let password_hash = hasher.hash(new_password).await?;
    let mut tx = db.begin().await.context("using a link")?;
    if store::consume(&mut tx, purpose, &hash, now()).await? != Some(user_id)
        || !orgs::set_chosen_password(&mut tx, user_id, &password_hash).await?
    {
        return Err(Error::invalid("token", msg!("link.invalid")));
    }
    tx.commit().await.context("saving the new password")?;
    auth::revoke_sessions(db, user_id).await?;
    tracing::info!(user = user_id, ?purpose, "password chosen through a link");
    orgs::get_user(db, user_id).await
}

/// Who is inviting, and how long the link lives.
pub struct Inviter<'a> {
    pub by: &'a CurrentUser,
    pub by_name: String,
    pub days: i64,
}

impl<'a> Inviter<'a> {
    /// The caller as inviter (their name is read once, for the mail), with the configured
    /// lifetime of a link (`invitation_days`, at least one).
    pub async fn of(db: &Db, by: &'a CurrentUser, invitation_days: i64) -> Result<Inviter<'a>> {
        Ok(Inviter {
            by,
            by_name: orgs::get_user(db, by.id).await?.name,
            days: invitation_days.max(1),
        })
    }
}

/// Invite a person: the account is created as `scope` may create it (the same checks as
/// `POST /api/users`), with a password nobody knows, and the invitation queued in the same
/// transaction. Inviting an address whose owner was invited and has not accepted yet sends a
/// fresh link (the earlier one stops working) instead of a second account.
pub async fn invite(
    db: &Db,
    hasher: &password::Hasher,
    mailer: &Mailer,
    inviter: &Inviter<'_>,
    mut account: NewAccount,
) -> Result<(User, i64)> {
    let scope = SmeScope::of(inviter.by);
    if let (SmeScope::Partner(_), Some(r)) = (scope, Role::parse(&account.role)) {
        if r != Role::Learner {
            return Err(Error::Forbidden(msg!(
                "account.coordinators_invite_learners"
            )));
        }
    }
    // A pending invitation of the same person: send a new link.
    if let Some(email) = orgs::normalize_email(&account.email) {
        if let Some((existing, _)) = orgs::login_lookup(db, &email).await? {
            if existing.invited && orgs::managed(db, inviter.by, existing.id).await.is_ok() {
                let expires = send_invitation(db, mailer, inviter, &existing, None).await?;
                return Ok((existing, expires));
            }
        }
    }
    account.password = random_token(40);
    let checked = orgs::check_account(db, hasher, scope, account).await?;
    let mut tx = db.begin().await.context("starting an invitation")?;
    let user = orgs::insert_checked(&mut tx, &checked, Some(now())).await?;
    let expires = send_invitation(db, mailer, inviter, &user, Some(&mut tx)).await?;
    tx.commit().await.context("saving an invitation")?;
    Ok((user, expires))
}

/// Store an invitation link for `user` and queue its mail (on `tx` when given, else in a
/// transaction of its own). Returns when the link expires.
pub(super) async fn send_invitation(
    db: &Db,
    mailer: &Mailer,
    inviter: &Inviter<'_>,
    user: &User,
    tx: Option<&mut sqlx::Transaction<'static, sqlx::Any>>,
) -> Result<i64> {
    let t = now();
    let expires_at = t + inviter.days * 86_400;
    let token = random_token(40);
    let link = mailer.page(&format!("#/invitation?token={token}"));
    let letter = texts::invitation(
        lang_of(user),
        &user.name,
        &inviter.by_name,
        &link,
        inviter.days,
    );
    let message = Outgoing::new(
        Kind::Invitation,
        Some(user.id),
        &user.email,
        &user.name,
        &letter,
    );
    let new_link = NewLink {
        purpose: Purpose::Invitation,
        token_hash: &sha256_hex(&token),
        user_id: user.id,
        created_by: Some(inviter.by.id),
        expires_at,
        now: t,
    };
    match tx {
        Some(tx) => {
            store::insert(tx, &new_link).await?;
            mail::enqueue(tx, &message).await?;
        }
        None => {
            let mut own = db.begin().await.context("starting an invitation")?;
            store::insert(&mut own, &new_link).await?;
            mail::enqueue(&mut own, &message).await?;
            own.commit().await.context("saving an invitation")?;
        }
    }
    tracing::info!(user = user.id, by = inviter.by.id, "invitation queued");
    Ok(expires_at)
}

fn lang_of(user: &User) -> Lang {
    Lang::from_code(&user.locale).unwrap_or(Lang::En)
}
