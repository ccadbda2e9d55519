//! What a learner sees of a course, composed from several features: the course detail (the
//! outline from `crate::courses` with the materials from `crate::materials`) and the learner's
//! progress (`crate::progress`, `crate::quizzes`, `crate::certificates`). Composing here, above
//! them, keeps those features free of each other.

mod course;
mod progress;

use rocket::{routes, Route};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(course::get_course, progress::course_progress),
    components(schemas(course::CourseDetail, progress::Progress, progress::QuizProgress))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![course::get_course, progress::course_progress]
}
