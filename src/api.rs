//! The OpenAPI document assembled from every feature, and the public operations routes
//! (`/api/openapi.json`, `/api/languages`).

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use serde::Serialize;

use crate::items::Items;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "IberoBio Academy API", description = "Courses, quizzes, advisory bookings and certificates of the IberoBio hub."),
    paths(openapi_json, languages, topics),
    components(schemas(crate::error::Problem, crate::error::FieldProblem, LanguageInfo, crate::lang::Lang)),
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
        crate::accounts::Doc::openapi(),
        crate::orgs::Doc::openapi(),
        crate::materials::Doc::openapi(),
        crate::courses::Doc::openapi(),
        crate::progress::Doc::openapi(),
        crate::learning::Doc::openapi(),
        crate::quizzes::Doc::openapi(),
        crate::bookings::Doc::openapi(),
        crate::certificates::Doc::openapi(),
        crate::credentials::Doc::openapi(),
        crate::reports::Doc::openapi(),
        crate::mail::Doc::openapi(),
    ];
    let mut api = Root::openapi();
    for doc in features {
        api.merge(doc);
    }
    let mut root = Root::openapi();
    root.paths = utoipa::openapi::Paths::new();
    let mut doc = root.nest("/api", api);
    document_common_failures(&mut doc);
    doc
}

/// Answers that many operations can give for the same reason, said once here rather than in
/// each route's annotation: 401 (no or bad token) and 403 (wrong role) where a token is needed;
/// 400 (not JSON) and 413 (too large) where there is a request body; 422 (a parameter or a
/// body field is invalid) where there is either.
fn document_common_failures(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let responses = &mut op.responses.responses;
            if has_body {
                responses.entry("400".into()).or_insert_with(|| {
                    problem("the body is not well-formed (JSON or multipart), or is empty")
                });
                responses
                    .entry("413".into())
                    .or_insert_with(|| problem("the request body is too large"));
            }
            if has_body || has_params {
                responses.entry("422".into()).or_insert_with(|| {
                    problem("a parameter or body field is invalid; `errors` names each one")
                });
            }
            if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                continue;
            }
            responses
                .entry("401".into())
                .or_insert_with(|| problem("missing, invalid or expired access token"));
            responses
                .entry("403".into())
                .or_insert_with(|| problem("the caller's role may not use this operation"));
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![openapi_json, languages, topics]
}

/// A language of the academy (the one list, [`crate::lang::Lang::ALL`]).
#[derive(Serialize, ToSchema)]
pub struct LanguageInfo {
    pub code: crate::lang::Lang,
    /// The language's own name, for language menus.
    pub name: &'static str,
    /// BCP 47 tag for dates and numbers (`gl-ES`).
    pub tag: &'static str,
    /// The language served when content lacks this one (before the content's default).
    pub fallback: Option<crate::lang::Lang>,
}

/// The supported languages, in menu order; public (the sign-in page offers them).
#[utoipa::path(tag = "operations", responses((status = 200, body = Items<LanguageInfo>)))]
#[get("/languages")]
fn languages() -> Json<Items<LanguageInfo>> {
    Items::new(
        crate::lang::Lang::ALL
            .into_iter()
            .map(|l| LanguageInfo {
                code: l,
                name: l.name(),
                tag: l.tag(),
                fallback: l.fallback(),
            })
            .collect(),
    )
}

/// A topic of courses and advisory sessions (the one list, [`crate::domain::Topic::ALL`]).
#[derive(Serialize, ToSchema)]
pub struct TopicInfo {
    pub code: crate::domain::Topic,
    /// The English name; the web UI shows its own translation of `code`.
    pub name: &'static str,
}

/// The topics, in menu order; public.
#[utoipa::path(tag = "operations", responses((status = 200, body = Items<TopicInfo>)))]
#[get("/topics")]
fn topics() -> Json<Items<TopicInfo>> {
    Items::new(
        crate::domain::Topic::ALL
            .iter()
            .map(|&t| TopicInfo {
                code: t,
                name: t.label(),
            })
            .collect(),
    )
}

#[utoipa::path(tag = "operations", responses((status = 200, description = "OpenAPI 3.1 document")))]
#[get("/openapi.json")]
fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
