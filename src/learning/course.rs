//! The course detail (`GET /api/courses/{slug}`): the course's outline and its materials.

use rocket::get;
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::courses::language::AcceptLanguage;
use crate::courses::{self, CourseOutline};
use crate::db::RequestConn;
use crate::error::Result;
use crate::ids::Slug;
use crate::materials::{self, Material};

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDetail {
    #[serde(flatten)]
    pub outline: CourseOutline,
    /// Course materials (uploaded files), downloaded through `GET /api/materials/{id}`.
    pub materials: Vec<Material>,
}

#[utoipa::path(tag = "courses", operation_id = "get_course", responses((status = 200, body = CourseDetail), (status = 404)), security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens")))]
#[get("/courses/<slug>?<lang>")]
pub async fn get_course(
    conn: RequestConn,
    user: CurrentUser,
    slug: Slug<'_>,
    lang: Option<&str>,
    accept: AcceptLanguage,
) -> Result<Json<CourseDetail>> {
    let mut held = conn.get().await?;
    let conn: &mut sqlx::AnyConnection = &mut held;
    let (course_id, outline) = courses::outline(&mut *conn, &user, &slug, lang, &accept).await?;
    Ok(Json(CourseDetail {
        outline,
        materials: materials::list_for_course(&mut *conn, course_id).await?,
    }))
}
