//! All SQL of enrolments, module completions and course completions.

use sqlx::{AnyConnection, AnyPool};
use tracing::instrument;

use crate::error::{Context, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrolmentRow {
    pub id: i64,
    pub enrolled_at: i64,
    pub quiz_best_score: Option<i64>,
    pub quiz_passed_at: Option<i64>,
}

/// Enrol once: `true` when this call created the enrolment.
#[instrument(skip_all)]
pub async fn enrol(db: &AnyPool, user_id: i64, course_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO enrolments (user_id, course_id, enrolled_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, course_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(now)
    .execute(db)
    .await
    .context("enrolment")?;
    Ok(done.rows_affected() == 1)
}

#[instrument(skip_all)]
pub async fn enrolment(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<EnrolmentRow>> {
    sqlx::query_as(
        "SELECT id, enrolled_at, quiz_best_score, quiz_passed_at FROM enrolments
         WHERE user_id = $1 AND course_id = $2",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_optional(conn)
    .await
    .context("enrolment")
}

/// The first statement of a completion transaction: a write to the enrolment row, so that
/// SQLite takes its write lock before reading and PostgreSQL locks the row. 0 = not enrolled.
#[instrument(skip_all)]
pub async fn lock_enrolment(conn: &mut AnyConnection, user_id: i64, course_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE enrolments SET enrolled_at = enrolled_at WHERE user_id = $1 AND course_id = $2",
    )
    .bind(user_id)
    .bind(course_id)
    .execute(conn)
    .await
    .context("enrolment")?;
    Ok(done.rows_affected())
}

/// Keep the best score; the first pass sets `quiz_passed_at`. Answers the enrolment as it now
/// is (the write also locks it for the rest of the transaction); `None` = not enrolled.
#[instrument(skip_all)]
pub async fn record_quiz(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    score: i64,
    passed: bool,
    now: i64,
) -> Result<Option<EnrolmentRow>> {
    sqlx::query_as(
        "UPDATE enrolments SET
             quiz_best_score = CASE WHEN quiz_best_score IS NULL OR quiz_best_score < $1
                                    THEN $1 ELSE quiz_best_score END,
             quiz_passed_at = CASE WHEN $2 = 1 AND quiz_passed_at IS NULL
                                   THEN $3 ELSE quiz_passed_at END
         WHERE user_id = $4 AND course_id = $5
         RETURNING id, enrolled_at, quiz_best_score, quiz_passed_at",
    )
    .bind(score)
    .bind(i64::from(passed))
    .bind(now)
    .bind(user_id)
    .bind(course_id)
    .fetch_optional(conn)
    .await
    .context("recording the quiz result")
}

/// What the completion rules of a course read, for one learner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFacts {
    pub required_modules_json: Option<String>,
    pub quiz_required: bool,
    pub has_quiz: bool,
    /// Current modules, in order.
    pub current_modules: Vec<String>,
    /// Those of them the learner has read.
    pub completed_modules: Vec<String>,
}

/// The course's rules, its current modules and which of them the learner has read, in one
/// statement (a row per current module; one row with no module for a course without any).
#[instrument(skip_all)]
pub async fn rule_facts(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<RuleFacts>> {
    type Row = (Option<String>, i64, i64, Option<String>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.required_modules_json, c.quiz_required,
                CAST(CASE WHEN c.quiz_json IS NULL THEN 0 ELSE 1 END AS BIGINT),
                m.slug,
                CAST(CASE WHEN mc.module_id IS NULL THEN 0 ELSE 1 END AS BIGINT)
         FROM courses c
         LEFT JOIN course_modules m ON m.course_id = c.id AND m.retired_at IS NULL
         LEFT JOIN module_completions mc ON mc.module_id = m.id AND mc.user_id = $2
         WHERE c.id = $1
         ORDER BY m.position",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
    .context("completion rules")?;
    let Some((required, quiz_required, has_quiz, _, _)) = rows.first().cloned() else {
        return Ok(None);
    };
    let mut facts = RuleFacts {
        required_modules_json: required,
        quiz_required: quiz_required == 1,
        has_quiz: has_quiz == 1,
        ..RuleFacts::default()
    };
    for (_, _, _, module, done) in rows {
        if let Some(slug) = module {
            if done == 1 {
                facts.completed_modules.push(slug.clone());
            }
            facts.current_modules.push(slug);
        }
    }
    Ok(Some(facts))
}

/// Mark a module read (idempotent): `true` the first time.
#[instrument(skip_all)]
pub async fn complete_module(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    module_id: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO module_completions (user_id, course_id, module_id, completed_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, module_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(module_id)
    .bind(now)
    .execute(conn)
    .await
    .context("module completion")?;
    Ok(done.rows_affected() == 1)
}

/// Slugs of the current (not retired) modules a learner has read.
#[instrument(skip_all)]
pub async fn completed_modules(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT m.slug FROM module_completions c JOIN course_modules m ON m.id = c.module_id
         WHERE c.user_id = $1 AND c.course_id = $2 AND m.retired_at IS NULL
         ORDER BY m.position",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_all(conn)
    .await
    .context("module completions")
}

/// Slugs of a course's current modules, in order.
#[instrument(skip_all)]
pub async fn current_modules(conn: &mut AnyConnection, course_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT slug FROM course_modules WHERE course_id = $1 AND retired_at IS NULL
         ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(conn)
    .await
    .context("modules")
}

/// Insert the course completion unless it exists: `Some(id)` only for the call that created it.
#[instrument(skip_all)]
pub async fn insert_completion(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    now: i64,
    score: Option<i64>,
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO course_completions (user_id, course_id, completed_at, score)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, course_id) DO NOTHING
         RETURNING id",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(now)
    .bind(score)
    .fetch_optional(conn)
    .await
    .context("course completion")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompletionRow {
    pub id: i64,
    pub completed_at: i64,
    pub score: Option<i64>,
}

#[instrument(skip_all)]
pub async fn completion(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<CompletionRow>> {
    sqlx::query_as(
        "SELECT id, completed_at, score FROM course_completions
         WHERE user_id = $1 AND course_id = $2",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_optional(conn)
    .await
    .context("course completion")
}

/// Current module ids of a course (the demo marks them read).
#[instrument(skip_all)]
pub async fn demo_module_ids(conn: &mut AnyConnection, course_id: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM course_modules WHERE course_id = $1 AND retired_at IS NULL ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(&mut *conn)
    .await
    .context("course modules")
}
