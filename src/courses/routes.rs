//! HTTP routes of the course catalog and the admin import.

use std::collections::BTreeMap;

use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::cache::{CachedJson, Pages};
use super::catalog::Problem;
use super::language::{self, AcceptLanguage};
use super::store::{self, CourseRow};
use super::ImportReport;
use crate::auth::{Admin, CurrentUser};
use crate::config::Config;
use crate::db::{Db, RequestConn};
use crate::domain::Topic;
use crate::error::{Error, Result};
use crate::ids::Slug;
use crate::items::Items;

#[derive(OpenApi)]
#[openapi(
    paths(list_courses, get_module, import_courses),
    components(schemas(
        CourseSummary,
        CourseOutline,
        ModuleEntry,
        QuizSummary,
        CompletionRules,
        ModuleView,
        ModuleLink,
        ImportReport,
        Problem
    ))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![list_courses, get_module, import_courses]
}

/// A course in the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub topic: Topic,
    /// Languages the modules are written in, the default first.
    pub languages: Vec<String>,
    pub default_language: String,
    /// The language of `title` and `summary`.
    pub language: String,
    pub module_count: i64,
    pub estimated_minutes: i64,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleEntry {
    pub slug: String,
    pub title: String,
    pub position: i64,
    /// Languages this module is written in.
    pub languages: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuizSummary {
    /// Questions per attempt.
    pub question_count: i64,
    pub pass_mark: i64,
    pub max_attempts: i64,
    pub time_limit_minutes: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionRules {
    /// Module slugs that must be read (every module when the course says "all").
    pub modules: Vec<String>,
    /// The quiz must be passed.
    pub quiz: bool,
    pub pass_mark: i64,
}

/// A course as its detail page shows it: the summary, the modules in the reader's language,
/// the quiz and the completion rules (`crate::learning` adds the materials).
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseOutline {
    #[serde(flatten)]
    pub course: CourseSummary,
    pub modules: Vec<ModuleEntry>,
    pub quiz: Option<QuizSummary>,
    pub completion: CompletionRules,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleLink {
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleView {
    pub course: String,
    pub slug: String,
    pub title: String,
    /// The language of `title` and `html`.
    pub language: String,
    /// True when the requested language was missing and another is served: its fallback
    /// (Spanish for Galician) when the module has it, else the default language.
    pub fallback: bool,
    pub languages: Vec<String>,
    pub position: i64,
    /// Sanitised HTML, rendered at import.
    pub html: String,
    pub previous: Option<ModuleLink>,
    pub next: Option<ModuleLink>,
}

fn json_or_default<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

fn summary(row: &CourseRow, requested: Option<&str>) -> CourseSummary {
    let titles: BTreeMap<String, String> = json_or_default(&row.titles_json);
    let summaries: BTreeMap<String, String> = json_or_default(&row.summaries_json);
    let available: Vec<&str> = titles.keys().map(String::as_str).collect();
    let (language, _) = language::choose(requested, &available, &row.default_language);
    let pick = |m: &BTreeMap<String, String>| {
        m.get(&language)
            .or_else(|| m.get(&row.default_language))
            .cloned()
            .unwrap_or_default()
    };
    CourseSummary {
        slug: row.slug.clone(),
        title: pick(&titles),
        summary: pick(&summaries),
        topic: row.topic,
        languages: json_or_default(&row.languages_json),
        default_language: row.default_language.clone(),
        language,
        module_count: row.module_count,
        estimated_minutes: row.estimated_minutes,
        version: row.version,
    }
}

#[utoipa::path(tag = "courses", responses((status = 200, body = Items<CourseSummary>)), security(("bearer" = [])))]
#[get("/courses?<lang>")]
async fn list_courses(
    db: &Db,
    pages: Pages<'_>,
    user: CurrentUser,
    lang: Option<&str>,
    accept: AcceptLanguage,
) -> Result<CachedJson> {
    let requested = language::for_user(&user, lang, &accept)?;
    let version = user.content_generation;
    let key = format!("catalogue:{}", requested.as_deref().unwrap_or("-"));
    if let Some(cached) = pages.cached(&key, version) {
        return Ok(cached);
    }
    let rows = store::list_courses(db).await?;
    let page = Items {
        items: rows
            .iter()
            .map(|r| summary(r, requested.as_deref()))
            .collect::<Vec<_>>(),
    };
    let body =
        serde_json::to_vec(&page).map_err(|e| Error::internal("writing the catalogue", e))?;
    Ok(pages.keep(key, version, body))
}

/// Modules of a course with their titles in the served language (or the default).
async fn module_entries<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    course: &CourseRow,
    requested: Option<&str>,
) -> Result<Vec<(i64, ModuleEntry)>> {
    let rows = store::module_titles(db, course.id).await?;
    let mut out: Vec<(i64, ModuleEntry)> = Vec::new();
    let mut titles: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
    for r in &rows {
        titles
            .entry(r.id)
            .or_default()
            .insert(r.language.clone(), r.title.clone());
        if out.last().map(|(id, _)| *id) != Some(r.id) {
            out.push((
                r.id,
                ModuleEntry {
                    slug: r.slug.clone(),
                    title: String::new(),
                    position: r.position,
                    languages: Vec::new(),
                },
            ));
        }
    }
    for (id, entry) in &mut out {
        let t = &titles[id];
        let available: Vec<&str> = t.keys().map(String::as_str).collect();
        let (lang, _) = language::choose(requested, &available, &course.default_language);
        entry.title = t
            .get(&lang)
            .or_else(|| t.values().next())
            .cloned()
            .unwrap_or_default();
        let mut langs: Vec<String> = vec![course.default_language.clone()];
        langs.extend(t.keys().filter(|l| **l != course.default_language).cloned());
        langs.retain(|l| t.contains_key(l));
        entry.languages = langs;
    }
    Ok(out)
}

fn quiz_summary(row: &CourseRow) -> Option<QuizSummary> {
    let def: crate::courses::quiz::QuizDef = match serde_json::from_str(row.quiz_json.as_deref()?) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(course = %row.slug, error = %e, "stored quiz cannot be read: re-import the courses");
            return None;
        }
    };
    Some(QuizSummary {
        question_count: def.question_count() as i64,
        pass_mark: row.pass_mark,
        max_attempts: i64::from(def.max_attempts),
        time_limit_minutes: def.time_limit_minutes.map(i64::from),
    })
}

/// The outline of course `slug` for `user` (language from `lang`, their locale, then
/// `Accept-Language`), with the course's id.
///
/// On the request's connection (`db::RequestConn`), which the token check ran on before.
pub async fn outline(
    conn: &mut sqlx::AnyConnection,
    user: &CurrentUser,
    slug: &str,
    lang: Option<&str>,
    accept: &AcceptLanguage,
) -> Result<(i64, CourseOutline)> {
    let requested = language::for_user(user, lang, accept)?;
    let row = store::get_course(&mut *conn, slug).await?;
    let modules: Vec<ModuleEntry> = module_entries(&mut *conn, &row, requested.as_deref())
        .await?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let required: Option<Vec<String>> = row
        .required_modules_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let completion = CompletionRules {
        modules: required.unwrap_or_else(|| modules.iter().map(|m| m.slug.clone()).collect()),
        quiz: row.quiz_required == 1,
        pass_mark: row.pass_mark,
    };
    Ok((
        row.id,
        CourseOutline {
            quiz: quiz_summary(&row),
            course: summary(&row, requested.as_deref()),
            modules,
            completion,
        },
    ))
}

#[utoipa::path(tag = "courses", responses((status = 200, body = ModuleView), (status = 404), (status = 422)), security(("bearer" = [])),
    params(("slug" = String, Path, description = "course slug: lowercase letters, digits and single inner hyphens"), ("module" = String, Path, description = "module slug: lowercase letters, digits and single inner hyphens")))]
#[get("/courses/<slug>/modules/<module>?<lang>")]
async fn get_module(
    conn: RequestConn,
    pages: Pages<'_>,
    user: CurrentUser,
    slug: Slug<'_>,
    module: Slug<'_>,
    lang: Option<&str>,
    accept: AcceptLanguage,
) -> Result<CachedJson> {
    let requested = language::for_user(&user, lang, &accept)?;
    // Read with the token, before the content: a cached page needs no statement of its own.
    let version = user.content_generation;
    let key = format!(
        "module:{}:{}:{}",
        &*slug,
        &*module,
        requested.as_deref().unwrap_or("-")
    );
    if let Some(cached) = pages.cached(&key, version) {
        return Ok(cached);
    }
    let mut held = conn.get().await?;
    let conn: &mut sqlx::AnyConnection = &mut held;
    let course = store::get_course(&mut *conn, &slug).await?;
    let entries = module_entries(&mut *conn, &course, requested.as_deref()).await?;
    let Some(index) = entries.iter().position(|(_, m)| m.slug == *module) else {
        return Err(Error::not_found("module"));
    };
    let (module_id, entry) = &entries[index];
    let available: Vec<&str> = entry.languages.iter().map(String::as_str).collect();
    let (language, fallback) =
        language::choose(requested.as_deref(), &available, &course.default_language);
    let content = store::content(&mut *conn, *module_id, &language)
        .await?
        .ok_or_else(|| Error::not_found("module"))?;
    let link = |i: usize| {
        entries.get(i).map(|(_, m)| ModuleLink {
            slug: m.slug.clone(),
            title: m.title.clone(),
        })
    };
    let view = ModuleView {
        course: course.slug.clone(),
        slug: entry.slug.clone(),
        title: content.title,
        language,
        fallback,
        languages: entry.languages.clone(),
        position: entry.position,
        html: content.html,
        previous: index.checked_sub(1).and_then(link),
        next: link(index + 1),
    };
    let body = serde_json::to_vec(&view).map_err(|e| Error::internal("writing a module", e))?;
    Ok(pages.keep(key, version, body))
}

#[utoipa::path(tag = "courses", responses((status = 200, body = ImportReport), (status = 403)), security(("bearer" = [])))]
#[post("/admin/courses/import")]
async fn import_courses(
    db: &Db,
    _admin: Admin,
    config: &State<Config>,
) -> Result<Json<ImportReport>> {
    Ok(Json(super::import_dir(db, &config.courses_dir).await?))
}
