//! Request guards: `CurrentUser` from the bearer token, then one guard per role.
//!
//! The token's signature proves who the caller is; everything else is read fresh from the
//! database on every request (one indexed lookup): the role, partner and SME, whether the user
//! is disabled or removed, whether the token's version is current, and whether its session was
//! closed by logout or refresh-token reuse. A revoked token is refused at once, not when it
//! expires.

use rocket::outcome::{try_outcome, Outcome};
use rocket::request::{self, FromRequest, Request};
use rocket_db_pools::Database;

use super::{store, Keys, Role};
use crate::db::Db;
use crate::error::{stash, Context, Error};
use crate::msg;

/// The authenticated caller, from a valid access token and the database.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    /// The user's language code (see `crate::lang`), for what the server writes in words.
    pub locale: String,
    /// The user's IANA time zone, for times shown to them.
    pub time_zone: String,
    /// The login session (refresh-token family).
    pub session: String,
    /// The course content generation, read with the token (`courses::cache`).
    pub content_generation: i64,
}

fn deny<T>(req: &Request<'_>, err: Error) -> request::Outcome<T, Error> {
    stash(req, &err);
    Outcome::Error((err.status(), err))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = Error;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Error> {
        let cached = req
            .local_cache_async(async {
                let Some(header) = req.headers().get_one("Authorization") else {
                    return Err(Error::Unauthorized(msg!("auth.required")));
                };
                let Some(token) = header
                    .strip_prefix("Bearer ")
                    .or_else(|| header.strip_prefix("bearer "))
                else {
                    return Err(Error::Unauthorized(msg!("auth.bearer_scheme")));
                };
                let Some(keys) = req.rocket().state::<Keys>() else {
                    return Err(Error::internal("auth", "signing keys are not managed"));
                };
                let claims = keys.verify(token.trim()).map_err(|e| {
                    use jsonwebtoken::errors::ErrorKind;
                    Error::Unauthorized(match e.kind() {
                        ErrorKind::ExpiredSignature => msg!("auth.token_expired"),
                        _ => msg!("auth.token_invalid"),
                    })
                })?;
                let id = claims
                    .sub
                    .parse::<i64>()
                    .map_err(|_| Error::Unauthorized(msg!("auth.token_invalid")))?;
                // On the route's own connection when it declared one first.
                let bearer = match crate::db::RequestConn::of(req) {
                    Some(held) => store::bearer(&mut *held.get().await?, id, &claims.sid).await?,
                    None => {
                        let Some(db) = Db::fetch(req.rocket()) else {
                            return Err(Error::internal("auth", "database is not attached"));
                        };
                        let mut conn = db.acquire().await.context("checking access token")?;
                        store::bearer(&mut conn, id, &claims.sid).await?
                    }
                }
                .ok_or_else(|| Error::Unauthorized(msg!("auth.token_revoked")))?;
                if bearer.token_version != claims.ver
                    || bearer.disabled_at.is_some()
                    || bearer.removed_at.is_some()
                    || bearer.session_revoked != 0
                {
                    return Err(Error::Unauthorized(msg!("auth.token_revoked")));
                }
                Ok(CurrentUser {
                    id,
                    role: bearer.role,
                    sme_id: bearer.sme_id,
                    partner_id: bearer.partner_id,
                    locale: bearer.locale,
                    time_zone: bearer.time_zone,
                    session: claims.sid,
                    content_generation: bearer.content_generation,
                })
            })
            .await;
        match cached {
            Ok(user) => {
                crate::messages::remember_reader(req, &user.locale, &user.time_zone);
                Outcome::Success(user.clone())
            }
            Err(e) => deny(req, clone_err(e)),
        }
    }
}

fn clone_err(e: &Error) -> Error {
    match e {
        Error::Unauthorized(m) => Error::Unauthorized(m.clone()),
        Error::Unavailable(m) => Error::Unavailable(m.clone()),
        other => Error::internal("checking the access token", other),
    }
}

async fn with_role(
    req: &Request<'_>,
    allowed: &[Role],
    what: &'static str,
) -> request::Outcome<CurrentUser, Error> {
    let user = try_outcome!(req.guard::<CurrentUser>().await);
    if allowed.contains(&user.role) {
        Outcome::Success(user)
    } else {
        deny(
            req,
            Error::Forbidden(
                msg!("auth.wrong_role")
                    .word("allowed", what)
                    .word("role", user.role.word()),
            ),
        )
    }
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, [$($role:expr),+], $what:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl std::ops::Deref for $name {
            type Target = CurrentUser;
            fn deref(&self) -> &CurrentUser {
                &self.0
            }
        }

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = Error;
            async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Error> {
                with_role(req, &[$($role),+], $what).await.map($name)
            }
        }
    };
}

role_guard!(
    /// A learner (SME staff).
    Learner, [Role::Learner], "roles.learners"
);
role_guard!(
    /// An advisor.
    Advisor, [Role::Advisor], "roles.advisors"
);
role_guard!(
    /// A coordinator of a partner, or an admin.
    Staff, [Role::Coordinator, Role::Admin], "roles.staff"
);
role_guard!(
    /// A hub administrator.
    Admin, [Role::Admin], "roles.admins"
);
