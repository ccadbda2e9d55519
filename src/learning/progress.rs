//! The learner's progress in a course (`GET /api/courses/{slug}/progress`): a view composed
//! from the learner's record (`crate::progress`), their quiz attempts (`crate::quizzes`) and
//! the certificate of the completion (`crate::certificates`).

use rocket::get;
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Learner;
use crate::clock::rfc3339;
use crate::db::RequestConn;
use crate::error::{Error, Result};
use crate::ids::Slug;
use crate::{certificates, courses, progress, quizzes};

#[derive(Debug, Serialize, ToSchema)]
pub struct QuizProgress {
    pub attempts_used: i64,
    pub best_score: Option<i64>,
    pub passed: bool,
    /// The attempt still open, started on this or any other device (resume it with
    /// `GET /api/quiz-attempts/{id}`: its saved answers come with it).
    pub open_attempt_id: Option<i64>,
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

#[utoipa::path(tag = "progress", operation_id = "progress", responses((status = 200, body = Progress), (status = 403), (status = 404, description = "unknown course, or not enrolled")), security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens")))]
#[get("/courses/<slug>/progress")]
pub async fn course_progress(
    conn: RequestConn,
    learner: Learner,
    slug: Slug<'_>,
) -> Result<Json<Progress>> {
    // Every read on the token check's connection (asking the pool for a second while holding
    // one can deadlock it under load).
    let mut held = conn.get().await?;
    let conn: &mut sqlx::AnyConnection = &mut held;
    let course = courses::get_course(&mut *conn, &slug).await?;
    let record = progress::record(conn, learner.id, &course)
        .await?
        .ok_or_else(|| Error::not_found("enrolment"))?;
    let quiz = match course.quiz_json {
        Some(_) => {
            let attempts = quizzes::summary(conn, learner.id, course.id).await?;
            Some(QuizProgress {
                attempts_used: attempts.attempts_used,
                best_score: record.enrolment.quiz_best_score,
                passed: record.enrolment.quiz_passed_at.is_some(),
                open_attempt_id: attempts.open_attempt_id,
            })
        }
        None => None,
    };
    let certificate_code = match &record.completion {
        Some(c) => certificates::code_for_completion(conn, c.id).await?,
        None => None,
    };
    Ok(Json(Progress {
        course: course.slug,
        enrolled_at: rfc3339(record.enrolment.enrolled_at),
        modules_completed: record.completed_modules.len() as i64,
        modules_total: record.current_modules.len() as i64,
        completed_modules: record.completed_modules,
        modules_missing: record.rules.modules_missing,
        quiz,
        completed_at: record.completion.as_ref().map(|c| rfc3339(c.completed_at)),
        score: record.completion.as_ref().and_then(|c| c.score),
        certificate_code,
    }))
}
