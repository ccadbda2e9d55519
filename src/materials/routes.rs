//! HTTP routes of course materials.

use std::pin::Pin;
use std::task::{Context, Poll};

use rocket::data::Capped;
use rocket::form::{Errors, Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, Route, State};
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use utoipa::{OpenApi, ToSchema};

use super::range::{self, Wanted};
use super::store::{self, Material};
use super::{disposition, lookups, upload, UploadRequest};
use crate::auth::{CurrentUser, Role, Staff};
use crate::db::Db;
use crate::error::{Error, Problem, Result};
use crate::ids::{MaterialId, Slug};
use crate::items::Items;
use crate::msg;
use crate::storage::{ByteRange, Presentation, Reader, Storage};

#[derive(OpenApi)]
#[openapi(
    paths(upload_material, list_materials, download_material, delete_material),
    components(schemas(Material, UploadForm))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        upload_material,
        list_materials,
        download_material,
        delete_material
    ]
}

/// The multipart form of an upload.
#[derive(FromForm)]
pub struct Upload<'r> {
    file: Capped<TempFile<'r>>,
    title: Option<String>,
}

/// The multipart form, as documented.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: PDF, PPTX, DOCX, XLSX, ODP, ODT, ODS, PNG, JPEG, MP4, CSV or plain text,
    /// judged by its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Shown to learners; defaults to the file name.
    title: Option<String>,
}

fn too_large(limit: u64) -> Error {
    Error::PayloadTooLarge(msg!("material.too_large", limit = limit / (1024 * 1024)))
}

#[utoipa::path(tag = "materials",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Material), (status = 404), (status = 413), (status = 415),
        (status = 422), (status = 503, description = "storage unavailable")),
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens")))]
#[post("/courses/<slug>/materials", data = "<form>")]
async fn upload_material(
    db: &Db,
    staff: Staff,
    storage: &State<Storage>,
    slug: Slug<'_>,
    form: std::result::Result<Form<Upload<'_>>, Errors<'_>>,
) -> Result<(Status, Json<Material>)> {
    let limit = storage.upload_limit_bytes;
    let form = form.map_err(|errors| {
        // `Errors::status()` is the highest code (422 beats 413): look for the limit itself.
        if errors.iter().any(|e| e.status() == Status::PayloadTooLarge) {
            too_large(limit)
        } else {
            Error::invalid("file", msg!("material.multipart"))
        }
    })?;
    let course_id = lookups::course_id(&db.pool, &slug).await?;
    let Upload { file, title } = form.into_inner();
    if !file.is_complete() {
        return Err(too_large(limit));
    }
    let Some(path) = file.path() else {
        return Err(Error::UnsupportedMediaType(msg!("material.multipart")));
    };
    let raw_name = file
        .raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
        .unwrap_or_default();
    let material = upload(
        &db.pool,
        &storage.shared(),
        UploadRequest {
            course_id,
            uploaded_by: staff.id,
            partner_id: match staff.role {
                Role::Admin => None,
                _ => staff.partner_id,
            },
            title: title.as_deref(),
            raw_filename: &raw_name,
            path,
            size: file.len(),
        },
    )
    .await?;
    Ok((Status::Created, Json(material)))
}

#[utoipa::path(tag = "materials", responses((status = 200, body = Items<Material>), (status = 404)),
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens")))]
#[get("/courses/<slug>/materials")]
async fn list_materials(
    db: &Db,
    _user: CurrentUser,
    slug: Slug<'_>,
) -> Result<Json<Items<Material>>> {
    let course_id = lookups::course_id(&db.pool, &slug).await?;
    Ok(Items::new(store::list_ready(&db.pool, course_id).await?))
}

/// The `Range` header, if any.
pub struct RangeHeader(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RangeHeader {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(RangeHeader(
            req.headers().get_one("Range").map(String::from),
        ))
    }
}

#[utoipa::path(tag = "materials",
    responses((status = 200, description = "the bytes (folder store)"),
        (status = 206, description = "a range of the bytes (folder store)"),
        (status = 302, description = "to a short-lived presigned URL (S3)"),
        (status = 200, description = "with `Accept: application/json` and S3: `{url, expires_in}`, the presigned URL for a browser to navigate to"),
        (status = 404), (status = 416), (status = 503, description = "storage unavailable")),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "material id")))]
#[get("/materials/<id>")]
async fn download_material(
    db: &Db,
    user: CurrentUser,
    storage: &State<Storage>,
    range: RangeHeader,
    wants: WantsJson,
    id: MaterialId,
) -> Result<Download> {
    let material = store::get_ready(&db.pool, id.get()).await?;
    // Learners see the materials of the courses they are enrolled in; a denied material is
    // a 404 like a missing one.
    if user.role == Role::Learner
        && !lookups::is_enrolled(&db.pool, user.id, material.course_id).await?
    {
        return Err(Error::not_found("material"));
    }
    let disposition = disposition::content_disposition(&material.filename);
    let how = Presentation {
        content_type: &material.content_type,
        content_disposition: &disposition,
        expires_seconds: storage.presign_seconds,
    };
    if let Some(url) = storage
        .store()
        .presign_get(&material.object_key, &how)
        .await?
    {
        // Signing needs no round trip: ask the store first, so that a store that is down is
        // a 503 here rather than a dead link in the browser.
        return match storage.store().head(&material.object_key).await? {
            Some(_) if wants.0 => Ok(Download::Link(url, storage.presign_seconds)),
            Some(_) => Ok(Download::Redirect(url)),
            None => Err(Error::internal(
                "material object missing",
                format!("material {id}: object {} is gone", material.object_key),
            )),
        };
    }
    let size = u64::try_from(material.size).unwrap_or(0);
    let wanted = range::parse(range.0.as_deref(), size);
    let part = match wanted {
        Wanted::Unsatisfiable => return Ok(Download::Unsatisfiable(size)),
        Wanted::Whole => None,
        Wanted::Part(r) => Some(r),
    };
    let (total, reader) = match storage.store().open(&material.object_key, part).await {
        Ok(found) => found,
        Err(crate::storage::StorageError::NotFound) => {
            return Err(Error::internal(
                "material object missing",
                format!("material {id}: object {} is gone", material.object_key),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Download::File {
        content_type: material.content_type,
        disposition,
        total,
        part,
        reader,
    })
}

/// An admin deletes any material; a coordinator only those uploaded by a coordinator of
/// their own partner (another partner's material is a 404, like a missing one).
#[utoipa::path(tag = "materials",
    responses((status = 204), (status = 401), (status = 403, description = "not a coordinator or admin"),
        (status = 404, description = "no such material, or not uploaded by your partner"),
        (status = 503, description = "storage unavailable")),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "material id")))]
#[delete("/materials/<id>")]
async fn delete_material(
    db: &Db,
    staff: Staff,
    storage: &State<Storage>,
    id: MaterialId,
) -> Result<Status> {
    let who = match staff.role {
        Role::Admin => super::Deleter::Admin,
        _ => super::Deleter::Coordinator {
            partner_id: staff.partner_id,
        },
    };
    super::remove(&db.pool, storage.store(), id.get(), who).await?;
    Ok(Status::NoContent)
}

/// Does the client prefer JSON? Browsers' `fetch` cannot follow a cross-origin redirect under
/// the site's CSP, so the web UI asks for the presigned URL as JSON and navigates to it.
pub struct WantsJson(bool);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for WantsJson {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, ()> {
        let json = req.accept().is_some_and(|a| a.preferred().is_json());
        rocket::request::Outcome::Success(WantsJson(json))
    }
}

/// A download: a redirect to S3 (or its URL as JSON), or the bytes from the folder store.
pub enum Download {
    Redirect(String),
    Link(String, u32),
    File {
        content_type: String,
        disposition: String,
        total: u64,
        part: Option<ByteRange>,
        reader: Reader,
    },
    Unsatisfiable(u64),
}

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Download::Link(url, expires_in) => {
                let body = serde_json::json!({ "url": url, "expires_in": expires_in }).to_string();
                Response::build()
                    .header(ContentType::JSON)
                    .raw_header("Cache-Control", "no-store")
                    .sized_body(body.len(), std::io::Cursor::new(body))
                    .ok()
            }
            Download::Redirect(url) => Response::build()
                .status(Status::Found)
                .raw_header("Location", url)
                .raw_header("Cache-Control", "no-store")
                .ok(),
            Download::Unsatisfiable(size) => {
                let problem = Problem::new(
                    Status::RangeNotSatisfiable,
                    format!("the requested range is outside the file ({size} bytes)"),
                    Vec::new(),
                );
                let body = serde_json::to_vec(&problem).map_err(|_| Status::InternalServerError)?;
                let _ = req;
                Response::build()
                    .status(Status::RangeNotSatisfiable)
                    .header(ContentType::new("application", "problem+json"))
                    .raw_header("Content-Range", format!("bytes */{size}"))
                    .sized_body(body.len(), std::io::Cursor::new(body))
                    .ok()
            }
            Download::File {
                content_type,
                disposition,
                total,
                part,
                reader,
            } => {
                let mut res = Response::build();
                res.raw_header("Content-Type", content_type)
                    .raw_header("Content-Disposition", disposition)
                    .raw_header("Accept-Ranges", "bytes")
                    .raw_header("Cache-Control", "private, no-cache");
                let len = match part {
                    Some(r) => {
                        res.status(Status::PartialContent).header(Header::new(
                            "Content-Range",
                            format!("bytes {}-{}/{total}", r.start, r.start + r.len - 1),
                        ));
                        r.len
                    }
                    None => total,
                };
                let len = usize::try_from(len).map_err(|_| Status::InternalServerError)?;
                res.sized_body(len, Unseekable(reader)).ok()
            }
        }
    }
}

/// A body whose size is given up front, so Rocket never needs to seek it.
struct Unseekable(Reader);

impl AsyncRead for Unseekable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncSeek for Unseekable {
    fn start_seek(self: Pin<&mut Self>, _: std::io::SeekFrom) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "the body is streamed with a preset size",
        ))
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "the body is streamed with a preset size",
        )))
    }
}
