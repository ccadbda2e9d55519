//! Courses from files: catalog (load + validate `courses/`), rendering (Markdown -> safe
//! HTML), import into the database, and the catalog routes.

pub mod cache;
pub mod catalog;
pub mod check;
pub mod import;
pub mod language;
#[cfg(test)]
mod mutate;
pub mod quiz;
pub mod render;
mod routes;
mod store;

use std::collections::BTreeMap;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

pub use cache::ContentCache;
pub use import::{import_dir, import_dir_unchecked, ImportReport};
pub use routes::{outline, routes, CourseOutline, Doc};
pub use store::{get_course, get_course_by_id, module, CourseRow};

use crate::config::Config;
use crate::db::Db;
use crate::error::Result;

/// A course's id by slug (404 "course not found" when unknown), on the pool or on a connection.
pub async fn course_id<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    slug: &str,
) -> Result<i64> {
    store::course_id(conn, slug).await
}

/// What other features need to name a course.
#[derive(Debug, Clone)]
pub struct CourseInfo {
    pub id: i64,
    pub slug: String,
    pub default_language: String,
    pub titles: BTreeMap<String, String>,
    pub pass_mark: i64,
}

impl CourseInfo {
    /// The title in `lang`, or in the course's default language.
    pub fn title(&self, lang: &str) -> &str {
        self.titles
            .get(lang)
            .or_else(|| self.titles.get(&self.default_language))
            .map(String::as_str)
            .unwrap_or(&self.slug)
    }
}

/// A course by id (404 when unknown).
pub async fn course_info(db: &AnyPool, course_id: i64) -> Result<CourseInfo> {
    let mut conn = db
        .acquire()
        .await
        .map_err(|e| crate::error::Error::internal("course", e))?;
    Ok(store::get_course_by_id(&mut conn, course_id).await?.into())
}

impl From<CourseRow> for CourseInfo {
    fn from(row: CourseRow) -> Self {
        CourseInfo {
            id: row.id,
            titles: serde_json::from_str(&row.titles_json).unwrap_or_default(),
            slug: row.slug,
            default_language: row.default_language,
            pass_mark: row.pass_mark,
        }
    }
}

/// Every course's title in `lang` (falling back to its default language), by slug.
pub async fn titles(db: &AnyPool, lang: &str) -> Result<std::collections::HashMap<String, String>> {
    Ok(store::list_courses(db)
        .await?
        .into_iter()
        .map(|row| {
            let info = CourseInfo::from(row);
            let title = info.title(lang).to_string();
            (info.slug, title)
        })
        .collect())
}

/// A course's title in a language (falling back to its default language).
pub async fn course_title(db: &AnyPool, course_id: i64, lang: &str) -> Result<String> {
    Ok(course_info(db, course_id).await?.title(lang).to_string())
}

/// Imports `courses_dir` at ignition when `import_on_start` is set. Problems never stop the
/// server: the courses with errors are skipped and logged, the others are served.
pub fn import_on_start() -> AdHoc {
    AdHoc::on_ignite("Course import", |rocket| async move {
        let Some(config) = rocket.state::<Config>() else {
            return rocket;
        };
        if !config.import_on_start {
            return rocket;
        }
        let Some(db) = Db::fetch(&rocket) else {
            return rocket;
        };
        let started = std::time::Instant::now();
        match import_dir(&db.pool, &config.courses_dir).await {
            Ok(report) => {
                for problem in &report.errors {
                    tracing::warn!(%problem, "course problem");
                }
                for folder in &report.skipped {
                    tracing::warn!(course = %folder, "course skipped because of errors");
                }
                tracing::info!(
                    imported = report.imported,
                    updated = report.updated,
                    unchanged = report.unchanged,
                    skipped = report.skipped.len(),
                    ms = started.elapsed().as_millis() as u64,
                    dir = %config.courses_dir.display(),
                    "courses imported"
                );
            }
            Err(e) => tracing::error!(error = %e, "course import failed"),
        }
        rocket
    })
}
