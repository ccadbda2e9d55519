//! Import a validated [`Catalog`] into the database, idempotently.
//!
//! A course whose content hash is unchanged is not touched. A changed course is updated in one
//! transaction: its row, then each module (ids kept, so progress survives), then each module
//! language whose own hash changed. Modules removed from the files are retired, not deleted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use sqlx::AnyPool;
use tokio::sync::Mutex;

use super::catalog::{self, Catalog, Problem};
use super::store;
use crate::clock::now;
use crate::error::{Context, Error, Result};

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Courses that were new.
    pub imported: usize,
    /// Courses that existed and changed.
    pub updated: usize,
    /// Courses whose files did not change.
    pub unchanged: usize,
    /// Every problem found; the courses they belong to were skipped.
    pub errors: Vec<Problem>,
    /// Folders skipped because of errors.
    pub skipped: Vec<String>,
}

/// One import at a time per process (concurrent processes are safe too: every write is an
/// upsert guarded by a unique index).
static IMPORTING: Mutex<()> = Mutex::const_new(());

/// Load, validate, render and store every course of `dir`.
pub async fn import_dir(db: &AnyPool, dir: &Path) -> Result<ImportReport> {
    let _guard = IMPORTING.lock().await;
    let dir = dir.to_path_buf();
    let stored: HashMap<String, String> = store::stored_hashes(db).await?.into_iter().collect();
    // Reading and rendering is blocking, CPU-bound work: off the async executor. Folders whose
    // hash is unchanged are not even parsed.
    let catalog = tokio::task::spawn_blocking(move || catalog::load_changed(&dir, &stored))
        .await
        .map_err(|e| Error::internal("loading courses", e))?;
    import_catalog(db, catalog).await
}

/// Store an already loaded catalog.
pub async fn import_catalog(db: &AnyPool, catalog: Catalog) -> Result<ImportReport> {
    let mut report = ImportReport {
        unchanged: catalog.unchanged.len(),
        errors: catalog.problems,
        skipped: catalog.skipped,
        ..ImportReport::default()
    };
    for course in &catalog.courses {
        match store::stored_hash(db, &course.slug).await? {
            Some(hash) if hash == course.content_hash => report.unchanged += 1,
            Some(_) => {
                save_course(db, course).await?;
                report.updated += 1;
            }
            None => {
                save_course(db, course).await?;
                report.imported += 1;
            }
        }
    }
    Ok(report)
}

async fn save_course(db: &AnyPool, course: &catalog::Course) -> Result<()> {
    let t = now();
    let mut tx = db.begin().await.context("starting the import")?;
    let course_id = store::upsert_course(&mut tx, course, t).await?;
    let stored = store::stored_modules(&mut tx, course_id).await?;
    let contents = store::stored_contents(&mut tx, course_id).await?;
    let hashes: HashMap<(i64, &str), &str> = contents
        .iter()
        .map(|c| ((c.module_id, c.language.as_str()), c.content_hash.as_str()))
        .collect();
    let mut current = HashSet::new();
    for module in &course.modules {
        let module_id =
            store::upsert_module(&mut tx, course_id, &module.slug, module.position, t).await?;
        current.insert(module_id);
        for (lang, content) in &module.contents {
            if hashes.get(&(module_id, lang.as_str())) != Some(&content.content_hash.as_str()) {
                store::upsert_content(&mut tx, module_id, lang, content, t).await?;
            }
        }
        for c in contents.iter().filter(|c| c.module_id == module_id) {
            if !module.contents.contains_key(&c.language) {
                store::delete_content(&mut tx, module_id, &c.language).await?;
            }
        }
    }
    for m in stored
        .iter()
        .filter(|m| !current.contains(&m.id) && m.retired_at.is_none())
    {
        tracing::info!(course = %course.slug, module = %m.slug, "module no longer in the files: retired");
        store::retire_module(&mut tx, m.id, t).await?;
    }
    tx.commit().await.context("saving the import")?;
    Ok(())
}
