//! Import the course folders into the database, idempotently.
//!
//! A course whose folder hash is unchanged is not even parsed. Changed and new courses are
//! written in groups, one transaction each: their rows, their modules (ids kept, so progress
//! survives), then each module language whose own hash changed. Modules removed from the files
//! are retired, not deleted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::Mutex;

use super::catalog::{self, Outcome, Problem};
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
///
/// Folders are read and rendered on every core while the courses already rendered are
/// written, in folder order; a folder whose hash is unchanged is not even parsed. On SQLite
/// the WAL is checkpointed once, in the background, when the import is done.
pub async fn import_dir(db: &AnyPool, dir: &Path) -> Result<ImportReport> {
    let report = import_dir_unchecked(db, dir).await?;
    let pool = db.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::db::checkpoint(&pool).await {
            tracing::warn!(error = %e, "checkpoint after the course import failed");
        }
    });
    Ok(report)
}

/// [`import_dir`] without the WAL checkpoint that follows it (the benchmark times it apart).
pub async fn import_dir_unchecked(db: &AnyPool, dir: &Path) -> Result<ImportReport> {
    let _guard = IMPORTING.lock().await;
    let filled = store::fill_quiz_hashes(db).await?;
    if filled > 0 {
        tracing::info!(courses = filled, "quiz definition hashes filled in");
    }
    let dir = dir.to_path_buf();
    let stored: HashMap<String, String> = store::stored_hashes(db).await?.into_iter().collect();
    let known: HashSet<String> = stored.keys().cloned().collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(String, Outcome)>(8);
    // Reading and rendering is blocking, CPU-bound work: off the async executor.
    let loader = tokio::task::spawn_blocking(move || {
        catalog::for_each_folder(&dir, &stored, |name, outcome| {
            // The receiver only goes away when the import failed: the rest is not needed.
            let _ = tx.blocking_send((name, outcome));
        })
    });
    let mut report = ImportReport::default();
    // One connection for the whole import, and no checkpoint after each of its commits.
    let mut conn = db.acquire().await.context("starting the import")?;
    let paused = crate::db::pause_checkpoints(&mut conn).await?;
    let mut failed = None;
    // Whatever has been rendered while the last group was written is the next group: one
    // transaction, a few statements in all.
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while let Ok(next) = rx.try_recv() {
            group.push(next);
        }
        let mut courses = Vec::new();
        for (name, outcome) in group {
            match outcome {
                Outcome::Unchanged => report.unchanged += 1,
                Outcome::Failed(problems) => {
                    report.errors.extend(problems);
                    report.skipped.push(name);
                }
                Outcome::Loaded(course) => courses.push(course),
            }
        }
        if let Err(e) = save_courses(&mut conn, &courses, &known).await {
            failed = Some(e);
            break;
        }
        for course in &courses {
            if known.contains(&course.slug) {
                report.updated += 1;
            } else {
                report.imported += 1;
            }
        }
    }
    drop(rx);
    let resumed = if paused {
        crate::db::resume_checkpoints(&mut conn).await
    } else {
        Ok(())
    };
    let root = loader
        .await
        .map_err(|e| Error::internal("loading courses", e))?;
    // The first failure is the one to report.
    if let Some(e) = failed {
        return Err(e);
    }
    resumed?;
    if let Err(problem) = root {
        report.errors.push(problem);
    }
    Ok(report)
}

/// One transaction for a group of courses, a few statements in all: their rows, their
/// modules, then their changed contents, and what the files no longer have. `known`: slugs
/// stored before the import began (only those can have modules to compare with or retire).
async fn save_courses(
    conn: &mut AnyConnection,
    courses: &[Box<catalog::Course>],
    known: &HashSet<String>,
) -> Result<()> {
    if courses.is_empty() {
        return Ok(());
    }
    let t = now();
    let mut tx = conn.begin().await.context("starting the import")?;
    let rows: Vec<&catalog::Course> = courses.iter().map(|c| c.as_ref()).collect();
    let course_ids = store::upsert_courses(&mut tx, &rows, t).await?;
    let id_of = |slug: &str| {
        course_ids.get(slug).copied().ok_or_else(|| {
            Error::internal(
                "saving courses",
                format!("no id returned for course {slug}"),
            )
        })
    };
    let mut positions = Vec::new();
    for course in courses {
        let course_id = id_of(&course.slug)?;
        positions.extend(
            course
                .modules
                .iter()
                .map(|m| (course_id, m.slug.as_str(), m.position)),
        );
    }
    let module_ids = store::upsert_modules(&mut tx, &positions, t).await?;
    let mut changed = Vec::new();
    for course in courses {
        let course_id = id_of(&course.slug)?;
        let (stored, contents) = if known.contains(&course.slug) {
            (
                store::stored_modules(&mut tx, course_id).await?,
                store::stored_contents(&mut tx, course_id).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let hashes: HashMap<(i64, &str), &str> = contents
            .iter()
            .map(|c| ((c.module_id, c.language.as_str()), c.content_hash.as_str()))
            .collect();
        let mut current = HashSet::new();
        for module in &course.modules {
            let Some(&module_id) = module_ids.get(&(course_id, module.slug.clone())) else {
                return Err(Error::internal(
                    "saving modules",
                    format!("no id returned for module {}", module.slug),
                ));
            };
            current.insert(module_id);
            for (lang, content) in &module.contents {
                if hashes.get(&(module_id, lang.as_str())) != Some(&content.content_hash.as_str()) {
                    changed.push((module_id, lang.as_str(), content));
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
    }
    store::upsert_contents(&mut tx, &changed, t).await?;
    store::bump_content_generation(&mut tx).await?;
    tx.commit().await.context("saving the import")?;
    Ok(())
}
