//! All SQL of enrolments, module completions and course completions.

use sqlx::AnyConnection;
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
pub async fn enrol(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO enrolments (user_id, course_id, enrolled_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, course_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(course_id)
    .bind(now)
    .execute(conn)
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

/// An enrolment row locked by a write, with what the completion rules read about it: what
/// the first statement of a completion transaction answers.
#[derive(Debug, Clone)]
pub struct Locked {
    pub enrolment: EnrolmentRow,
    pub rules: RuleFacts,
}

/// What the completion rules of a course read, for one learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFacts {
    pub required_modules_json: Option<String>,
    pub quiz_required: bool,
    pub has_quiz: bool,
    /// Current modules, in order.
    pub current_modules: Vec<String>,
    /// Those of them the learner has read.
    pub completed_modules: Vec<String>,
}

/// The columns the completion rules read, for the learner and the course named by two SQL
/// expressions: the course's rules, its current modules and those the learner has read, as
/// subqueries (module slugs hold no comma: `ids::Slug`). Parsed by [`RuleColumns`].
macro_rules! rule_columns {
    ($user:literal, $course:literal) => {
        concat!(
            "(SELECT c.required_modules_json FROM courses c WHERE c.id = ",
            $course,
            ") AS required_modules_json,
        (SELECT c.quiz_required FROM courses c WHERE c.id = ",
            $course,
            ") AS quiz_required,
        (SELECT CAST(CASE WHEN c.quiz_json IS NULL THEN 0 ELSE 1 END AS BIGINT)
         FROM courses c WHERE c.id = ",
            $course,
            ") AS has_quiz,
        (SELECT string_agg(m.slug, ',' ORDER BY m.position) FROM course_modules m
         WHERE m.course_id = ",
            $course,
            " AND m.retired_at IS NULL) AS current_modules,
        (SELECT string_agg(m.slug, ',' ORDER BY m.position) FROM course_modules m
         JOIN module_completions mc ON mc.module_id = m.id AND mc.user_id = ",
            $user,
            "
         WHERE m.course_id = ",
            $course,
            " AND m.retired_at IS NULL) AS completed_modules"
        )
    };
}
pub(crate) use rule_columns;

/// The enrolment and its rule facts, as returned by a write to the enrolment row of user `$1`
/// in course `$2` ([`rule_columns`] in its `RETURNING` clause). The subqueries run after the
/// write; on PostgreSQL they read the statement's snapshot, which can miss a commit made while
/// the write waited for the row (`progress::due_after_quiz_write`).
macro_rules! returning_locked {
    () => {
        concat!(
            "
    RETURNING id, enrolled_at, quiz_best_score, quiz_passed_at, ",
            crate::progress::rule_columns!("$1", "$2")
        )
    };
}
pub(crate) use returning_locked;

/// The write that records a graded quiz in the enrolment of user `$1` in course `$2`: keep the
/// best score (`$3`); the first pass (`$4` = 1) sets `quiz_passed_at` to `$5`.
macro_rules! record_quiz_update {
    () => {
        "UPDATE enrolments SET
             quiz_best_score = CASE WHEN quiz_best_score IS NULL OR quiz_best_score < $3
                                    THEN $3 ELSE quiz_best_score END,
             quiz_passed_at = CASE WHEN $4 = 1 AND quiz_passed_at IS NULL
                                   THEN $5 ELSE quiz_passed_at END
         WHERE user_id = $1 AND course_id = $2"
    };
}
pub(crate) use record_quiz_update;

/// The columns of [`rule_columns`], as read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleColumns {
    required_modules_json: Option<String>,
    quiz_required: Option<i64>,
    has_quiz: Option<i64>,
    current_modules: Option<String>,
    completed_modules: Option<String>,
}

impl RuleColumns {
    pub fn into_facts(self) -> Result<RuleFacts> {
        let list = |joined: Option<String>| -> Vec<String> {
            joined
                .map(|j| j.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        };
        // The foreign key keeps the course; its absence is a broken database.
        let quiz_required = self
            .quiz_required
            .ok_or_else(|| crate::error::Error::internal("completion rules", "no course"))?;
        Ok(RuleFacts {
            required_modules_json: self.required_modules_json,
            quiz_required: quiz_required == 1,
            has_quiz: self.has_quiz == Some(1),
            current_modules: list(self.current_modules),
            completed_modules: list(self.completed_modules),
        })
    }
}

/// A row of [`returning_locked`].
#[derive(sqlx::FromRow)]
pub struct LockedRow {
    id: i64,
    enrolled_at: i64,
    quiz_best_score: Option<i64>,
    quiz_passed_at: Option<i64>,
    #[sqlx(flatten)]
    rules: RuleColumns,
}

impl LockedRow {
    fn into_locked(self) -> Result<Locked> {
        Ok(Locked {
            enrolment: EnrolmentRow {
                id: self.id,
                enrolled_at: self.enrolled_at,
                quiz_best_score: self.quiz_best_score,
                quiz_passed_at: self.quiz_passed_at,
            },
            rules: self.rules.into_facts()?,
        })
    }
}

/// The completion rules' facts for a learner in a course, read now.
#[instrument(skip_all)]
pub async fn rule_facts(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<RuleFacts> {
    let row: RuleColumns = sqlx::query_as(concat!("SELECT ", rule_columns!("$1", "$2")))
        .bind(user_id)
        .bind(course_id)
        .fetch_one(conn)
        .await
        .context("completion rules")?;
    row.into_facts()
}

/// Run a statement that answers [`returning_locked`].
pub async fn locked<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Any, LockedRow, sqlx::any::AnyArguments<'q>>,
    conn: &mut AnyConnection,
    what: &'static str,
) -> Result<Option<Locked>> {
    let row: Option<LockedRow> = query.fetch_optional(conn).await.context(what)?;
    row.map(LockedRow::into_locked).transpose()
}

/// The first statement of a completion transaction: a write to the enrolment row, so that
/// SQLite takes its write lock before reading and PostgreSQL locks the row; it answers the
/// enrolment and its rule facts. `None` = not enrolled.
#[instrument(skip_all)]
pub async fn lock_enrolment(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<Locked>> {
    let query = sqlx::query_as(concat!(
        "UPDATE enrolments SET enrolled_at = enrolled_at WHERE user_id = $1 AND course_id = $2",
        returning_locked!()
    ))
    .bind(user_id)
    .bind(course_id);
    locked(query, conn, "enrolment").await
}

/// Keep the best score; the first pass sets `quiz_passed_at`. Answers the enrolment as it now
/// is and its rule facts (the write also locks it for the rest of the transaction); `None` =
/// not enrolled.
#[instrument(skip_all)]
pub async fn record_quiz(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    score: i64,
    passed: bool,
    now: i64,
) -> Result<Option<Locked>> {
    let query = sqlx::query_as(concat!(record_quiz_update!(), returning_locked!()))
        .bind(user_id)
        .bind(course_id)
        .bind(score)
        .bind(i64::from(passed))
        .bind(now);
    locked(query, conn, "recording the quiz result").await
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
