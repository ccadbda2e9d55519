//! Request guards: `CurrentUser` from the bearer token, then one guard per role.
//!
//! The token's signature proves who the caller is; everything else is read fresh from the
//! database on every request (one indexed lookup): the role, partner and SME, whether the user
//! is disabled or removed, whether the token's version is current, and whether its session was
//! closed by logout or refresh-token reuse. A revoked token is refused at once, not when it
//! expires.

use rocket::data::{self, Data, FromData};
use rocket::outcome::{try_outcome, Outcome};
use rocket::request::{self, FromRequest, Request};
use rocket_db_pools::Database;
use serde::de::DeserializeOwned;

use super::{store, Keys, Role};
use crate::db::Db;
use crate::error::{stash, Context, Error};
use crate::json::JsonBody;
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

/// The token's signature, expiry and subject, checked without the database (once per request).
struct Signed(std::result::Result<(i64, super::tokens::Claims), Error>);

fn signed<'a>(
    req: &'a Request<'_>,
) -> &'a std::result::Result<(i64, super::tokens::Claims), Error> {
    &req.local_cache(|| {
        Signed((|| {
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
            Ok((id, claims))
        })())
    })
    .0
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = Error;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Error> {
        let cached = req
            .local_cache_async(async {
                let (id, claims) = signed(req).as_ref().map_err(clone_err)?;
                let id = *id;
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
                    session: claims.sid.clone(),
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

/// The caller `G` (a role guard) and the JSON body `T` of a route with a body, checked in an
/// order that lets the route share one pooled connection ([`crate::db::RequestConn`],
/// declared first) with the token check without holding it while the client sends the body:
/// the token's signature first (no database: a request without a valid token is a 401 before
/// its body is read), then the body ([`JsonBody`]: 400, 415, 422), then the database check of
/// the token and the role (401, 403), which takes the connection.
///
/// The one difference from `user: G, body: JsonBody<T>`: a signed token that the database
/// refuses (revoked, wrong role) with a malformed body is answered for the body.
pub struct UserAndBody<G, T> {
    pub user: G,
    pub body: T,
}

#[rocket::async_trait]
impl<'r, G, T> FromData<'r> for UserAndBody<G, T>
where
    G: FromRequest<'r, Error = Error> + Send,
    T: DeserializeOwned + Send,
{
    type Error = Error;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if let Err(e) = signed(req) {
            let e = clone_err(e);
            stash(req, &e);
            return Outcome::Error((e.status(), e));
        }
        let body = match JsonBody::<T>::from_data(req, data).await {
            Outcome::Success(JsonBody(body)) => body,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        match G::from_request(req).await {
            Outcome::Success(user) => Outcome::Success(UserAndBody { user, body }),
            Outcome::Error(e) => Outcome::Error(e),
            // The role guards never forward; the body is read, so nothing could take it.
            Outcome::Forward(status) => {
                let e = Error::internal("auth", format!("the caller's guard forwarded ({status})"));
                Outcome::Error((e.status(), e))
            }
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
