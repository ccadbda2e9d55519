//! HTTP routes of partners, SMEs and users.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use super::store::{self, NewSme, NewUser};
use super::{normalize_email, valid_time_zone, Partner, Sme, SmeScope, User, LOCALES};
use crate::api::Items;
use crate::auth::{password, Admin, Role, Staff};
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::json::JsonBody;

#[derive(OpenApi)]
#[openapi(paths(
    list_partners,
    create_partner,
    list_smes,
    create_sme,
    get_sme,
    list_users,
    create_user
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
        create_user
    ]
}

fn country_ok(c: &str) -> bool {
    c == "ES" || c == "PT"
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    let v = value.trim();
    if v.is_empty() {
        errors.push(FieldError::new(field, "is required"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
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
        errors.push(FieldError::new("country", "must be \"ES\" or \"PT\""));
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

#[utoipa::path(tag = "organisations", responses((status = 200, body = Items<Sme>)), security(("bearer" = [])))]
#[get("/smes")]
async fn list_smes(db: &Db, staff: Staff) -> Result<Json<Items<Sme>>> {
    Ok(Json(Items {
        items: store::list_smes(db, SmeScope::of(&staff)).await?,
    }))
}

#[utoipa::path(tag = "organisations", responses((status = 200, body = Sme), (status = 404)), security(("bearer" = [])))]
#[get("/smes/<id>")]
async fn get_sme(db: &Db, staff: Staff, id: i64) -> Result<Json<Sme>> {
    Ok(Json(store::get_sme(db, SmeScope::of(&staff), id).await?))
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
        errors.push(FieldError::new("country", "must be \"ES\" or \"PT\""));
    }
    let partner_id = match (SmeScope::of(&staff), body.partner_id) {
        (SmeScope::Partner(own), None) => Some(own),
        (SmeScope::Partner(own), Some(p)) if p == own => Some(own),
        (SmeScope::Partner(_), Some(_)) => return Err(Error::not_found("partner")),
        (_, p) => p,
    };
    let Some(partner_id) = partner_id else {
        errors.push(FieldError::new("partner_id", "is required"));
        return Err(Error::check(errors).unwrap_err());
    };
    Error::check(errors)?;
    if !store::partner_exists(db, partner_id).await? {
        return Err(Error::invalid("partner_id", "no such partner"));
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
    staff: Staff,
    body: JsonBody<NewUserBody>,
) -> Result<(Status, Json<User>)> {
    let body = body.0;
    let scope = SmeScope::of(&staff);
    let role = Role::parse(&body.role);
    if let (SmeScope::Partner(_), Some(r)) = (scope, role) {
        if r != Role::Learner {
            return Err(Error::Forbidden(
                "coordinators can create learners only".into(),
            ));
        }
    }
    let user = create_checked(db, scope, body).await?;
    Ok((Status::Created, Json(user)))
}

/// Validate and create a user as `scope` may (shared by the API and `academy user add`).
pub async fn create_checked(db: &Db, scope: SmeScope, body: NewUserBody) -> Result<User> {
    let mut errors = Vec::new();
    let email = normalize_email(&body.email);
    if email.is_none() {
        errors.push(FieldError::new("email", "is not a valid email address"));
    }
    required(&mut errors, "name", &body.name, 200);
    let role = Role::parse(&body.role);
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            "must be one of learner, advisor, coordinator, admin",
        ));
    }
    if let Err(m) = password::check_strength(&body.password) {
        errors.push(FieldError::new("password", m));
    }
    let locale = body.locale.clone().unwrap_or_else(|| "en".into());
    if !LOCALES.contains(&locale.as_str()) {
        errors.push(FieldError::new("locale", "must be one of en, es, pt"));
    }
    let time_zone = body
        .time_zone
        .clone()
        .unwrap_or_else(|| "Europe/Madrid".into());
    if !valid_time_zone(&time_zone) {
        errors.push(FieldError::new(
            "time_zone",
            "must be an IANA time zone such as Europe/Lisbon",
        ));
    }
    let mut partner_id = body.partner_id;
    match role {
        Some(Role::Learner) => match body.sme_id {
            None => errors.push(FieldError::new("sme_id", "is required for learners")),
            Some(sme_id) => match store::get_sme(db, scope, sme_id).await {
                Ok(sme) => partner_id = Some(sme.partner_id),
                Err(Error::NotFound(_)) if scope != SmeScope::All => {
                    return Err(Error::not_found("SME"))
                }
                Err(Error::NotFound(_)) => errors.push(FieldError::new("sme_id", "no such SME")),
                Err(e) => return Err(e),
            },
        },
        Some(Role::Coordinator) => match partner_id {
            None => errors.push(FieldError::new(
                "partner_id",
                "is required for coordinators",
            )),
            Some(p) if !store::partner_exists(db, p).await? => {
                errors.push(FieldError::new("partner_id", "no such partner"))
            }
            _ => {}
        },
        Some(_) => {
            if let Some(p) = partner_id {
                if !store::partner_exists(db, p).await? {
                    errors.push(FieldError::new("partner_id", "no such partner"));
                }
            }
        }
        None => {}
    }
    Error::check(errors)?;
    let (Some(email), Some(role)) = (email, role) else {
        return Err(Error::internal("creating user", "validated fields missing"));
    };
    let hash = password::hash(body.password).await?;
    store::insert_user(
        db,
        &NewUser {
            email: &email,
            name: body.name.trim(),
            role,
            sme_id: if role == Role::Learner {
                body.sme_id
            } else {
                None
            },
            partner_id,
            locale: &locale,
            time_zone: &time_zone,
            password_hash: &hash,
        },
    )
    .await
}

impl NewUserBody {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        email: String,
        name: String,
        role: String,
        password: String,
        sme_id: Option<i64>,
        partner_id: Option<i64>,
        locale: Option<String>,
        time_zone: Option<String>,
    ) -> Self {
        NewUserBody {
            email,
            name,
            role,
            password,
            sme_id,
            partner_id,
            locale,
            time_zone,
        }
    }
}
