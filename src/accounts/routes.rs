//! Login, refresh, logout and the caller's own profile.

use std::net::IpAddr;

use rocket::http::{Header, Status};
use rocket::serde::json::Json;
use rocket::{get, patch, post, routes, Responder, Route, State};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::links;
use super::onboarding::{self, ImportReport};
use super::service::{self, SignIn};
use super::store::Purpose;
use crate::auth::browser::{Carrier, SessionEnd, END_HEADER};
use crate::auth::policy::{self, Account};
use crate::auth::throttle::Throttle;
use crate::auth::{self, password, CurrentUser, Keys, Role, Rotation, Staff};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::ids::SmeId;
use crate::json::JsonBody;
use crate::mail::Mailer;
use crate::messages::{Msg, Reader};
use crate::msg;
use crate::orgs::{self, NewAccount, ProfileChange, User};

#[derive(OpenApi)]
#[openapi(paths(
    login,
    refresh,
    logout,
    me,
    update_me,
    request_password_reset,
    complete_password_reset,
    create_invitation,
    accept_invitation,
    import_invitations
))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        login,
        refresh,
        logout,
        me,
        update_me,
        request_password_reset,
        complete_password_reset,
        create_invitation,
        accept_invitation,
        import_invitations
    ]
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    /// Absent when the browser keeps it in the session cookie (`X-Academy-Session: cookie`),
    /// and in the answer to a refresh that raced another with the same cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: &'static str,
    expires_in: i64,
    user: User,
}

/// Tokens for `user`; with the browser's cookie session the refresh token goes into the
/// cookie, not the body.
async fn issue(
    db: &Db,
    keys: &Keys,
    user: User,
    family: Option<String>,
    carrier: &Carrier<'_>,
) -> Result<TokenResponse> {
    let tokens = auth::open_session(db, keys, &user, family).await?;
    let refresh_token = match carrier {
        Carrier::Body => Some(tokens.refresh_token),
        Carrier::Cookie(cookie) => {
            cookie.set(tokens.refresh_token);
            None
        }
    };
    Ok(TokenResponse {
        access_token: tokens.access_token,
        refresh_token,
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
/// even with the right password, and costs no hashing. With the header
/// `X-Academy-Session: cookie` (the web UI) the refresh token is set as the HttpOnly cookie
/// `academy_refresh` instead of being in the body.
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
    carrier: Carrier<'_>,
    body: JsonBody<LoginBody>,
) -> Result<LoginAnswer> {
    let body = body.0;
    // An empty form is not a wrong password: say what is missing (costs no hashing, and is
    // not counted as a failed sign-in).
    let mut missing = Vec::new();
    if body.email.trim().is_empty() {
        missing.push(FieldError::new("email", msg!("login.email_required")));
    }
    if body.password.is_empty() {
        missing.push(FieldError::new("password", msg!("login.password_required")));
    }
    Error::check(missing)?;
    match service::sign_in(db, hasher, limits, client, &body.email, body.password).await? {
        SignIn::Throttled { wait_seconds } => Ok(LoginAnswer::Throttled(
            Error::TooManyRequests(msg!("login.throttled", seconds = wait_seconds)),
            Header::new("Retry-After", wait_seconds.to_string()),
        )),
        SignIn::Refused => Err(Error::Unauthorized(msg!("login.refused"))),
        SignIn::Accepted(user) => Ok(LoginAnswer::Ok(Json(
            issue(db, keys, user, None, &carrier).await?,
        ))),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

/// The refresh token's body: none with the browser's cookie session (the token is in the
/// cookie), else the JSON body of the public contract.
pub struct RefreshInput(Option<RefreshBody>);

#[rocket::async_trait]
impl<'r> rocket::data::FromData<'r> for RefreshInput {
    type Error = Error;

    async fn from_data(
        req: &'r rocket::Request<'_>,
        data: rocket::Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        if auth::browser::wants_cookie(req) {
            return rocket::outcome::Outcome::Success(RefreshInput(None));
        }
        JsonBody::<RefreshBody>::from_data(req, data)
            .await
            .map(|body| RefreshInput(Some(body.0)))
    }
}

#[derive(Responder)]
enum RefreshAnswer {
    Ok(Json<TokenResponse>),
    Ended(Error, Header<'static>),
}

/// A refused refresh, saying why in `X-Academy-Session-End`; the browser forgets its cookie.
fn ended(carrier: &Carrier<'_>, why: SessionEnd, message: Msg) -> RefreshAnswer {
    if let Carrier::Cookie(cookie) = carrier {
        cookie.clear();
    }
    RefreshAnswer::Ended(
        Error::Unauthorized(message),
        Header::new(END_HEADER, why.as_str()),
    )
}

/// New tokens for a refresh token, which stops working (rotation; presenting it again closes
/// the session). Scripts send `{refresh_token}`. The web UI sends no body and the header
/// `X-Academy-Session: cookie`: the token comes from, and its successor goes to, the HttpOnly
/// cookie, and the body has no `refresh_token`; a cookie already rotated by a concurrent refresh
/// less than `ACADEMY_REFRESH_GRACE_SECONDS` ago gets an access token only (no new cookie). A
/// 401 says why in the header `X-Academy-Session-End`: `missing` (no cookie), `expired`,
/// `revoked` (closed elsewhere: password change, reuse, sign-out) or `account` (disabled or
/// removed). A cookie-mode request from another site is a 403.
#[utoipa::path(tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenResponse), (status = 401), (status = 403)))]
#[post("/auth/refresh", data = "<body>")]
async fn refresh(
    db: &Db,
    keys: &State<Keys>,
    config: &State<Config>,
    carrier: Carrier<'_>,
    body: RefreshInput,
) -> Result<RefreshAnswer> {
    let (token, grace) = match (&carrier, body.0) {
        (Carrier::Cookie(cookie), _) => (cookie.token(), config.refresh_grace_seconds.max(0)),
        (Carrier::Body, body) => (body.map(|b| b.refresh_token.trim().to_string()), 0),
    };
    let Some(token) = token else {
        return Ok(ended(
            &carrier,
            SessionEnd::Missing,
            msg!("auth.session_missing"),
        ));
    };
    let (user_id, family, rotated) = match auth::rotate_session(db, &token, grace).await? {
        Rotation::Rotated { user_id, family } => (user_id, family, true),
        Rotation::Raced { user_id, family } => (user_id, family, false),
        Rotation::Reused => {
            return Ok(ended(
                &carrier,
                SessionEnd::Revoked,
                msg!("auth.refresh_reused"),
            ))
        }
        Rotation::Expired => {
            return Ok(ended(
                &carrier,
                SessionEnd::Expired,
                msg!("auth.refresh_invalid"),
            ))
        }
        Rotation::Revoked { user_id } => {
            let why = match orgs::get_active_user(db, user_id).await? {
                Some(_) => SessionEnd::Revoked,
                None => SessionEnd::Account,
            };
            let message = match why {
                SessionEnd::Account => msg!("auth.session_account"),
                _ => msg!("auth.session_revoked"),
            };
            return Ok(ended(&carrier, why, message));
        }
        Rotation::Invalid => {
            return Ok(ended(
                &carrier,
                SessionEnd::Revoked,
                msg!("auth.refresh_invalid"),
            ))
        }
    };
    // A disabled or removed user's sessions were revoked; this also covers a refresh racing
    // the revocation.
    let Some(user) = orgs::get_active_user(db, user_id).await? else {
        auth::end_session(db, &family).await?;
        return Ok(ended(
            &carrier,
            SessionEnd::Account,
            msg!("auth.session_account"),
        ));
    };
    if rotated {
        let tokens = issue(db, keys, user, Some(family), &carrier).await?;
        return Ok(RefreshAnswer::Ok(Json(tokens)));
    }
    Ok(RefreshAnswer::Ok(Json(TokenResponse {
        access_token: auth::access_token(keys, &user, &family)?,
        refresh_token: None,
        token_type: "Bearer",
        expires_in: keys.access_ttl_secs,
        user,
    })))
}

/// Sign out: this session's refresh token and its access tokens stop working at once. With
/// `X-Academy-Session: cookie` the session of the cookie is closed too (also when the access
/// token is no longer valid), and the cookie is cleared.
#[utoipa::path(tag = "auth", responses((status = 204), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/auth/logout")]
async fn logout(
    db: &Db,
    user: std::result::Result<CurrentUser, Error>,
    carrier: Carrier<'_>,
) -> Result<Status> {
    let mut closed = false;
    if let Ok(user) = &user {
        auth::end_session(db, &user.session).await?;
        closed = true;
    }
    if let Carrier::Cookie(cookie) = &carrier {
        if let Some(token) = cookie.token() {
            if let Some(family) = auth::session_of(db, &token).await? {
                auth::end_session(db, &family).await?;
                closed = true;
            }
        }
        cookie.clear();
    }
    match user {
        Err(e) if !closed => Err(e),
        _ => Ok(Status::NoContent),
    }
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
    /// Reminders of advisory sessions by email.
    email_reminders: Option<bool>,
    /// The weekly progress digest by email (coordinators).
    email_digest: Option<bool>,
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
            errors.push(FieldError::new("name", msg!("profile.name")));
        }
    }
    if let Some(locale) = &body.locale {
        if !crate::lang::Lang::is_supported(locale) {
            errors.push(FieldError::new(
                "locale",
                msg!("account.locale", codes = crate::lang::Lang::codes()),
            ));
        }
    }
    if let Some(tz) = &body.time_zone {
        if !orgs::valid_time_zone(tz) {
            errors.push(FieldError::new("time_zone", msg!("account.time_zone")));
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
                    msg!("profile.current_password"),
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
            email_reminders: body.email_reminders,
            email_digest: body.email_digest,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    email: String,
}

/// Ask for a password reset link by email. Always 202, whether or not the address has an
/// account (nothing is revealed); an active account gets a single-use link that expires in
/// `password_reset_minutes` (30 by default).
#[utoipa::path(tag = "auth", request_body = ResetRequestBody, responses((status = 202)))]
#[post("/auth/password-reset", data = "<body>")]
async fn request_password_reset(
    db: &Db,
    mailer: &State<Mailer>,
    config: &State<Config>,
    body: JsonBody<ResetRequestBody>,
) -> Result<Status> {
    links::request_reset(
        db,
        mailer,
        &body.email,
        config.password_reset_minutes.max(1),
    )
    .await?;
    Ok(Status::Accepted)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoosePasswordBody {
    /// The `token=` parameter of the link in the mail.
    token: String,
    password: String,
}

/// Set a new password with a reset link. Every session of the account ends (sign in again).
#[utoipa::path(tag = "auth", request_body = ChoosePasswordBody,
    responses((status = 204), (status = 422, description = "the link is not valid (expired, used), or the password breaks a rule")))]
#[post("/auth/password-reset/complete", data = "<body>")]
async fn complete_password_reset(
    db: &Db,
    hasher: &State<password::Hasher>,
    body: JsonBody<ChoosePasswordBody>,
) -> Result<Status> {
    let body = body.0;
    links::choose_password(
        db,
        hasher,
        Purpose::PasswordReset,
        &body.token,
        body.password,
    )
    .await?;
    Ok(Status::NoContent)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationBody {
    email: String,
    name: String,
    #[schema(value_type = Role)]
    role: String,
    sme_id: Option<i64>,
    partner_id: Option<i64>,
    locale: Option<String>,
    time_zone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Invitation {
    user: User,
    /// When the link in the mail stops working (RFC 3339).
    expires_at: String,
}

/// Invite a person by email (coordinators: learners of their partner's SMEs; admins: anyone).
/// The account exists at once (`invited: true`) and the person chooses a password through the
/// link. Inviting someone who has not accepted yet sends a fresh link, not a second account.
#[utoipa::path(tag = "organisations", request_body = InvitationBody,
    responses((status = 201, body = Invitation), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[post("/invitations", data = "<body>")]
async fn create_invitation(
    db: &Db,
    hasher: &State<password::Hasher>,
    mailer: &State<Mailer>,
    config: &State<Config>,
    staff: Staff,
    body: JsonBody<InvitationBody>,
) -> Result<(Status, Json<Invitation>)> {
    let body = body.0;
    let inviter = links::Inviter::of(db, &staff, config.invitation_days).await?;
    let account = NewAccount {
        email: body.email,
        name: body.name,
        role: body.role,
        password: String::new(),
        sme_id: body.sme_id,
        partner_id: body.partner_id,
        locale: body.locale,
        time_zone: body.time_zone,
    };
    let (user, expires_at) = links::invite(db, hasher, mailer, &inviter, account).await?;
    Ok((
        Status::Created,
        Json(Invitation {
            user,
            expires_at: crate::clock::rfc3339(expires_at),
        }),
    ))
}

/// Accept an invitation: choose a password, and be signed in (the same answer as a login).
#[utoipa::path(tag = "auth", request_body = ChoosePasswordBody,
    responses((status = 200, body = TokenResponse), (status = 422, description = "the link is not valid (expired, used), or the password breaks a rule")))]
#[post("/invitations/accept", data = "<body>")]
async fn accept_invitation(
    db: &Db,
    keys: &State<Keys>,
    hasher: &State<password::Hasher>,
    carrier: Carrier<'_>,
    body: JsonBody<ChoosePasswordBody>,
) -> Result<Json<TokenResponse>> {
    let body = body.0;
    let user =
        links::choose_password(db, hasher, Purpose::Invitation, &body.token, body.password).await?;
    Ok(Json(issue(db, keys, user, None, &carrier).await?))
}

/// The largest staff list accepted, in bytes.
const MAX_CSV_BYTES: usize = 1 << 20;

/// Invite the staff of an SME from a CSV file (the request body: `name` and `email` columns,
/// optional `language` and `time_zone`; comma or semicolon separated, UTF-8 with or without
/// BOM; headers in English, Spanish, Portuguese or Galician). Without `confirm=true` it is a
/// preview: nothing is written, and each row says what would happen (`new`, `exists`,
/// `unavailable`) or what is wrong with it (`error`, by field). With `confirm=true` the `new`
/// rows are invited (422 and nobody invited while any row has an error). A second upload of the
/// same file invites nobody twice.
#[utoipa::path(tag = "organisations",
    request_body(content = String, content_type = "text/csv"),
    params(("id" = i64, Path, description = "SME id"),
        ("confirm" = Option<bool>, Query, description = "send the invitations (default: preview only)")),
    responses((status = 200, body = ImportReport), (status = 403), (status = 404),
        (status = 413), (status = 422, description = "the file cannot be read, or (with `confirm`) a row has an error")),
    security(("bearer" = [])))]
#[post("/smes/<id>/invitations/import?<confirm>", data = "<file>")]
#[allow(clippy::too_many_arguments)]
async fn import_invitations(
    db: &Db,
    hasher: &State<password::Hasher>,
    mailer: &State<Mailer>,
    config: &State<Config>,
    staff: Staff,
    reader: Reader,
    id: SmeId,
    confirm: Option<bool>,
    file: rocket::Data<'_>,
) -> Result<Json<ImportReport>> {
    use rocket::data::ToByteUnit;
    let bytes = file
        .open(MAX_CSV_BYTES.bytes())
        .into_bytes()
        .await
        .map_err(|e| Error::BadRequest(msg!("request.body_unreadable", reason = e.to_string())))?;
    if !bytes.is_complete() {
        return Err(Error::PayloadTooLarge(msg!(
            "roster.too_large",
            kib = MAX_CSV_BYTES / 1024
        )));
    }
    let inviter = links::Inviter::of(db, &staff, config.invitation_days).await?;
    let report = onboarding::import(
        db,
        hasher,
        mailer,
        &inviter,
        id.get(),
        &bytes.into_inner(),
        confirm.unwrap_or(false),
    )
    .await?;
    Ok(Json(report.for_reader(&reader)))
}
