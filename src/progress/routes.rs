//! HTTP routes of enrolment and module completion (the progress view is in
//! `crate::learning::progress`).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route, State};
use serde::Serialize;
use sqlx::Connection;
use utoipa::{OpenApi, ToSchema};

use super::store;
use crate::auth::Learner;
use crate::clock::{now, rfc3339};
use crate::courses;
use crate::db::RequestConn;
use crate::error::{Context, Error, Result};
use crate::ids::Slug;
use crate::mail::Mailer;
use crate::msg;

#[derive(OpenApi)]
#[openapi(paths(enrol, complete_module), components(schemas(Enrolment)))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![enrol, complete_module]
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    pub course: String,
    pub enrolled_at: String,
}

#[utoipa::path(tag = "progress", responses((status = 201, body = Enrolment), (status = 200, body = Enrolment), (status = 403), (status = 404)), security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens")))]
#[post("/courses/<slug>/enrolment")]
async fn enrol(
    conn: RequestConn,
    learner: Learner,
    slug: Slug<'_>,
) -> Result<(Status, Json<Enrolment>)> {
    let mut conn = conn.get().await?;
    let course_id = courses::course_id(&mut *conn, &slug).await?;
    let created = store::enrol(&mut conn, learner.id, course_id, now()).await?;
    let row = store::enrolment(&mut conn, learner.id, course_id)
        .await?
        .ok_or_else(|| Error::not_found("enrolment"))?;
    let status = if created { Status::Created } else { Status::Ok };
    Ok((
        status,
        Json(Enrolment {
            course: slug.to_string(),
            enrolled_at: rfc3339(row.enrolled_at),
        }),
    ))
}

#[utoipa::path(tag = "progress", responses((status = 204), (status = 403, description = "not a learner, or not enrolled"), (status = 404)), security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens"), ("module" = String, Path, description = "module slug: lowercase letters, digits and single inner hyphens")))]
#[post("/courses/<slug>/modules/<module>/completion")]
async fn complete_module(
    conn: RequestConn,
    mailer: &State<Mailer>,
    learner: Learner,
    slug: Slug<'_>,
    module: Slug<'_>,
) -> Result<Status> {
    let mut conn = conn.get().await?;
    let course_id = courses::course_id(&mut *conn, &slug).await?;
    let module = courses::module(&mut *conn, course_id, &module).await?;
    if store::enrolment(&mut conn, learner.id, course_id)
        .await?
        .is_none()
    {
        return Err(Error::Forbidden(msg!("progress.enrol_first")));
    }
    // The first reading and its xAPI statement commit together.
    let at = now();
    let turn = crate::db::write_turn(&mut conn).await;
    let mut tx = conn.begin().await.context("module completion")?;
    if store::complete_module(&mut tx, learner.id, course_id, module.id, at).await? {
        crate::xapi::module_completed(
            &mut tx,
            mailer.inner(),
            learner.id,
            (course_id, module.id),
            at,
        )
        .await?;
    }
    tx.commit().await.context("module completion")?;
    drop(turn);
    super::complete_if_eligible(&mut conn, learner.id, course_id, Some(mailer.inner())).await?;
    Ok(Status::NoContent)
}
