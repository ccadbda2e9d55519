//! Login, refresh, logout and the caller's own profile.

use std::net::IpAddr;

use rocket::http::{Header, Status};
use rocket::serde::json::Json;
use rocket::{get, patch, post, routes, Responder, Route, State};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::service::{self, SignIn};
use crate::auth::policy::{self, Account};
use crate::auth::throttle::Throttle;
use crate::auth::{self, password, CurrentUser, Keys, Rotation};
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::json::JsonBody;
use crate::orgs::{self, ProfileChange, User};

#[derive(OpenApi)]
#[openapi(paths(login, refresh, logout, me, update_me))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![login, refresh, logout, me, update_me]
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: i64,
    user: User,
}

const BAD_LOGIN: &str = "the email or password is not correct";

async fn issue(db: &Db, keys: &Keys, user: User, family: Option<String>) -> Result<TokenResponse> {
    let tokens = auth::open_session(db, keys, &user, family).await?;
    Ok(TokenResponse {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
        user,
    })
}

#[derive(Responder)]
enum LoginAnswer {
    Ok(Json<TokenResponse>),
    Throttled(Error, Header<'static>),
}

/// Sign in. Repeated failures lock the account's email and the client's address for growing
/// times (429 with `Retry-After`), checked before the password is: a locked attempt is refused
/// even with the right password, and costs no hashing.
#[utoipa::path(tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokenResponse), (status = 401), (status = 422),
        (status = 429, description = "too many failed sign-ins; retry after `Retry-After` seconds")))]
#[post("/auth/login", data = "<body>")]
async fn login(
    db: &Db,
    keys: &State<Keys>,
    hasher: &State<password::Hasher>,
    limits: &State<Throttle>,
    client: Option<IpAddr>,
    body: JsonBody<LoginBody>,
) -> Result<LoginAnswer> {
    let body = body.0;
    match service::sign_in(db, hasher, limits, client, &body.email, body.password).await? {
        SignIn::Throttled { wait_seconds } => Ok(LoginAnswer::Throttled(
            Error::TooManyRequests(format!(
                "too many failed sign-ins: try again in {wait_seconds} seconds"
            )),
            Header::new("Retry-After", wait_seconds.to_string()),
        )),
        SignIn::Refused => Err(Error::Unauthorized(BAD_LOGIN.into())),
        SignIn::Accepted(user) => Ok(LoginAnswer::Ok(Json(issue(db, keys, user, None).await?))),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

#[utoipa::path(tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenResponse), (status = 401)))]
#[post("/auth/refresh", data = "<body>")]
async fn refresh(
    db: &Db,
    keys: &State<Keys>,
    body: JsonBody<RefreshBody>,
) -> Result<Json<TokenResponse>> {
    match auth::rotate_session(db, body.refresh_token.trim()).await? {
        Rotation::Rotated { user_id, family } => {
            // A disabled or removed user's sessions were revoked; this also covers a refresh
            // racing the revocation.
            let Some(user) = orgs::get_active_user(db, user_id).await? else {
                auth::end_session(db, &family).await?;
                return Err(Error::Unauthorized(
                    "the refresh token is not valid or has expired".into(),
                ));
            };
            Ok(Json(issue(db, keys, user, Some(family)).await?))
        }
        Rotation::Reused => Err(Error::Unauthorized(
            "this refresh token was already used: the session has been closed, please sign in again"
                .into(),
        )),
        Rotation::Invalid => Err(Error::Unauthorized(
            "the refresh token is not valid or has expired".into(),
        )),
    }
}

/// Sign out: this session's refresh token and its access tokens stop working at once.
#[utoipa::path(tag = "auth", responses((status = 204), (status = 401)), security(("bearer" = [])))]
#[post("/auth/logout")]
async fn logout(db: &Db, user: CurrentUser) -> Result<Status> {
    auth::end_session(db, &user.session).await?;
    Ok(Status::NoContent)
}

#[utoipa::path(tag = "auth", responses((status = 200, body = User), (status = 401)), security(("bearer" = [])))]
#[get("/me")]
async fn me(db: &Db, user: CurrentUser) -> Result<Json<User>> {
    Ok(Json(orgs::get_user(db, user.id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    name: Option<String>,
    locale: Option<String>,
    time_zone: Option<String>,
    password: Option<PasswordChange>,
}

#[utoipa::path(tag = "auth", request_body = ProfileBody,
    responses((status = 200, body = User), (status = 401), (status = 422)), security(("bearer" = [])))]
#[patch("/me", data = "<body>")]
async fn update_me(
    db: &Db,
    hasher: &State<password::Hasher>,
    user: CurrentUser,
    body: JsonBody<ProfileBody>,
) -> Result<Json<User>> {
    let body = body.0;
    let mut errors = Vec::new();
    if let Some(name) = &body.name {
        if name.trim().is_empty() || name.chars().count() > 200 {
            errors.push(FieldError::new("name", "must be 1 to 200 characters"));
        }
    }
    if let Some(locale) = &body.locale {
        if !crate::lang::Lang::is_supported(locale) {
            errors.push(FieldError::new(
                "locale",
                format!("must be one of {}", crate::lang::Lang::codes()),
            ));
        }
    }
    if let Some(tz) = &body.time_zone {
        if !orgs::valid_time_zone(tz) {
            errors.push(FieldError::new(
                "time_zone",
                "must be an IANA time zone such as Europe/Lisbon",
            ));
        }
    }
    if let Some(pw) = &body.password {
        let me = orgs::get_user(db, user.id).await?;
        let account = Account {
            email: &me.email,
            name: body.name.as_deref().unwrap_or(&me.name),
        };
        if let Err(m) = policy::check_password(&pw.new, account) {
            errors.push(FieldError::new("password.new", m));
        }
    }
    Error::check(errors)?;
    let new_hash = match body.password {
        Some(pw) => {
            let current = orgs::password_hash(db, user.id).await?;
            if !hasher.verify(pw.current, current).await? {
                return Err(Error::invalid(
                    "password.current",
                    "is not your current password",
                ));
            }
            Some(hasher.hash(pw.new).await?)
        }
        None => None,
    };
    let updated = orgs::update_profile(
        db,
        user.id,
        &ProfileChange {
            name: body.name.as_deref().map(str::trim),
            locale: body.locale.as_deref(),
            time_zone: body.time_zone.as_deref(),
            password_hash: new_hash.as_deref(),
        },
    )
    .await?;
    if new_hash.is_some() {
        // The new password also bumped the token version (every access token is refused);
        // close every session's refresh tokens too.
        auth::revoke_sessions(db, user.id).await?;
    }
    Ok(Json(updated))
}
