//! HTTP routes of enrolment and progress.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::store;
use crate::auth::Learner;
use crate::clock::{now, rfc3339};
use crate::courses;
use crate::db::Db;
use crate::error::{Context, Error, Result};

#[derive(OpenApi)]
#[openapi(
    paths(enrol, complete_module, progress),
    components(schemas(Enrolment, Progress, QuizProgress))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![enrol, complete_module, progress]
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    pub course: String,
    pub enrolled_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuizProgress {
    pub attempts_used: i64,
    pub best_score: Option<i64>,
    pub passed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub course: String,
    pub enrolled_at: String,
    /// Current modules read.
    pub modules_completed: i64,
    /// Current modules of the course.
    pub modules_total: i64,
    /// Slugs of the modules read, in course order.
    pub completed_modules: Vec<String>,
    /// Slugs of the modules the completion rules still need.
    pub modules_missing: Vec<String>,
    /// Null when the course has no quiz.
    pub quiz: Option<QuizProgress>,
    pub completed_at: Option<String>,
    pub score: Option<i64>,
    /// Null until a certificate is issued for the completion.
    pub certificate_code: Option<String>,
}

#[utoipa::path(tag = "progress", responses((status = 201, body = Enrolment), (status = 200, body = Enrolment), (status = 403), (status = 404)), security(("bearer" = [])))]
#[post("/courses/<slug>/enrolment")]
async fn enrol(db: &Db, learner: Learner, slug: &str) -> Result<(Status, Json<Enrolment>)> {
    let course_id = courses::course_id(db, slug).await?;
    let created = store::enrol(db, learner.id, course_id, now()).await?;
    let mut conn = db.acquire().await.context("enrolment")?;
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

#[utoipa::path(tag = "progress", responses((status = 204), (status = 403, description = "not a learner, or not enrolled"), (status = 404)), security(("bearer" = [])))]
#[post("/courses/<slug>/modules/<module>/completion")]
async fn complete_module(db: &Db, learner: Learner, slug: &str, module: &str) -> Result<Status> {
    let course_id = courses::course_id(db, slug).await?;
    let module = courses::store::module(db, course_id, module).await?;
    let mut conn = db.acquire().await.context("module completion")?;
    if store::enrolment(&mut conn, learner.id, course_id)
        .await?
        .is_none()
    {
        return Err(Error::Forbidden(
            "enrol in the course before completing its modules".into(),
        ));
    }
    store::complete_module(&mut conn, learner.id, course_id, module.id, now()).await?;
    super::complete_if_eligible(&mut conn, learner.id, course_id).await?;
    Ok(Status::NoContent)
}

#[utoipa::path(tag = "progress", responses((status = 200, body = Progress), (status = 403), (status = 404, description = "unknown course, or not enrolled")), security(("bearer" = [])))]
#[get("/courses/<slug>/progress")]
async fn progress(db: &Db, learner: Learner, slug: &str) -> Result<Json<Progress>> {
    let course = courses::store::get_course(db, slug).await?;
    let mut conn = db.acquire().await.context("progress")?;
    let enrolment = store::enrolment(&mut conn, learner.id, course.id)
        .await?
        .ok_or_else(|| Error::not_found("enrolment"))?;
    let current = store::current_modules(&mut conn, course.id).await?;
    let completed = store::completed_modules(&mut conn, learner.id, course.id).await?;
    let required: Option<Vec<String>> = course
        .required_modules_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let rules = super::check_rules(
        &current,
        required.as_deref(),
        &completed,
        course.quiz_required == 1,
        enrolment.quiz_passed_at.is_some(),
    );
    let completion = store::completion(&mut conn, learner.id, course.id).await?;
    let quiz = match course.quiz_json {
        Some(_) => Some(QuizProgress {
            attempts_used: super::attempts_used(&mut conn, learner.id, course.id).await?,
            best_score: enrolment.quiz_best_score,
            passed: enrolment.quiz_passed_at.is_some(),
        }),
        None => None,
    };
    let certificate_code = match &completion {
        Some(c) => super::certificate_code(&mut conn, c.id).await?,
        None => None,
    };
    Ok(Json(Progress {
        course: course.slug,
        enrolled_at: rfc3339(enrolment.enrolled_at),
        modules_completed: completed.len() as i64,
        modules_total: current.len() as i64,
        completed_modules: completed,
        modules_missing: rules.modules_missing,
        quiz,
        completed_at: completion.as_ref().map(|c| rfc3339(c.completed_at)),
        score: completion.as_ref().and_then(|c| c.score),
        certificate_code,
    }))
}
