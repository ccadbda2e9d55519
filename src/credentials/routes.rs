//! HTTP routes of credentials: a certificate's credential (VC-JWT, JSON, baked PNG), the
//! status lists, the issuer's keys (JWK set, DID document), and checking a credential.

use rocket::data::{Data, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Responder, Route, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::did::{self, did_web};
use super::{bake, document, status, store, verify, KeyRing};
use crate::auth::CurrentUser;
use crate::certificates::code::CodeParam;
use crate::certificates::{
    self, attachment, private_no_store, zip, CertRow, Verification, VerifyQuota,
};
use crate::clock::{now, rfc3339};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, FieldError, Result};
use crate::mail::Mailer;
use crate::msg;

#[derive(OpenApi)]
#[openapi(
    paths(
        credential,
        credential_json,
        badge_png,
        badge_image,
        status_list,
        verify_credential
    ),
    components(schemas(CredentialCheck, CredentialBody))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        credential,
        credential_json,
        badge_png,
        badge_image,
        status_list,
        verify_credential
    ]
}

/// The issuer's keys where verifiers look for them, mounted at `/`.
pub fn well_known_routes() -> Vec<Route> {
    routes![jwks, did_document, did_document_at_path]
}

/// Register this process's public keys once the database is migrated.
pub fn stage() -> AdHoc {
    AdHoc::try_on_ignite("Credential keys", |rocket| async move {
        let (Some(ring), Some(db)) = (
            rocket.state::<KeyRing>(),
            <Db as rocket_db_pools::Database>::fetch(&rocket),
        ) else {
            return Ok(rocket);
        };
        match store::register(&db.pool, ring, now()).await {
            Ok(()) => Ok(rocket),
            Err(e) => {
                tracing::error!(error = %e, "cannot publish the credential keys");
                Err(rocket)
            }
        }
    })
}

/// A response with a media type, caching and (for downloads) a file name.
#[derive(Responder)]
#[response(status = 200)]
struct Body<T> {
    body: T,
    content_type: ContentType,
    cache: Header<'static>,
    extra: Header<'static>,
}

fn vc_jwt() -> ContentType {
    ContentType::new("application", "vc+jwt")
}

fn public(seconds: u32) -> Header<'static> {
    Header::new("Cache-Control", format!("public, max-age={seconds}"))
}

fn any_origin() -> Header<'static> {
    Header::new("Access-Control-Allow-Origin", "*")
}

/// What issuing a credential needs, as one request guard.
struct Issuing<'r> {
    db: &'r Db,
    config: &'r Config,
    ring: &'r KeyRing,
    mailer: &'r Mailer,
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Issuing<'r> {
    type Error = Error;

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        let rocket = req.rocket();
        match (
            <Db as rocket_db_pools::Database>::fetch(rocket),
            rocket.state::<Config>(),
            rocket.state::<KeyRing>(),
            rocket.state::<Mailer>(),
        ) {
            (Some(db), Some(config), Some(ring), Some(mailer)) => {
                rocket::request::Outcome::Success(Issuing {
                    db,
                    config,
                    ring,
                    mailer,
                })
            }
            _ => {
                let e = Error::internal("credentials", "state not managed");
                rocket::request::Outcome::Error((rocket::http::Status::InternalServerError, e))
            }
        }
    }
}

/// A certificate the caller may see, with its credential (JSON) and VC-JWT.
struct Issued {
    row: CertRow,
    credential: Value,
    jwt: String,
}

impl Issued {
    /// `<learner>-<course><suffix>`, ASCII only.
    fn file_name(&self, suffix: &str) -> String {
        format!(
            "{}{suffix}",
            zip::stem(&self.row.holder_name, &self.row.course_slug)
        )
    }
}

impl Issuing<'_> {
    /// The credential of certificate `code` if `user` may see it (the PDF's rule), else 404.
    async fn for_user(&self, user: &CurrentUser, code: CodeParam) -> Result<Issued> {
        let row = certificates::visible(self.db, user, code).await?;
        let public_url = self.config.public_url();
        let did = did_web(public_url);
        let extra = store::extra(self.db, row.id).await?;
        let mac = self
            .mailer
            .link_mac(&format!("credential-salt:{}", row.code));
        let salt = &mac[..32];
        let credential = document::credential(public_url, &did, &row, &extra, salt);
        let claims = document::claims(credential.clone(), &did, row.completed_at);
        let jwt = self
            .ring
            .sign(&did, &claims)
            .map_err(|e| Error::internal("signing a credential", e))?;
        Ok(Issued {
            row,
            credential,
            jwt,
        })
    }
}

/// A certificate's Open Badges 3.0 credential as a VC-JWT (the same people as the PDF).
#[utoipa::path(tag = "credentials",
    params(("code" = String, Path, description = "the certificate code, e.g. `IBA-7K2M-Q9XD`")),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = 401), (status = 404)),
    security(("bearer" = [])))]
#[get("/certificates/<code>/credential")]
async fn credential(
    issuing: Issuing<'_>,
    user: CurrentUser,
    code: CodeParam,
) -> Result<Body<String>> {
    let issued = issuing.for_user(&user, code).await?;
    Ok(Body {
        extra: attachment(&issued.file_name(".jwt")),
        body: issued.jwt,
        content_type: vc_jwt(),
        cache: private_no_store(),
    })
}

/// The same credential as readable JSON (unsigned: the VC-JWT or the badge carries the proof).
#[utoipa::path(tag = "credentials",
    params(("code" = String, Path, description = "the certificate code")),
    responses((status = 200, content_type = "application/json", body = Object), (status = 401), (status = 404)),
    security(("bearer" = [])))]
#[get("/certificates/<code>/credential.json")]
async fn credential_json(
    issuing: Issuing<'_>,
    user: CurrentUser,
    code: CodeParam,
) -> Result<Body<String>> {
    let issued = issuing.for_user(&user, code).await?;
    let body = serde_json::to_string_pretty(&issued.credential)
        .map_err(|e| Error::internal("writing a credential", e))?;
    Ok(Body {
        body,
        content_type: ContentType::JSON,
        cache: private_no_store(),
        extra: attachment(&issued.file_name(".json")),
    })
}

/// The badge image with the credential baked in (PNG `iTXt` chunk `openbadgecredential`).
#[utoipa::path(tag = "credentials",
    params(("code" = String, Path, description = "the certificate code")),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 401), (status = 404)),
    security(("bearer" = [])))]
#[get("/certificates/<code>/badge.png")]
async fn badge_png(
    issuing: Issuing<'_>,
    user: CurrentUser,
    code: CodeParam,
) -> Result<Body<Vec<u8>>> {
    let issued = issuing.for_user(&user, code).await?;
    let png = bake::bake(&issued.jwt).map_err(|e| Error::internal("baking a badge", e))?;
    Ok(Body {
        body: png,
        content_type: ContentType::PNG,
        cache: private_no_store(),
        extra: attachment(&issued.file_name("-badge.png")),
    })
}

/// The badge artwork every achievement names as its image (public).
#[utoipa::path(tag = "credentials",
    responses((status = 200, content_type = "image/png", body = Vec<u8>)))]
#[get("/credentials/badge.png")]
fn badge_image() -> Body<&'static [u8]> {
    Body {
        body: bake::BADGE,
        content_type: ContentType::PNG,
        cache: public(86_400),
        extra: any_origin(),
    }
}

/// A revocation status list (`BitstringStatusListCredential`, VC-JWT, public). A certificate's
/// bit is set once it is revoked.
#[utoipa::path(tag = "credentials",
    params(("list" = i64, Path, description = "the list number (certificate id / 131072)")),
    responses((status = 200, content_type = "application/vc+jwt", body = String), (status = 404)))]
#[get("/credentials/status/<list>")]
async fn status_list(
    db: &Db,
    config: &State<Config>,
    ring: &State<KeyRing>,
    list: i64,
) -> Result<Body<String>> {
    let Some(revoked) = store::revoked_in_list(db, list).await? else {
        return Err(Error::NotFound(msg!("not_found.status_list")));
    };
    let public_url = config.public_url();
    let did = did_web(public_url);
    let encoded =
        status::encode(revoked).map_err(|e| Error::internal("encoding a status list", e))?;
    let now = now();
    let unsigned = status::credential(
        public_url,
        document::issuer(public_url, &did),
        list,
        encoded,
        &rfc3339(now),
    );
    let claims = document::claims(unsigned, &did, now);
    let jwt = ring
        .sign(&did, &claims)
        .map_err(|e| Error::internal("signing a status list", e))?;
    Ok(Body {
        body: jwt,
        content_type: vc_jwt(),
        // Verifiers may cache it briefly; a revocation shows within a minute.
        cache: public(60),
        extra: any_origin(),
    })
}

/// A credential to check, as JSON.
#[derive(Debug, serde::Deserialize, ToSchema)]
pub struct CredentialBody {
    /// The compact VC-JWT.
    pub credential: String,
}

/// What checking a credential found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialCheck {
    /// Signed by us, for a certificate we issued, and not revoked.
    pub valid: bool,
    /// The key that signed it (`<did>#<thumbprint>`).
    pub key_id: String,
    /// Our issuer DID.
    pub issuer: String,
    pub certificate: Verification,
}

/// Largest body `POST /verify` reads (a baked badge PNG).
const VERIFY_BODY_LIMIT_KIB: u32 = 2048;

/// Check an Open Badges credential (public, rate-limited with `GET /verify/{code}`): the body
/// is the compact VC-JWT (`application/vc+jwt` or `text/plain`), JSON
/// `{"credential": "<jwt>"}`, or a baked badge (`image/png`). 422 names what is wrong: not a
/// credential, an unknown key, a signature that does not match (a changed byte), another issuer,
/// or a PNG without a credential.
#[utoipa::path(tag = "credentials",
    request_body(
        description = "the VC-JWT as text (also accepted as `application/vc+jwt`), JSON \
            `{\"credential\": \"<jwt>\"}`, or the badge PNG as `image/png`",
        content((String = "text/plain"), (CredentialBody = "application/json"))
    ),
    responses((status = 200, body = CredentialCheck), (status = 404), (status = 413), (status = 422), (status = 429)))]
#[post("/verify", data = "<data>")]
async fn verify_credential(
    db: &Db,
    config: &State<Config>,
    quota: VerifyQuota,
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> Result<certificates::Limited<Json<CredentialCheck>>> {
    if let Err(wait) = quota.0 {
        return Ok(certificates::Limited::rate_limited(wait));
    }
    let bytes = data
        .open(VERIFY_BODY_LIMIT_KIB.kibibytes())
        .into_bytes()
        .await
        .map_err(|e| Error::BadRequest(msg!("request.body_unreadable", reason = e.to_string())))?;
    if !bytes.is_complete() {
        return Err(Error::PayloadTooLarge(msg!("request.too_large")));
    }
    let token = token_of(content_type, &bytes)?;
    let checked = verify::check(db, config.public_url(), &token).await?;
    let row = certificates::by_code(db, checked.code.as_str())
        .await?
        .ok_or_else(|| Error::not_found("certificate"))?;
    if !verify::status_matches(&checked, row.id) {
        return Err(Error::Rejected(FieldError::new(
            "credential",
            msg!("credential.not_ours"),
        )));
    }
    let certificate = Verification::of(row);
    Ok(certificates::Limited::Ok(Json(CredentialCheck {
        valid: certificate.valid,
        key_id: checked.key_id,
        issuer: checked.issuer,
        certificate,
    })))
}

/// The compact JWT in a `POST /verify` body.
fn token_of(content_type: Option<&ContentType>, bytes: &[u8]) -> Result<String> {
    let refuse = |m| Error::Rejected(FieldError::new("credential", m));
    if content_type.is_some_and(|ct| *ct == ContentType::PNG) || bytes.starts_with(b"\x89PNG") {
        return match bake::unbake(bytes) {
            Ok(Some(token)) => Ok(token),
            Ok(None) => Err(refuse(msg!("credential.no_badge_data"))),
            Err(reason) => Err(refuse(msg!("credential.png_unreadable", reason = reason))),
        };
    }
    let text = std::str::from_utf8(bytes).map_err(|_| refuse(msg!("credential.malformed")))?;
    let text = text.trim();
    if text.starts_with('{') || content_type.is_some_and(|ct| ct.is_json()) {
        let value: Value =
            serde_json::from_str(text).map_err(|_| refuse(msg!("credential.malformed")))?;
        // A credential as plain JSON carries no proof: nothing to check it with.
        if value.get("@context").is_some() && value.get("credential").is_none() {
            return Err(refuse(msg!("credential.unsigned")));
        }
        return serde_json::from_value::<CredentialBody>(value)
            .map(|body| body.credential)
            .map_err(|_| refuse(msg!("json.missing_field", name = "credential")));
    }
    if text.is_empty() {
        return Err(refuse(msg!("credential.missing")));
    }
    Ok(text.to_string())
}

/// The issuer's public keys as a JWK set.
#[get("/.well-known/jwks.json")]
async fn jwks(db: &Db, config: &State<Config>) -> Result<Body<Json<Value>>> {
    let keys = store::public_keys(db).await?;
    Ok(Body {
        body: Json(did::jwk_set(&did_web(config.public_url()), &keys)),
        content_type: ContentType::JSON,
        cache: public(300),
        extra: any_origin(),
    })
}

/// The issuer's DID document (`did:web`).
#[get("/.well-known/did.json")]
async fn did_document(db: &Db, config: &State<Config>) -> Result<Body<Json<Value>>> {
    let keys = store::public_keys(db).await?;
    let did = did_web(config.public_url());
    Ok(Body {
        body: Json(did::document(&did, &keys)),
        content_type: ContentType::JSON,
        cache: public(300),
        extra: any_origin(),
    })
}

/// The DID document where `did:web` looks when the public URL has a path
/// (`https://hub.example/academy/did.json`, the proxy removing `/academy`).
#[get("/did.json")]
async fn did_document_at_path(db: &Db, config: &State<Config>) -> Result<Body<Json<Value>>> {
    did_document(db, config).await
}
