//! HTTP routes of quiz attempts.

use std::collections::BTreeMap;

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::attempts;
use super::view::{AttemptResult, AttemptView};
use super::view::{ChoiceView, FeedbackItem, QuestionView};
use crate::auth::{Learner, UserAndBody};
use crate::courses::language::{self, AcceptLanguage};
use crate::db::RequestConn;
use crate::error::Result;
use crate::ids::{AttemptId, Slug};
use crate::mail::Mailer;

#[derive(OpenApi)]
#[openapi(
    paths(start_attempt, get_attempt, save_answers, submit_attempt),
    components(schemas(
        AttemptView,
        AttemptResult,
        QuestionView,
        ChoiceView,
        FeedbackItem,
        AnswersBody,
        SavedAnswers
    ))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![start_attempt, get_attempt, save_answers, submit_attempt]
}

/// Answers by question id: single/multiple `["option id", ...]`, true_false `true|false`,
/// text `"..."`, numeric a number, matching `{"<left id>": "<right id>"}`; `null` clears.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    #[schema(value_type = Object)]
    answers: BTreeMap<String, Value>,
}

#[derive(Serialize, ToSchema)]
pub struct SavedAnswers {
    #[schema(value_type = Object)]
    answers: BTreeMap<String, Value>,
    answers_saved_at: String,
}

/// Start an attempt at the course's quiz: 201 with the drawn questions (never the answers), or
/// 200 with the learner's attempt that is still open. 409 when no attempts are left.
#[utoipa::path(tag = "quizzes",
    params(("slug" = String, Path), ("lang" = Option<String>, Query, description = "en | es | pt | gl")),
    responses((status = 201, body = AttemptView), (status = 200, body = AttemptView, description = "the open attempt"),
        (status = 403, description = "not enrolled"), (status = 404), (status = 409, description = "no attempts left")),
    security(("bearer" = [])))]
#[post("/courses/<slug>/quiz/attempts?<lang>")]
async fn start_attempt(
    conn: RequestConn,
    mailer: &State<Mailer>,
    user: Learner,
    slug: Slug<'_>,
    lang: Option<&str>,
    accept: AcceptLanguage,
) -> Result<(Status, Json<AttemptView>)> {
    let lang = language::for_user(&user, lang, &accept)?;
    let (created, view) = attempts::start(
        &mut *conn.get().await?,
        mailer,
        user.id,
        &slug,
        lang.as_deref(),
    )
    .await?;
    let status = if created { Status::Created } else { Status::Ok };
    Ok((status, Json(view)))
}

/// One of the learner's own attempts: questions, saved answers, and after submission the
/// result (with answers as the quiz's review policy allows). Another learner's is a 404.
#[utoipa::path(tag = "quizzes",
    params(("id" = i64, Path), ("lang" = Option<String>, Query, description = "en | es | pt | gl")),
    responses((status = 200, body = AttemptView), (status = 404)), security(("bearer" = [])))]
#[get("/quiz-attempts/<id>?<lang>")]
async fn get_attempt(
    conn: RequestConn,
    user: Learner,
    id: AttemptId,
    lang: Option<&str>,
    accept: AcceptLanguage,
) -> Result<Json<AttemptView>> {
    let lang = language::for_user(&user, lang, &accept)?;
    Ok(Json(
        attempts::get(&mut *conn.get().await?, id.get(), user.id, lang.as_deref()).await?,
    ))
}

/// Save answers during the attempt (merged with those saved before), so that a reload or a
/// lost connection loses nothing. 409 after submission or once the time limit has passed.
#[utoipa::path(tag = "quizzes", params(("id" = i64, Path)), request_body = AnswersBody,
    responses((status = 200, body = SavedAnswers), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[put("/quiz-attempts/<id>/answers", data = "<input>")]
async fn save_answers(
    conn: RequestConn,
    id: AttemptId,
    input: UserAndBody<Learner, AnswersBody>,
) -> Result<Json<SavedAnswers>> {
    let UserAndBody { user, body } = input;
    let (answers, at) =
        attempts::save(&mut *conn.get().await?, id.get(), user.id, &body.answers).await?;
    Ok(Json(SavedAnswers {
        answers,
        answers_saved_at: crate::clock::rfc3339(at),
    }))
}

/// Submit and grade the attempt (answers merged with those saved). 409 when it was already
/// submitted, or when it is late and the quiz refuses late submissions; a late attempt of a
/// `grade_saved` quiz is graded on what was saved before the deadline.
#[utoipa::path(tag = "quizzes",
    params(("id" = i64, Path), ("lang" = Option<String>, Query, description = "en | es | pt | gl")),
    request_body = AnswersBody,
    responses((status = 200, body = AttemptResult), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[post("/quiz-attempts/<id>/submission?<lang>", data = "<input>")]
async fn submit_attempt(
    conn: RequestConn,
    mailer: &State<Mailer>,
    id: AttemptId,
    lang: Option<&str>,
    accept: AcceptLanguage,
    input: UserAndBody<Learner, AnswersBody>,
) -> Result<Json<AttemptResult>> {
    let UserAndBody { user, body } = input;
    let lang = language::for_user(&user, lang, &accept)?;
    Ok(Json(
        attempts::submit(
            &mut *conn.get().await?,
            mailer,
            id.get(),
            user.id,
            &body.answers,
            lang.as_deref(),
        )
        .await?,
    ))
}
