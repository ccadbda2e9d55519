//! Shared API shapes and the OpenAPI document assembled from every feature.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every list comes as `{"items": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct Items<T: ToSchema> {
    pub items: Vec<T>,
}

impl<T: ToSchema> Items<T> {
    pub fn new(items: Vec<T>) -> Json<Self> {
        Json(Items { items })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "IberoBio Academy API", description = "Courses, quizzes, advisory bookings and certificates of the IberoBio hub."),
    paths(openapi_json),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth)
)]
struct Root;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole document: every feature's `Doc`, nested under `/api`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let features = [
        crate::auth::Doc::openapi(),
        crate::orgs::Doc::openapi(),
        crate::materials::Doc::openapi(),
        crate::courses::Doc::openapi(),
        crate::progress::Doc::openapi(),
        crate::quizzes::Doc::openapi(),
        crate::bookings::Doc::openapi(),
        crate::certificates::Doc::openapi(),
        crate::reports::Doc::openapi(),
    ];
    let mut api = Root::openapi();
    for doc in features {
        api.merge(doc);
    }
    let mut root = Root::openapi();
    root.paths = utoipa::openapi::Paths::new();
    root.nest("/api", api)
}

pub fn routes() -> Vec<Route> {
    routes![openapi_json]
}

#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document")))]
#[get("/openapi.json")]
fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
