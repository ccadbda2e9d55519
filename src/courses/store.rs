//! All SQL of courses and their modules.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool};
use tracing::instrument;

use super::{catalog, quiz};
use crate::error::{Context, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseRow {
    pub id: i64,
    pub slug: String,
    pub version: i64,
    pub default_language: String,
    pub topic: crate::domain::Topic,
    pub estimated_minutes: i64,
    pub titles_json: String,
    pub summaries_json: String,
    pub languages_json: String,
    pub required_modules_json: Option<String>,
    pub quiz_required: i64,
    pub pass_mark: i64,
    pub quiz_json: Option<String>,
    pub content_hash: String,
    pub module_count: i64,
}

const COURSE_COLUMNS: &str = "c.id, c.slug, c.version, c.default_language, c.topic, \
    c.estimated_minutes, c.titles_json, c.summaries_json, c.languages_json, \
    c.required_modules_json, c.quiz_required, c.pass_mark, c.quiz_json, c.content_hash, \
    (SELECT COUNT(*) FROM course_modules m WHERE m.course_id = c.id AND m.retired_at IS NULL) \
    AS module_count";

#[instrument(skip_all)]
pub async fn list_courses(db: &AnyPool) -> Result<Vec<CourseRow>> {
    sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c ORDER BY c.slug"
    ))
    .fetch_all(db)
    .await
    .context("listing courses")
}

#[instrument(skip_all)]
pub async fn get_course<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    slug: &str,
) -> Result<CourseRow> {
    sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE c.slug = $1"
    ))
    .bind(slug)
    .fetch_one(db)
    .await
    .or_not_found("course")
}

#[instrument(skip_all)]
pub async fn get_course_by_id(db: &mut AnyConnection, id: i64) -> Result<CourseRow> {
    sqlx::query_as(&format!(
        "SELECT {COURSE_COLUMNS} FROM courses c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_one(db)
    .await
    .or_not_found("course")
}

#[instrument(skip_all)]
pub async fn course_id<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    slug: &str,
) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM courses WHERE slug = $1")
        .bind(slug)
        .fetch_one(conn)
        .await
        .or_not_found("course")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModuleTitleRow {
    pub id: i64,
    pub slug: String,
    pub position: i64,
    pub language: String,
    pub title: String,
}

/// Every current module of a course with its title in every language it has.
#[instrument(skip_all)]
pub async fn module_titles<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    course_id: i64,
) -> Result<Vec<ModuleTitleRow>> {
    sqlx::query_as(
        "SELECT m.id, m.slug, m.position, t.language, t.title
         FROM course_modules m JOIN module_contents t ON t.module_id = m.id
         WHERE m.course_id = $1 AND m.retired_at IS NULL
         ORDER BY m.position, t.language",
    )
    .bind(course_id)
    .fetch_all(db)
    .await
    .context("listing modules")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModuleIdRow {
    pub id: i64,
    pub slug: String,
    pub position: i64,
}

/// The current (not retired) module of a course by slug.
#[instrument(skip_all)]
pub async fn module<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    course_id: i64,
    slug: &str,
) -> Result<ModuleIdRow> {
    sqlx::query_as(
        "SELECT id, slug, position FROM course_modules
         WHERE course_id = $1 AND slug = $2 AND retired_at IS NULL",
    )
    .bind(course_id)
    .bind(slug)
    .fetch_one(conn)
    .await
    .or_not_found("module")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContentRow {
    pub title: String,
    pub html: String,
}

#[instrument(skip_all)]
pub async fn content<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    module_id: i64,
    language: &str,
) -> Result<Option<ContentRow>> {
    sqlx::query_as("SELECT title, html FROM module_contents WHERE module_id = $1 AND language = $2")
        .bind(module_id)
        .bind(language)
        .fetch_optional(db)
        .await
        .context("module content")
}

// ---- import -------------------------------------------------------------------------------

/// A new content generation (the last write of an import transaction): every process's
/// cached pages are rebuilt on their next request.
#[instrument(skip_all)]
pub async fn bump_content_generation(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE content_generation SET generation = generation + 1 WHERE id = 1")
        .execute(conn)
        .await
        .context("saving the content generation")?;
    Ok(())
}

/// `(slug, content hash)` of every stored course.
#[instrument(skip_all)]
pub async fn stored_hashes(db: &AnyPool) -> Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT slug, content_hash FROM courses")
        .fetch_all(db)
        .await
        .context("reading content hashes")
}

/// Fill in `courses.quiz_hash` for rows imported before the column existed (a database
/// upgraded in place): the definitions' hashes, computed here. Returns how many were filled.
#[instrument(skip_all)]
pub async fn fill_quiz_hashes(db: &AnyPool) -> Result<u64> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, quiz_json FROM courses WHERE quiz_json IS NOT NULL AND quiz_hash IS NULL",
    )
    .fetch_all(db)
    .await
    .context("reading quiz definitions without a hash")?;
    let mut filled = 0;
    for (id, json) in rows {
        // Only while still unset: an import meanwhile wrote the hash of what it stored.
        filled +=
            sqlx::query("UPDATE courses SET quiz_hash = $1 WHERE id = $2 AND quiz_hash IS NULL")
                .bind(quiz::definition_hash(&json))
                .bind(id)
                .execute(db)
                .await
                .context("saving a quiz definition's hash")?
                .rows_affected();
    }
    Ok(filled)
}

/// Rows per statement when importing (at most 15 parameters a row: far below the limits of
/// SQLite, 32,766, and PostgreSQL, 65,535).
const ROWS_PER_STATEMENT: usize = 64;

/// `($first, $first+1, ...)` for `width` parameters, with `extra` appended verbatim.
fn row(first: usize, width: usize, extra: &str) -> String {
    let params: Vec<String> = (first..first + width).map(|i| format!("${i}")).collect();
    format!("({}{extra})", params.join(", "))
}

/// Insert or update course rows (the first write of an import transaction), many a statement.
/// Returns slug -> id.
#[instrument(skip_all)]
pub async fn upsert_courses(
    conn: &mut AnyConnection,
    courses: &[&catalog::Course],
    now: i64,
) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(courses.len());
    for chunk in courses.chunks(ROWS_PER_STATEMENT) {
        // $1 now, then 14 parameters per course.
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| row(2 + 14 * i, 14, ", $1, $1"))
            .collect();
        let sql = format!(
            "INSERT INTO courses (slug, version, default_language, topic, estimated_minutes,
                 titles_json, summaries_json, languages_json, required_modules_json,
                 quiz_required, pass_mark, quiz_json, quiz_hash, content_hash, imported_at,
                 updated_at)
             VALUES {}
             ON CONFLICT (slug) DO UPDATE SET
                 version = excluded.version, default_language = excluded.default_language,
                 topic = excluded.topic, estimated_minutes = excluded.estimated_minutes,
                 titles_json = excluded.titles_json, summaries_json = excluded.summaries_json,
                 languages_json = excluded.languages_json,
                 required_modules_json = excluded.required_modules_json,
                 quiz_required = excluded.quiz_required, pass_mark = excluded.pass_mark,
                 quiz_json = excluded.quiz_json, quiz_hash = excluded.quiz_hash,
                 content_hash = excluded.content_hash,
                 updated_at = excluded.updated_at
             RETURNING slug, id",
            rows.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(now);
        for c in chunk {
            query = query
                .bind(c.slug.as_str())
                .bind(c.version)
                .bind(c.default_language.as_str())
                .bind(c.topic.as_str())
                .bind(c.estimated_minutes)
                .bind(json(&c.titles))
                .bind(json(&c.summaries))
                .bind(json(&c.languages))
                .bind(c.required_modules.as_ref().map(json))
                .bind(i64::from(c.quiz_required))
                .bind(c.pass_mark)
                .bind(c.quiz_json.as_deref())
                .bind(c.quiz_json.as_deref().map(quiz::definition_hash))
                .bind(c.content_hash.as_str());
        }
        ids.extend(
            query
                .fetch_all(&mut *conn)
                .await
                .context("saving courses")?,
        );
    }
    Ok(ids)
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredModule {
    pub id: i64,
    pub slug: String,
    pub retired_at: Option<i64>,
}

#[instrument(skip_all)]
pub async fn stored_modules(conn: &mut AnyConnection, course_id: i64) -> Result<Vec<StoredModule>> {
    sqlx::query_as("SELECT id, slug, retired_at FROM course_modules WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(conn)
        .await
        .context("reading modules")
}

/// Insert or update modules `(course id, slug, position)`, many a statement (ids of existing
/// modules are kept, a retired module that is back is current again).
/// Returns (course id, slug) -> id.
#[instrument(skip_all)]
pub async fn upsert_modules(
    conn: &mut AnyConnection,
    modules: &[(i64, &str, i64)],
    now: i64,
) -> Result<HashMap<(i64, String), i64>> {
    let mut ids = HashMap::with_capacity(modules.len());
    for chunk in modules.chunks(ROWS_PER_STATEMENT) {
        // $1 now, then (course, slug, position) per module.
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| row(2 + 3 * i, 3, ", NULL, $1"))
            .collect();
        let sql = format!(
            "INSERT INTO course_modules (course_id, slug, position, retired_at, updated_at)
             VALUES {}
             ON CONFLICT (course_id, slug) DO UPDATE SET
                 position = excluded.position, retired_at = NULL,
                 updated_at = excluded.updated_at
             RETURNING course_id, slug, id",
            rows.join(", ")
        );
        let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql).bind(now);
        for (course_id, slug, position) in chunk {
            query = query.bind(*course_id).bind(*slug).bind(*position);
        }
        let rows = query
            .fetch_all(&mut *conn)
            .await
            .context("saving modules")?;
        ids.extend(rows.into_iter().map(|(c, slug, id)| ((c, slug), id)));
    }
    Ok(ids)
}

/// A module no longer in the files: hidden, but learners' completions of it are kept.
#[instrument(skip_all)]
pub async fn retire_module(conn: &mut AnyConnection, module_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE course_modules SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL")
        .bind(now)
        .bind(module_id)
        .execute(conn)
        .await
        .context("retiring module")?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredContent {
    pub module_id: i64,
    pub language: String,
    pub content_hash: String,
}

#[instrument(skip_all)]
pub async fn stored_contents(
    conn: &mut AnyConnection,
    course_id: i64,
) -> Result<Vec<StoredContent>> {
    sqlx::query_as(
        "SELECT t.module_id, t.language, t.content_hash
         FROM module_contents t JOIN course_modules m ON m.id = t.module_id
         WHERE m.course_id = $1",
    )
    .bind(course_id)
    .fetch_all(conn)
    .await
    .context("reading module contents")
}

/// Insert or update module contents `(module id, language, content)`, many rows a statement.
#[instrument(skip_all)]
pub async fn upsert_contents(
    conn: &mut AnyConnection,
    contents: &[(i64, &str, &catalog::ModuleContent)],
    now: i64,
) -> Result<()> {
    for chunk in contents.chunks(ROWS_PER_STATEMENT) {
        // $1 now, then five parameters per row.
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| row(2 + 5 * i, 5, ", $1"))
            .collect();
        let sql = format!(
            "INSERT INTO module_contents (module_id, language, title, html, content_hash, updated_at)
             VALUES {}
             ON CONFLICT (module_id, language) DO UPDATE SET
                 title = excluded.title, html = excluded.html,
                 content_hash = excluded.content_hash, updated_at = excluded.updated_at",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(now);
        for (module_id, language, content) in chunk {
            query = query
                .bind(*module_id)
                .bind(*language)
                .bind(content.title.as_str())
                .bind(content.html.as_str())
                .bind(content.content_hash.as_str());
        }
        query
            .execute(&mut *conn)
            .await
            .context("saving module contents")?;
    }
    Ok(())
}

#[instrument(skip_all)]
pub async fn delete_content(
    conn: &mut AnyConnection,
    module_id: i64,
    language: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM module_contents WHERE module_id = $1 AND language = $2")
        .bind(module_id)
        .bind(language)
        .execute(conn)
        .await
        .context("removing module content")?;
    Ok(())
}
