//! All SQL of quizzes: definitions by version, attempts, submissions.

use sqlx::AnyConnection;
use tracing::instrument;

use crate::domain::AttemptStatus;
use crate::error::{Context, Result};
use crate::progress::{Locked, RuleColumns, RuleFacts};

/// The id of this exact definition of the course's quiz, stored on first use.
#[instrument(skip_all)]
pub async fn version_id(
    conn: &mut AnyConnection,
    course_id: i64,
    hash: &str,
    def_json: &str,
) -> Result<i64> {
    let existing: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM quiz_versions WHERE course_id = $1 AND hash = $2")
            .bind(course_id)
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await
            .context("quiz version")?;
    if let Some((id,)) = existing {
        return Ok(id);
    }
    let turn = crate::db::write_turn(conn).await;
    sqlx::query(
        "INSERT INTO quiz_versions (course_id, hash, def_json, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (course_id, hash) DO NOTHING",
    )
    .bind(course_id)
    .bind(hash)
    .bind(def_json)
    .bind(crate::clock::now())
    .execute(&mut *conn)
    .await
    .context("storing quiz version")?;
    drop(turn);
    let (id,): (i64,) =
        sqlx::query_as("SELECT id FROM quiz_versions WHERE course_id = $1 AND hash = $2")
            .bind(course_id)
            .bind(hash)
            .fetch_one(&mut *conn)
            .await
            .context("quiz version")?;
    Ok(id)
}

/// What starting an attempt needs to know, in one read: the course, whether it has a quiz,
/// the stored version of its current definition (`None` until its first attempt), whether the
/// learner is enrolled, and their open attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StartFacts {
    pub course_id: i64,
    pub course_slug: String,
    pub pass_mark: i64,
    pub has_quiz: i64,
    pub version_id: Option<i64>,
    pub quiz_hash: Option<String>,
    pub enrolled: i64,
    pub open_attempt: Option<i64>,
}

/// The current version is found by the definition's hash (`courses.quiz_hash`, written by the
/// import): one lookup in the unique index of `quiz_versions`. A course whose hash is not
/// filled in yet reads as having no stored version, and the start stores or finds it by hash.
#[instrument(skip_all)]
pub async fn start_facts(conn: &mut AnyConnection, slug: &str, user_id: i64) -> Result<StartFacts> {
    sqlx::query_as(
        "SELECT c.id AS course_id, c.slug AS course_slug, c.pass_mark,
                CAST(CASE WHEN c.quiz_json IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_quiz,
                v.id AS version_id, v.hash AS quiz_hash,
                CAST(CASE WHEN EXISTS (SELECT 1 FROM enrolments e
                                        WHERE e.user_id = $2 AND e.course_id = c.id)
                     THEN 1 ELSE 0 END AS BIGINT) AS enrolled,
                (SELECT MAX(a.id) FROM quiz_attempts a
                  WHERE a.user_id = $2 AND a.course_id = c.id AND a.status = 'open') AS open_attempt
         FROM courses c
         LEFT JOIN quiz_versions v ON v.course_id = c.id AND v.hash = c.quiz_hash
         WHERE c.slug = $1",
    )
    .bind(slug)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await
    .or_not_found("course")
}

#[instrument(skip_all)]
pub async fn version_json(conn: &mut AnyConnection, version_id: i64) -> Result<String> {
    let (json,): (String,) = sqlx::query_as("SELECT def_json FROM quiz_versions WHERE id = $1")
        .bind(version_id)
        .fetch_one(&mut *conn)
        .await
        .context("quiz version")?;
    Ok(json)
}

/// An attempt with what is needed to show and grade it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub user_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    pub attempt_no: i64,
    pub layout_json: String,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub answers_json: Option<String>,
    pub answers_saved_at: Option<i64>,
    pub status: AttemptStatus,
    pub submitted_at: Option<i64>,
    pub score: Option<i64>,
    pub passed: Option<i64>,
    pub result_json: Option<String>,
    pub completed_course: i64,
    pub quiz_hash: String,
    pub pass_mark: i64,
    pub course_slug: String,
}

impl AttemptRow {
    /// The row a successful [`start_attempt`] stored, as [`attempt`] would read it back.
    pub fn started(
        id: i64,
        attempt_no: i64,
        new: &NewAttempt<'_>,
        quiz_hash: String,
        facts: &StartFacts,
    ) -> AttemptRow {
        AttemptRow {
            id,
            user_id: new.user_id,
            course_id: new.course_id,
            version_id: new.version_id,
            attempt_no,
            layout_json: new.layout_json.to_string(),
            started_at: new.started_at,
            deadline: new.deadline,
            answers_json: None,
            answers_saved_at: None,
            status: AttemptStatus::Open,
            submitted_at: None,
            score: None,
            passed: None,
            result_json: None,
            completed_course: 0,
            quiz_hash,
            pass_mark: facts.pass_mark,
            course_slug: facts.course_slug.clone(),
        }
    }
}

macro_rules! attempt_columns {
    () => {
        "SELECT a.id, a.user_id, a.course_id, a.version_id, a.attempt_no, \
    a.layout_json, a.started_at, a.deadline, a.answers_json, a.answers_saved_at, a.status, \
    a.submitted_at, a.score, a.passed, a.result_json, a.completed_course, \
    v.hash AS quiz_hash, c.pass_mark, c.slug AS course_slug"
    };
}

/// The attempt `$1` of learner `$2`, with its definition's hash and its course.
macro_rules! attempt_of_learner {
    () => {
        " FROM quiz_attempts a \
    JOIN quiz_versions v ON v.id = a.version_id \
    JOIN courses c ON c.id = a.course_id \
    WHERE a.id = $1 AND a.user_id = $2"
    };
}

/// A learner's own attempt; another learner's is not found.
#[instrument(skip_all)]
pub async fn attempt(conn: &mut AnyConnection, id: i64, user_id: i64) -> Result<AttemptRow> {
    sqlx::query_as(concat!(attempt_columns!(), attempt_of_learner!()))
        .bind(id)
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await
        .or_not_found("quiz_attempt")
}

/// What, besides the attempt, decides whether grading it may complete its course: the
/// completion rules' facts as they are now, and whether the learner passed before.
pub struct Prospect {
    pub rules: RuleFacts,
    pub ever_passed: bool,
}

#[derive(sqlx::FromRow)]
struct ToSubmitRow {
    #[sqlx(flatten)]
    attempt: AttemptRow,
    #[sqlx(flatten)]
    rules: RuleColumns,
    quiz_passed_at: Option<i64>,
}

/// A learner's own attempt, read for its submission, with its [`Prospect`]: one statement.
#[instrument(skip_all)]
pub async fn attempt_to_submit(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
) -> Result<(AttemptRow, Prospect)> {
    let row: ToSubmitRow = sqlx::query_as(concat!(
        attempt_columns!(),
        ", ",
        crate::progress::rule_columns!("a.user_id", "a.course_id"),
        ", (SELECT e.quiz_passed_at FROM enrolments e
            WHERE e.user_id = a.user_id AND e.course_id = a.course_id) AS quiz_passed_at",
        attempt_of_learner!()
    ))
    .bind(id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await
    .or_not_found("quiz_attempt")?;
    let prospect = Prospect {
        rules: row.rules.into_facts()?,
        ever_passed: row.quiz_passed_at.is_some(),
    };
    Ok((row.attempt, prospect))
}

pub struct NewAttempt<'a> {
    pub user_id: i64,
    pub course_id: i64,
    pub version_id: i64,
    pub layout_json: &'a str,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub max_attempts: i64,
}

/// How a start went.
pub enum Started {
    /// The new attempt's id and number.
    Created { id: i64, attempt_no: i64 },
    /// No attempt left.
    Exhausted,
    /// Another start won the race (an open attempt exists, or the number was taken).
    Raced,
}

/// Start an attempt in one statement: it takes the next attempt number only while fewer than
/// `max_attempts` exist. Two concurrent starts that compute the same number, or that would both
/// be open, collide on a unique index instead of both succeeding.
#[instrument(skip_all)]
pub async fn start_attempt(conn: &mut AnyConnection, new: &NewAttempt<'_>) -> Result<Started> {
    let res: std::result::Result<Option<(i64, i64)>, sqlx::Error> = sqlx::query_as(
        "INSERT INTO quiz_attempts
            (user_id, course_id, version_id, attempt_no, layout_json, started_at, deadline)
         SELECT $1, $2, $3, COUNT(*) + 1, $4, $5, $6
         FROM quiz_attempts WHERE user_id = $1 AND course_id = $2
         HAVING COUNT(*) < $7
         RETURNING id, attempt_no",
    )
    .bind(new.user_id)
    .bind(new.course_id)
    .bind(new.version_id)
    .bind(new.layout_json)
    .bind(new.started_at)
    .bind(new.deadline)
    .bind(new.max_attempts)
    .fetch_optional(&mut *conn)
    .await;
    match res {
        Ok(Some((id, attempt_no))) => Ok(Started::Created { id, attempt_no }),
        Ok(None) => Ok(Started::Exhausted),
        Err(e) if crate::error::is_unique_violation(&e) => Ok(Started::Raced),
        Err(e) => Err(e).context("starting quiz attempt"),
    }
}

/// Save answers while the attempt is open and before `cutoff` (the deadline plus grace).
/// `false` when the attempt is no longer open or its time is up.
#[instrument(skip_all)]
pub async fn save_answers(
    conn: &mut AnyConnection,
    id: i64,
    answers_json: &str,
    now: i64,
    cutoff: Option<i64>,
) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE quiz_attempts SET answers_json = $1, answers_saved_at = $2
         WHERE id = $3 AND status = 'open' AND ($4 IS NULL OR $2 <= $4)",
    )
    .bind(answers_json)
    .bind(now)
    .bind(id)
    .bind(cutoff)
    .execute(&mut *conn)
    .await
    .context("saving answers")?;
    Ok(res.rows_affected() == 1)
}

/// The grading of an attempt, to record.
pub struct Graded<'a> {
    pub attempt_id: i64,
    pub user_id: i64,
    pub course_id: i64,
    /// Submitted, late or expired.
    pub status: AttemptStatus,
    pub submitted_at: i64,
    pub answers_json: &'a str,
    pub score: i64,
    pub passed: bool,
    pub result_json: &'a str,
}

/// Close an open attempt with its grade, on the caller's transaction. `false` when the attempt
/// was no longer open (submitted twice, or closed concurrently): nothing is changed. Writes
/// first, so that concurrent submissions serialise on the attempt row and only one finds it open.
#[instrument(skip_all)]
pub async fn close_attempt(conn: &mut AnyConnection, g: &Graded<'_>) -> Result<bool> {
    let closed = sqlx::query(
        "UPDATE quiz_attempts SET status = $1, submitted_at = $2, answers_json = $3, score = $4,
                passed = $5, result_json = $6
         WHERE id = $7 AND status = 'open'",
    )
    .bind(g.status)
    .bind(g.submitted_at)
    .bind(g.answers_json)
    .bind(g.score)
    .bind(i64::from(g.passed))
    .bind(g.result_json)
    .bind(g.attempt_id)
    .execute(&mut *conn)
    .await
    .context("grading quiz attempt")?;
    Ok(closed.rows_affected() == 1)
}

/// PostgreSQL: close an open attempt with its grade and record the result in the learner's
/// enrolment, in one statement (a data-modifying `WITH`; SQLite has none, and runs
/// [`close_attempt`] then `progress::record_quiz_result`'s write). Answers what that write
/// answers, the enrolment locked with its rule facts. `None` when nothing was written: the
/// attempt was no longer open, or the learner is not enrolled (the attempt is then left open).
#[instrument(skip_all)]
pub async fn close_and_record(conn: &mut AnyConnection, g: &Graded<'_>) -> Result<Option<Locked>> {
    let query = sqlx::query_as(concat!(
        "WITH closed AS (
            UPDATE quiz_attempts SET status = $6, submitted_at = $5, answers_json = $7,
                   score = $3, passed = $4, result_json = $8
            WHERE id = $9 AND user_id = $1 AND course_id = $2 AND status = 'open'
              AND EXISTS (SELECT 1 FROM enrolments WHERE user_id = $1 AND course_id = $2)
            RETURNING id)
         ",
        crate::progress::record_quiz_update!(),
        " AND EXISTS (SELECT 1 FROM closed)",
        crate::progress::returning_locked!()
    ))
    .bind(g.user_id)
    .bind(g.course_id)
    .bind(g.score)
    .bind(i64::from(g.passed))
    .bind(g.submitted_at)
    .bind(g.status)
    .bind(g.answers_json)
    .bind(g.result_json)
    .bind(g.attempt_id);
    crate::progress::locked(query, conn, "grading quiz attempt").await
}

/// Note that this attempt completed its course.
#[instrument(skip_all)]
pub async fn mark_completed_course(conn: &mut AnyConnection, attempt_id: i64) -> Result<()> {
    sqlx::query("UPDATE quiz_attempts SET completed_course = 1 WHERE id = $1")
        .bind(attempt_id)
        .execute(&mut *conn)
        .await
        .context("grading quiz attempt")?;
    Ok(())
}

/// Has the learner passed this quiz in any attempt?
#[instrument(skip_all)]
pub async fn ever_passed(conn: &mut AnyConnection, user_id: i64, course_id: i64) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM quiz_attempts WHERE user_id = $1 AND course_id = $2 AND passed = 1",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_one(&mut *conn)
    .await
    .context("quiz attempts")?;
    Ok(n > 0)
}

/// A learner's attempts at a quiz, for progress: attempts used, best score, passed, and the
/// attempt still open (on any device) if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptSummary {
    pub attempts_used: i64,
    pub best_score: Option<i64>,
    pub passed: bool,
    pub open_attempt_id: Option<i64>,
}

#[instrument(skip_all)]
pub async fn summary(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<AttemptSummary> {
    let (used, best, passed, open): (i64, Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(score), MAX(passed),
                MAX(CASE WHEN status = 'open' THEN id END) FROM quiz_attempts
         WHERE user_id = $1 AND course_id = $2",
    )
    .bind(user_id)
    .bind(course_id)
    .fetch_one(conn)
    .await
    .context("quiz attempts")?;
    Ok(AttemptSummary {
        attempts_used: used,
        best_score: best,
        passed: passed == Some(1),
        open_attempt_id: open,
    })
}
