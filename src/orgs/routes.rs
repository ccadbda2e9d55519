//! HTTP routes of partners, SMEs and users.

use rocket::http::Status;
use rocket::serde::json::Json;

use rocket::{delete, get, patch, post, routes, Route, State};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use super::service::{self, required, NewAccount};
use super::store::{self, NewSme, Placement};
use super::{Partner, Sme, SmeScope, User};
use crate::auth::{password, revoke_sessions, Admin, Role, Staff};
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::ids::{SmeId, UserId};
use crate::items::Items;
use crate::json::JsonBody;
use crate::msg;

#[derive(OpenApi)]
#[openapi(paths(
    list_partners,
    create_partner,
    list_smes,
    create_sme,
    get_sme,
    list_users,
    create_user,
    move_user,
    deactivate_user,
    reactivate_user,
    remove_user
))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        list_partners,
        create_partner,
        list_smes,
        create_sme,
        get_sme,
        list_users,
        create_user,
        move_user,
        deactivate_user,
        reactivate_user,
        remove_user
    ]
}

fn country_ok(c: &str) -> bool {
    c == "ES" || c == "PT"
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartnerBody {
    name: String,
    country: String,
    region: String,
}

#[utoipa::path(tag = "organisations", responses((status = 200, body = Items<Partner>)), security(("bearer" = [])))]
#[get("/partners")]
async fn list_partners(db: &Db, _admin: Admin) -> Result<Json<Items<Partner>>> {
    Ok(Json(Items {
        items: store::list_partners(db).await?,
    }))
}

#[utoipa::path(tag = "organisations", request_body = NewPartnerBody,
    responses((status = 201, body = Partner), (status = 409), (status = 422)), security(("bearer" = [])))]
#[post("/partners", data = "<body>")]
async fn create_partner(
    db: &Db,
    _admin: Admin,
    body: JsonBody<NewPartnerBody>,
) -> Result<(Status, Json<Partner>)> {
    let mut errors = Vec::new();
    required(&mut errors, "name", &body.name, 200);
    required(&mut errors, "region", &body.region, 100);
    if !country_ok(&body.country) {
        errors.push(FieldError::new("country", msg!("org.country")));
    }
    Error::check(errors)?;
    let p = store::insert_partner(db, body.name.trim(), &body.country, body.region.trim()).await?;
    Ok((Status::Created, Json(p)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSmeBody {
    name: String,
    country: String,
    region: String,
    sector: String,
    /// Required for admins; coordinators create SMEs of their own partner.
    partner_id: Option<i64>,
}

/// Most SMEs on one page.
const MAX_SME_PAGE: i64 = 500;

/// SMEs in name order, all of them or a page at a time.
#[derive(serde::Serialize, ToSchema)]
pub struct SmePage {
    pub items: Vec<Sme>,
    /// Pass it back as `cursor` for the next page; `null` on the last page (and without `limit`).
    pub next_cursor: Option<String>,
}

/// The SMEs the caller may see, in name order: every one, or with `limit` (1 to 500) a page at
/// a time (`cursor`: the previous page's `next_cursor`).
#[utoipa::path(tag = "organisations",
    params(
        ("limit" = Option<i64>, Query, description = "page size, 1 to 500 (larger values are 500); without it, every SME"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")
    ),
    responses((status = 200, body = SmePage)), security(("bearer" = [])))]
#[get("/smes?<limit>&<cursor>")]
async fn list_smes(
    db: &Db,
    staff: Staff,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<Json<SmePage>> {
    let after = cursor.map(parse_sme_cursor).transpose()?;
    let limit = limit
        .or(cursor.map(|_| MAX_SME_PAGE))
        .map(|l| l.clamp(1, MAX_SME_PAGE));
    let mut items = store::list_smes_page(
        db,
        SmeScope::of(&staff),
        after.as_ref().map(|(name, id)| (name.as_str(), *id)),
        limit.map(|l| l + 1),
    )
    .await?;
    let next_cursor = match limit {
        Some(l) if items.len() as i64 > l => {
            items.truncate(l as usize);
            items.last().map(sme_cursor)
        }
        _ => None,
    };
    Ok(Json(SmePage { items, next_cursor }))
}

/// `<id>.<base64url of the name>`: where the next page starts.
fn sme_cursor(sme: &Sme) -> String {
    use base64::Engine;
    let name = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sme.name);
    format!("{}.{name}", sme.id)
}

fn parse_sme_cursor(cursor: &str) -> Result<(String, i64)> {
    use base64::Engine;
    cursor
        .split_once('.')
        .and_then(|(id, name)| {
            let id = id.parse().ok()?;
            let name = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(name)
                .ok()?;
            Some((String::from_utf8(name).ok()?, id))
        })
        .ok_or_else(|| Error::invalid("cursor", msg!("list.cursor")))
}

#[utoipa::path(tag = "organisations", responses((status = 200, body = Sme), (status = 404)), security(("bearer" = [])),
    params(("id" = i64, Path, description = "SME id")))]
#[get("/smes/<id>")]
async fn get_sme(db: &Db, staff: Staff, id: SmeId) -> Result<Json<Sme>> {
    Ok(Json(
        store::get_sme(db, SmeScope::of(&staff), id.get()).await?,
    ))
}

#[utoipa::path(tag = "organisations", request_body = NewSmeBody,
    responses((status = 201, body = Sme), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/smes", data = "<body>")]
async fn create_sme(
    db: &Db,
    staff: Staff,
    body: JsonBody<NewSmeBody>,
) -> Result<(Status, Json<Sme>)> {
    let mut errors = Vec::new();
    required(&mut errors, "name", &body.name, 200);
    required(&mut errors, "region", &body.region, 100);
    required(&mut errors, "sector", &body.sector, 100);
    if !country_ok(&body.country) {
        errors.push(FieldError::new("country", msg!("org.country")));
    }
    let partner_id = match (SmeScope::of(&staff), body.partner_id) {
        (SmeScope::Partner(own), None) => Some(own),
        (SmeScope::Partner(own), Some(p)) if p == own => Some(own),
        (SmeScope::Partner(_), Some(_)) => return Err(Error::not_found("partner")),
        (_, p) => p,
    };
    let Some(partner_id) = partner_id else {
        errors.push(FieldError::new("partner_id", msg!("org.partner_required")));
        return Err(Error::check(errors).unwrap_err());
    };
    Error::check(errors)?;
    if !store::partner_exists(db, partner_id).await? {
        return Err(Error::invalid("partner_id", msg!("org.no_such_partner")));
    }
    let sme = store::insert_sme(
        db,
        &NewSme {
            name: body.name.trim(),
            country: &body.country,
            region: body.region.trim(),
            sector: body.sector.trim(),
            partner_id,
        },
    )
    .await?;
    Ok((Status::Created, Json(sme)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    email: String,
    name: String,
    role: String,
    password: String,
    sme_id: Option<i64>,
    partner_id: Option<i64>,
    locale: Option<String>,
    time_zone: Option<String>,
}

impl From<NewUserBody> for NewAccount {
    fn from(b: NewUserBody) -> Self {
        NewAccount {
            email: b.email,
            name: b.name,
            role: b.role,
            password: b.password,
            sme_id: b.sme_id,
            partner_id: b.partner_id,
            locale: b.locale,
            time_zone: b.time_zone,
        }
    }
}

#[utoipa::path(tag = "organisations", responses((status = 200, body = Items<User>)), security(("bearer" = [])))]
#[get("/users")]
async fn list_users(db: &Db, staff: Staff) -> Result<Json<Items<User>>> {
    Ok(Json(Items {
        items: store::list_users(db, SmeScope::of(&staff)).await?,
    }))
}

#[utoipa::path(tag = "organisations", request_body = NewUserBody,
    responses((status = 201, body = User), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[post("/users", data = "<body>")]
async fn create_user(
    db: &Db,
    hasher: &State<password::Hasher>,
    staff: Staff,
    body: JsonBody<NewUserBody>,
) -> Result<(Status, Json<User>)> {
    let body = body.0;
    let scope = SmeScope::of(&staff);
    let role = Role::parse(&body.role);
    if let (SmeScope::Partner(_), Some(r)) = (scope, role) {
        if r != Role::Learner {
            return Err(Error::Forbidden(msg!(
                "account.coordinators_create_learners"
            )));
        }
    }
    let user = service::create_checked(db, hasher, scope, body.into()).await?;
    Ok((Status::Created, Json(user)))
}

/// Disable a user: they cannot sign in and every token they hold is refused at once. Their
/// enrolments, completions and certificates stay. Idempotent.
#[utoipa::path(tag = "organisations",
    responses((status = 200, body = User), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")))]
#[post("/users/<id>/deactivation")]
async fn deactivate_user(db: &Db, staff: Staff, id: UserId) -> Result<Json<User>> {
    service::managed(db, &staff, id.get()).await?;
    let user = store::set_disabled(db, id.get(), true).await?;
    revoke_sessions(db, id.get()).await?;
    Ok(Json(user))
}

/// Enable a disabled user again (they sign in anew; old tokens stay revoked).
#[utoipa::path(tag = "organisations",
    responses((status = 200, body = User), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")))]
#[delete("/users/<id>/deactivation")]
async fn reactivate_user(db: &Db, staff: Staff, id: UserId) -> Result<Json<User>> {
    service::managed(db, &staff, id.get()).await?;
    Ok(Json(store::set_disabled(db, id.get(), false).await?))
}

/// Remove a user for good: they cannot sign in, their tokens are refused at once, and they are
/// no longer listed; their completions, bookings and certificates stay in reports (with their
/// name). The email address stays taken.
#[utoipa::path(tag = "organisations",
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")))]
#[delete("/users/<id>")]
async fn remove_user(db: &Db, staff: Staff, id: UserId) -> Result<Status> {
    service::managed(db, &staff, id.get()).await?;
    store::remove_user(db, id.get()).await?;
    revoke_sessions(db, id.get()).await?;
    Ok(Status::NoContent)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    role: Option<String>,
    /// Required when the user becomes (or stays) a learner without one.
    sme_id: Option<i64>,
    /// For coordinators (required), advisors and admins (optional); learners take their SME's.
    partner_id: Option<i64>,
}

/// Move a user to another role, SME or partner (admin). Their access tokens stop working at
/// once; a refresh (or a new sign-in) gives tokens for the new place.
#[utoipa::path(tag = "organisations", request_body = MoveBody,
    responses((status = 200, body = User), (status = 401), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")))]
#[patch("/users/<id>", data = "<body>")]
async fn move_user(
    db: &Db,
    admin: Admin,
    id: UserId,
    body: JsonBody<MoveBody>,
) -> Result<Json<User>> {
    let body = body.0;
    let current = service::managed(db, &admin, id.get()).await?;
    let role = match &body.role {
        None => current.role,
        Some(r) => Role::parse(r).ok_or_else(|| Error::invalid("role", msg!("account.role")))?,
    };
    let to = match role {
        Role::Learner => {
            let Some(sme_id) = body.sme_id.or(current.sme_id) else {
                return Err(Error::invalid("sme_id", msg!("account.sme_required")));
            };
            if body.partner_id.is_some() {
                return Err(Error::invalid(
                    "partner_id",
                    msg!("account.learner_partner"),
                ));
            }
            let sme = match store::get_sme(db, SmeScope::All, sme_id).await {
                Err(Error::NotFound(_)) => {
                    return Err(Error::invalid("sme_id", msg!("org.no_such_sme")))
                }
                other => other?,
            };
            Placement {
                role,
                sme_id: Some(sme.id),
                partner_id: Some(sme.partner_id),
            }
        }
        _ => {
            if body.sme_id.is_some() {
                return Err(Error::invalid(
                    "sme_id",
                    msg!("account.only_learners_in_sme"),
                ));
            }
            let partner_id = body.partner_id.or(current.partner_id);
            if role == Role::Coordinator && partner_id.is_none() {
                return Err(Error::invalid(
                    "partner_id",
                    msg!("account.coordinator_partner"),
                ));
            }
            if let Some(p) = partner_id {
                if !store::partner_exists(db, p).await? {
                    return Err(Error::invalid("partner_id", msg!("org.no_such_partner")));
                }
            }
            Placement {
                role,
                sme_id: None,
                partner_id,
            }
        }
    };
    Ok(Json(store::move_user(db, id.get(), &to).await?))
}
