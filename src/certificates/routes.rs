//! HTTP routes of certificates: lists, PDF, ZIP per SME, verification (JSON and HTML),
//! revocation.

use rocket::http::{ContentType, Header, Status};
use rocket::response::content::RawHtml;
use rocket::response::stream::ByteStream;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Responder, Route, State};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::code::CodeParam;
use super::page::{self, PageState, PageView};
use super::ratelimit::VerifyQuota;
use super::store::{self, CertRow, Viewer};
use super::{bundle, pdf, pdf_data, zip, Certificate, Lang, HUB_NAME};
use sqlx::AnyPool;

use crate::auth::{Admin, CurrentUser, Role, Staff};
use crate::clock::{now, rfc3339};
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::SmeId;
use crate::items::Items;
use crate::json::JsonBody;
use crate::lang::AcceptLanguage;
use crate::msg;
use crate::orgs::SmeScope;

#[derive(OpenApi)]
#[openapi(
    paths(list_certificates, certificate_pdf, sme_zip, verify, revoke),
    components(schemas(Certificate, Verification, RevocationBody))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![list_certificates, certificate_pdf, sme_zip, verify, revoke]
}

/// The public HTML verify page and its stylesheet, mounted at `/`.
pub fn page_routes() -> Vec<Route> {
    routes![verify_page, verify_css]
}

/// May this caller see this certificate? Learners their own; coordinators their partner's
/// SMEs'; admins all. Anything else is "not found", never "forbidden".
fn may_see(user: &CurrentUser, row: &CertRow) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Learner => row.user_id == user.id,
        Role::Coordinator => user.partner_id == Some(row.current_partner_id),
        Role::Advisor => false,
    }
}

/// The certificate of `code` when the caller may see it (the PDF's and the credential's rule);
/// otherwise, like an unknown or malformed code, a 404.
pub async fn visible(db: &AnyPool, user: &CurrentUser, code: CodeParam) -> Result<CertRow> {
    let Some(code) = code.0 else {
        return Err(Error::not_found("certificate"));
    };
    store::by_code(db, code.as_str())
        .await?
        .filter(|row| may_see(user, row))
        .ok_or_else(|| Error::not_found("certificate"))
}

/// Certificates the caller may see, newest first: a learner's own, a coordinator's partner's
/// SMEs', or all (admins).
#[utoipa::path(tag = "certificates",
    params(
        ("sme_id" = Option<i64>, Query, description = "one SME's certificates"),
        ("course" = Option<String>, Query, description = "one course (slug)")
    ),
    responses((status = 200, body = Items<Certificate>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/certificates?<sme_id>&<course>")]
async fn list_certificates(
    db: &Db,
    config: &State<Config>,
    user: CurrentUser,
    sme_id: Option<i64>,
    course: Option<&str>,
) -> Result<Json<Items<Certificate>>> {
    let viewer = match user.role {
        Role::Learner => Viewer::Holder(user.id),
        Role::Coordinator | Role::Admin => Viewer::Partner(SmeScope::of(&user).partner_filter()),
        Role::Advisor => return Err(Error::Forbidden(msg!("certificate.not_for_advisors"))),
    };
    let rows = store::list(db, viewer, sme_id, course).await?;
    Ok(Json(Items {
        items: rows
            .into_iter()
            .map(|r| Certificate::from_row(r, config.public_url()))
            .collect(),
    }))
}

#[derive(Responder)]
#[response(status = 200)]
struct Download {
    body: Vec<u8>,
    content_type: ContentType,
    disposition: Header<'static>,
    cache: Header<'static>,
}

fn download(body: Vec<u8>, content_type: ContentType, file_name: &str) -> Download {
    Download {
        body,
        content_type,
        disposition: attachment(file_name),
        cache: private_no_store(),
    }
}

/// `Content-Disposition: attachment` of a certificate's file. The name is ASCII-only by
/// construction (`zip::stem`, `zip::safe_part`), so it needs no encoding.
pub fn attachment(file_name: &str) -> Header<'static> {
    Header::new(
        "Content-Disposition",
        format!("attachment; filename=\"{file_name}\""),
    )
}

/// What a holder's file is to caches: theirs alone, not to be kept.
pub fn private_no_store() -> Header<'static> {
    Header::new("Cache-Control", "private, no-store")
}

/// One certificate as a PDF (A4 landscape, in the learner's language).
#[utoipa::path(tag = "certificates",
    params(("code" = String, Path, description = "the certificate code, e.g. `IBA-7K2M-Q9XD`")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401), (status = 404)),
    security(("bearer" = [])))]
#[get("/certificates/<code>/pdf")]
async fn certificate_pdf(
    db: &Db,
    config: &State<Config>,
    user: CurrentUser,
    code: CodeParam,
) -> Result<Download> {
    let row = visible(db, &user, code).await?;
    let name = format!("{}.pdf", zip::stem(&row.holder_name, &row.course_slug));
    let bytes = pdf::render_blocking(pdf_data(&row, config.public_url())).await?;
    Ok(download(bytes, ContentType::PDF, &name))
}

type Chunks = std::pin::Pin<Box<dyn futures::Stream<Item = Vec<u8>> + Send>>;

/// A ZIP streamed as it is built (no length known in advance).
struct ZipDownload {
    body: ByteStream<Chunks>,
    disposition: Header<'static>,
    cache: Header<'static>,
}

impl<'r> rocket::response::Responder<'r, 'r> for ZipDownload {
    fn respond_to(self, req: &'r rocket::Request<'_>) -> rocket::response::Result<'r> {
        rocket::Response::build_from(self.body.respond_to(req)?)
            .header(ContentType::ZIP)
            .header(self.disposition)
            .header(self.cache)
            .ok()
    }
}

/// Every valid (not revoked) certificate of one SME as a ZIP of PDFs named
/// `<learner>-<course>.pdf`; 404 when the SME has none (no empty archive). The PDFs are
/// rendered on every core and the archive is streamed as it is built.
#[utoipa::path(tag = "certificates",
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403),
        (status = 404, description = "no such SME in the caller's scope, or it has no valid certificate")),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "SME id")))]
#[get("/smes/<id>/certificates.zip")]
async fn sme_zip(db: &Db, config: &State<Config>, staff: Staff, id: SmeId) -> Result<ZipDownload> {
    let sme = crate::orgs::get_sme(db, SmeScope::of(&staff), id.get()).await?;
    let rows = store::valid_for_sme(db, sme.id).await?;
    if rows.is_empty() {
        // Not an empty archive that looks like a success.
        return Err(Error::NotFound(msg!(
            "certificate.none_for_sme",
            sme = sme.name.as_str()
        )));
    }
    let chunks = bundle::stream(rows, config.public_url().to_string());
    let stream = futures::stream::unfold(chunks, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let name = format!("{}-certificates.zip", zip::safe_part(&sme.name));
    Ok(ZipDownload {
        body: ByteStream(Box::pin(stream)),
        disposition: attachment(&name),
        cache: private_no_store(),
    })
}

/// What anyone may learn about a certificate from its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// Issued and not revoked.
    pub valid: bool,
    pub code: String,
    pub holder_name: String,
    pub course_title: String,
    /// RFC 3339, UTC.
    pub completed_at: String,
    /// The issuing partner.
    pub issuer: String,
    pub hub: String,
    pub revoked: bool,
    pub revoked_at: Option<String>,
}

impl Verification {
    pub fn of(row: CertRow) -> Verification {
        Verification {
            valid: row.revoked_at.is_none(),
            code: row.code,
            holder_name: row.holder_name,
            course_title: row.course_title,
            completed_at: rfc3339(row.completed_at),
            issuer: row.partner_name,
            hub: HUB_NAME.into(),
            revoked: row.revoked_at.is_some(),
            revoked_at: row.revoked_at.map(rfc3339),
        }
    }
}

/// An answer of a rate-limited public route: the answer, or 429 with `Retry-After`.
#[derive(Responder)]
pub enum Limited<T> {
    Ok(T),
    Limited(Error, Header<'static>),
}

impl<T> Limited<T> {
    pub fn rate_limited(wait: std::time::Duration) -> Limited<T> {
        Limited::Limited(
            Error::TooManyRequests(msg!("certificate.verify_rate_limited")),
            retry_after(wait),
        )
    }
}

fn retry_after(wait: std::time::Duration) -> Header<'static> {
    Header::new("Retry-After", (wait.as_secs() + 1).to_string())
}

/// Check a certificate code (public, rate-limited per client address). Unknown and malformed
/// codes are both a 404.
#[utoipa::path(tag = "certificates",
    params(("code" = String, Path, description = "the certificate code, e.g. `IBA-7K2M-Q9XD`")),
    responses((status = 200, body = Verification), (status = 404), (status = 429)))]
#[get("/verify/<code>")]
async fn verify(
    db: &Db,
    quota: VerifyQuota,
    code: CodeParam,
) -> Result<Limited<Json<Verification>>> {
    if let Err(wait) = quota.0 {
        return Ok(Limited::rate_limited(wait));
    }
    let Some(code) = code.0 else {
        return Err(Error::not_found("certificate"));
    };
    let row = store::by_code(db, code.as_str())
        .await?
        .ok_or_else(|| Error::not_found("certificate"))?;
    Ok(Limited::Ok(Json(Verification::of(row))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevocationBody {
    /// Why (kept with the certificate, shown to staff).
    reason: String,
}

/// Revoke a certificate (admins). 409 when it is already revoked.
#[utoipa::path(tag = "certificates", request_body = RevocationBody,
    params(("code" = String, Path, description = "the certificate code, e.g. `IBA-7K2M-Q9XD`")),
    responses((status = 200, body = Certificate), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[post("/certificates/<code>/revocation", data = "<body>")]
async fn revoke(
    db: &Db,
    config: &State<Config>,
    admin: Admin,
    code: CodeParam,
    body: JsonBody<RevocationBody>,
) -> Result<Json<Certificate>> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "reason",
            msg!("certificate.reason_required"),
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(Error::invalid("reason", msg!("text.too_long", max = 1000)));
    }
    let Some(code) = code.0 else {
        return Err(Error::not_found("certificate"));
    };
    let row = store::by_code(db, code.as_str())
        .await?
        .ok_or_else(|| Error::not_found("certificate"))?;
    if !store::revoke(db, row.id, admin.id, reason, now()).await? {
        return Err(Error::Conflict(msg!("certificate.already_revoked")));
    }
    tracing::info!(code = %row.code, by = admin.id, "certificate revoked");
    let row = store::by_code(db, &row.code)
        .await?
        .ok_or_else(|| Error::not_found("certificate"))?;
    Ok(Json(Certificate::from_row(row, config.public_url())))
}

#[derive(Responder)]
enum Page {
    Shown((Status, RawHtml<String>), Header<'static>),
    Limited((Status, RawHtml<String>), Header<'static>, Header<'static>),
}

/// The public verify page (HTML, in `?lang=` or the browser's language).
#[get("/verify/<code>?<lang>")]
async fn verify_page(
    db: &Db,
    quota: VerifyQuota,
    accept: AcceptLanguage,
    code: &str,
    lang: Option<&str>,
) -> Result<Page> {
    let lang = lang
        .and_then(Lang::parse)
        .or(accept.0.first().copied())
        .unwrap_or(Lang::En);
    let cache = Header::new("Cache-Control", "no-store");
    if let Err(wait) = quota.0 {
        return Ok(Page::Limited(
            (
                Status::TooManyRequests,
                RawHtml(page::render(
                    lang,
                    HUB_NAME,
                    code,
                    PageState::TooManyRequests,
                )),
            ),
            cache,
            retry_after(wait),
        ));
    }
    let row = match super::Code::parse(code) {
        Some(c) => store::by_code(db, c.as_str()).await?,
        None => None,
    };
    let (status, html) = match row {
        Some(row) => {
            let view = PageView {
                completed_on: pdf_data(&row, "").completed_on,
                code: row.code,
                holder_name: row.holder_name,
                course_title: row.course_title,
                issuer: row.partner_name,
                revoked: row.revoked_at.is_some(),
            };
            (
                Status::Ok,
                page::render(lang, HUB_NAME, &view.code, PageState::Found(&view)),
            )
        }
        None => (
            Status::NotFound,
            page::render(lang, HUB_NAME, code, PageState::Unknown),
        ),
    };
    Ok(Page::Shown((status, RawHtml(html)), cache))
}

#[get("/verify/verify.css")]
fn verify_css() -> (ContentType, &'static str) {
    (ContentType::CSS, page::STYLESHEET)
}
