//! Attempts: start, save, submit, read. The rules live here; SQL in `store`, HTTP in `routes`.
//!
//! - Starting fixes the drawn questions and their order (stored as the attempt's layout).
//! - A learner has at most one open attempt per quiz: starting while one is open returns that
//!   attempt (200) instead of a new one, so a double click or a reload never burns an attempt.
//! - An open attempt whose time is up stays open (showing `time_left_seconds: 0`) until it is
//!   submitted, or until the learner starts the next attempt, which first closes it following
//!   the quiz's `late_submission` policy.
//! - Grading and the course progress are recorded in one transaction (on PostgreSQL, usually one
//!   statement: `record_grade`).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde_json::Value;
use sqlx::{AnyConnection, Connection};

use super::grading::{self, Grade};
use super::layout::{self, Layout};
use super::store::{self, AttemptRow, Graded, NewAttempt, Prospect, Started};
use super::view::{self, AttemptResult, AttemptView};
use crate::clock::now;
use crate::courses::quiz::{LateSubmission, QuizDef, ShowAnswers};
use crate::domain::AttemptStatus;
use crate::error::{Context, Error, Result};
use crate::mail::Mailer;
use crate::memo::Memo;
use crate::msg;
use crate::progress::completion_due;

/// Seconds accepted after the deadline for answers in flight (network, a slow click).
pub const GRACE_SECONDS: i64 = 5;

/// Parsed definitions by content hash: a definition never changes under its hash, and the
/// key does not depend on which database the row came from.
static DEFS: LazyLock<Memo<Arc<QuizDef>>> = LazyLock::new(|| Memo::new(256));

fn cached_def(hash: &str, json: impl FnOnce() -> Option<String>) -> Result<Arc<QuizDef>> {
    if let Some(def) = DEFS.get(hash) {
        return Ok(def);
    }
    let json = json().ok_or_else(|| Error::internal("quiz definition", "missing"))?;
    let def: QuizDef = serde_json::from_str(&json)
        .map_err(|e| Error::internal("reading the stored quiz definition", e))?;
    let def = Arc::new(def);
    DEFS.insert(hash.to_string(), def.clone());
    Ok(def)
}

/// An attempt with its definition and layout.
struct Loaded {
    row: AttemptRow,
    def: Arc<QuizDef>,
    layout: Layout,
    answers: BTreeMap<String, Value>,
}

/// The definition of a stored version, parsed once per process.
async fn def_of(conn: &mut AnyConnection, version_id: i64, hash: &str) -> Result<Arc<QuizDef>> {
    if let Some(def) = DEFS.get(hash) {
        return Ok(def);
    }
    let json = store::version_json(conn, version_id).await?;
    cached_def(hash, || Some(json))
}

async fn load_row(conn: &mut AnyConnection, row: AttemptRow) -> Result<Loaded> {
    let def = def_of(conn, row.version_id, &row.quiz_hash).await?;
    let layout: Layout = serde_json::from_str(&row.layout_json)
        .map_err(|e| Error::internal("reading the attempt layout", e))?;
    let answers = row
        .answers_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| Error::internal("reading saved answers", e))?
        .unwrap_or_default();
    Ok(Loaded {
        row,
        def,
        layout,
        answers,
    })
}

fn expired(row: &AttemptRow, at: i64) -> bool {
    row.status == AttemptStatus::Open && row.deadline.is_some_and(|d| at > d + GRACE_SECONDS)
}

fn grade_of(l: &Loaded, answers: &BTreeMap<String, Value>) -> Grade {
    let questions: Vec<_> = l
        .layout
        .questions
        .iter()
        .filter_map(|s| l.def.question(&s.id))
        .collect();
    grading::grade(&questions, &view::responses(&l.def, &l.layout, answers))
}

/// What closing an attempt recorded.
struct Closed {
    grade: Grade,
    passed: bool,
    recorded: crate::progress::QuizRecorded,
}

/// Grade and close an open attempt. `None` when it was closed by someone else meanwhile.
async fn close(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    l: &Loaded,
    status: AttemptStatus,
    answers: &BTreeMap<String, Value>,
    at: i64,
    prospect: Option<&Prospect>,
) -> Result<Option<Closed>> {
    let grade = if status == AttemptStatus::Expired {
        grade_of(l, &BTreeMap::new())
    } else {
        grade_of(l, answers)
    };
    let passed = grade.score >= l.row.pass_mark;
    let answers_json = serde_json::to_string(answers).map_err(|e| Error::internal("answers", e))?;
    let result_json = serde_json::to_string(&grade).map_err(|e| Error::internal("grade", e))?;
    let graded = Graded {
        attempt_id: l.row.id,
        user_id: l.row.user_id,
        course_id: l.row.course_id,
        status,
        submitted_at: at,
        answers_json: &answers_json,
        score: grade.score,
        passed,
        result_json: &result_json,
    };
    let recorded = record_grade(conn, mailer, &graded, prospect).await?;
    Ok(recorded.map(|recorded| Closed {
        grade,
        passed,
        recorded,
    }))
}

/// Close an open attempt with its grade and record the result in the learner's progress, which
/// completes the course (and issues its certificate) when every rule is met, all in one
/// transaction (`crate::progress::quiz_recorded`).
///
/// On PostgreSQL the attempt and the enrolment are written by one statement
/// ([`store::close_and_record`]). When the `prospect` read before grading says this result
/// cannot complete the course, and no xAPI statement is to be queued, that statement is the
/// whole transaction: one round trip instead of four (BEGIN, two writes, COMMIT).
///
/// `None` when the attempt was no longer open: nothing is changed.
async fn record_grade(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    g: &Graded<'_>,
    prospect: Option<&Prospect>,
) -> Result<Option<crate::progress::QuizRecorded>> {
    let postgres = !crate::db::is_sqlite(conn);
    let alone = postgres
        && mailer.xapi().is_none()
        && prospect.is_some_and(|p| !completion_due(&p.rules, g.passed || p.ever_passed));
    if alone {
        let Some(locked) = store::close_and_record(conn, g).await? else {
            return not_recorded(conn, g).await;
        };
        let ever_passed = locked.enrolment.quiz_passed_at.is_some();
        let mut recorded = crate::progress::QuizRecorded {
            completion: None,
            ever_passed,
        };
        // A module read that landed between the prospect's read and the write can have made
        // the course due: complete it now, as a module read after the write would.
        if crate::progress::due_after_quiz_write(conn, g.user_id, g.course_id, &locked).await? {
            recorded.completion =
                crate::progress::complete_if_eligible(conn, g.user_id, g.course_id, Some(mailer))
                    .await?;
            if recorded.completion.is_some() {
                store::mark_completed_course(conn, g.attempt_id).await?;
            }
        }
        return Ok(Some(recorded));
    }
    let turn = crate::db::write_turn(conn).await;
    let mut tx = conn.begin().await.context("grading quiz attempt")?;
    let locked = if postgres {
        store::close_and_record(&mut tx, g).await?
    } else if store::close_attempt(&mut tx, g).await? {
        crate::progress::record_quiz(
            &mut tx,
            g.user_id,
            g.course_id,
            g.score,
            g.passed,
            g.submitted_at,
        )
        .await?
    } else {
        None
    };
    let Some(locked) = locked else {
        tx.rollback().await.context("grading quiz attempt")?;
        drop(turn);
        return not_recorded(conn, g).await;
    };
    crate::xapi::quiz_graded(&mut tx, mailer, g.attempt_id).await?;
    let recorded =
        crate::progress::quiz_recorded(&mut tx, g.user_id, g.course_id, &locked, Some(mailer))
            .await?;
    if recorded.completion.is_some() {
        store::mark_completed_course(&mut tx, g.attempt_id).await?;
    }
    tx.commit().await.context("grading quiz attempt")?;
    Ok(Some(recorded))
}

/// Grading wrote nothing: the attempt was closed meanwhile (`None`), or the learner is no
/// longer enrolled (404, and the attempt stays open).
async fn not_recorded(
    conn: &mut AnyConnection,
    g: &Graded<'_>,
) -> Result<Option<crate::progress::QuizRecorded>> {
    let row = store::attempt(conn, g.attempt_id, g.user_id).await?;
    if row.status == AttemptStatus::Open {
        return Err(Error::not_found("enrolment"));
    }
    Ok(None)
}

/// Close an attempt whose time is up, as the quiz's policy says.
async fn close_expired(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    l: &Loaded,
    at: i64,
) -> Result<()> {
    let status = match l.def.late_submission {
        LateSubmission::GradeSaved => AttemptStatus::Late,
        LateSubmission::Refuse => AttemptStatus::Expired,
    };
    close(conn, mailer, l, status, &l.answers, at, None).await?;
    Ok(())
}

// Every step of an attempt (start, read, save, submission) runs all its statements on the
// request's one connection (`db::RequestConn`, shared with the token check), so the pool hands
// out (and sqlx checks on release) one connection per request, not one per statement. Nothing
// on the flow may ask the pool for another while holding it.

/// Re-read an attempt after a change.
async fn reload(conn: &mut AnyConnection, id: i64, user_id: i64) -> Result<Loaded> {
    let row = store::attempt(conn, id, user_id).await?;
    load_row(conn, row).await
}

/// May the learner see the answers of this (submitted) attempt?
async fn reveal(
    conn: &mut AnyConnection,
    def: &QuizDef,
    row: &AttemptRow,
    passed: bool,
) -> Result<bool> {
    let ever_passed = match def.show_answers {
        // Only this policy depends on the other attempts: skip the query otherwise.
        ShowAnswers::AfterPassing => {
            passed || store::ever_passed(conn, row.user_id, row.course_id).await?
        }
        _ => passed,
    };
    Ok(view::reveal_answers(def.show_answers, true, ever_passed))
}

async fn result_of(
    conn: &mut AnyConnection,
    l: &Loaded,
    lang: &str,
) -> Result<Option<AttemptResult>> {
    if l.row.status == AttemptStatus::Open {
        return Ok(None);
    }
    let grade: Grade = match l.row.result_json.as_deref().map(serde_json::from_str) {
        Some(Ok(g)) => g,
        Some(Err(e)) => return Err(Error::internal("reading the attempt result", e)),
        None => return Ok(None),
    };
    let passed = l.row.passed == Some(1);
    let reveal = reveal(conn, &l.def, &l.row, passed).await?;
    Ok(Some(AttemptResult {
        score: l.row.score.unwrap_or(0),
        passed,
        pass_mark: l.row.pass_mark,
        course_completed: l.row.completed_course == 1,
        late: l.row.status != AttemptStatus::Submitted,
        answers_revealed: reveal,
        feedback: view::feedback(&l.def, &l.layout, &grade, &l.answers, lang, reveal),
    }))
}

async fn render(conn: &mut AnyConnection, l: &Loaded, lang: Option<&str>) -> Result<AttemptView> {
    let lang = l.def.language(lang.unwrap_or(&l.def.default_language));
    let result = result_of(conn, l, &lang).await?;
    Ok(view::attempt(
        view::Attempt {
            row: &l.row,
            def: &l.def,
            layout: &l.layout,
            answers: &l.answers,
        },
        lang,
        result,
        now(),
    ))
}

/// Start an attempt (`true`: created) or return the open one (`false`).
///
/// The usual case is two statements: one read of what starting needs ([`store::start_facts`])
/// and the insert, whose answer and the drawn layout are the new attempt (nothing re-read).
///
/// On the request's connection (`db::RequestConn`), which the token check ran on before.
pub async fn start(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    user_id: i64,
    slug: &str,
    lang: Option<&str>,
) -> Result<(bool, AttemptView)> {
    for _ in 0..4 {
        let facts = store::start_facts(conn, slug, user_id).await?;
        if facts.has_quiz == 0 {
            return Err(Error::not_found("quiz"));
        }
        if facts.enrolled == 0 {
            return Err(Error::Forbidden(msg!("quiz.enrol_first")));
        }
        if let Some(open) = facts.open_attempt {
            let l = reload(conn, open, user_id).await?;
            if l.row.status == AttemptStatus::Open {
                if !expired(&l.row, now()) {
                    return Ok((false, render(conn, &l, lang).await?));
                }
                close_expired(conn, mailer, &l, now()).await?;
            }
            // Closed (by its deadline, or a submission meanwhile): read the facts again.
            continue;
        }
        let (version_id, def, quiz_hash) = match (facts.version_id, facts.quiz_hash.clone()) {
            (Some(id), Some(hash)) => (id, def_of(conn, id, &hash).await?, hash),
            // The first attempt at this definition stores it.
            _ => {
                let course = crate::courses::get_course_by_id(conn, facts.course_id).await?;
                let json = course.quiz_json.ok_or_else(|| Error::not_found("quiz"))?;
                let hash = crate::courses::quiz::definition_hash(&json);
                let id = store::version_id(conn, course.id, &hash, &json).await?;
                (id, cached_def(&hash, || Some(json))?, hash)
            }
        };
        let layout = layout::draw(&def, &mut rand::rng());
        let layout_json =
            serde_json::to_string(&layout).map_err(|e| Error::internal("layout", e))?;
        let started_at = now();
        let new = NewAttempt {
            user_id,
            course_id: facts.course_id,
            version_id,
            layout_json: &layout_json,
            started_at,
            deadline: def
                .time_limit_minutes
                .map(|m| started_at + i64::from(m) * 60),
            max_attempts: i64::from(def.max_attempts),
        };
        let turn = crate::db::write_turn(conn).await;
        let started = store::start_attempt(conn, &new).await?;
        drop(turn);
        match started {
            Started::Created { id, attempt_no } => {
                let row = AttemptRow::started(id, attempt_no, &new, quiz_hash, &facts);
                let l = Loaded {
                    row,
                    def,
                    layout,
                    answers: BTreeMap::new(),
                };
                return Ok((true, render(conn, &l, lang).await?));
            }
            Started::Exhausted => {
                return Err(Error::Conflict(msg!(
                    "quiz.no_attempts_left",
                    max = def.max_attempts
                )))
            }
            // Another request started one meanwhile: the loop returns it.
            Started::Raced => continue,
        }
    }
    Err(Error::Conflict(msg!("quiz.start_raced")))
}

/// A learner's attempt; another learner's is a 404.
///
/// On the request's connection (`db::RequestConn`), which the token check ran on before.
pub async fn get(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
    lang: Option<&str>,
) -> Result<AttemptView> {
    let l = reload(conn, id, user_id).await?;
    render(conn, &l, lang).await
}

fn not_open(l: &Loaded) -> Error {
    if l.row.status == AttemptStatus::Open {
        Error::Conflict(msg!("quiz.time_over"))
    } else {
        Error::Conflict(msg!("quiz.closed").word("status", l.row.status.word()))
    }
}

/// Save answers during an attempt (merged into those saved before; `null` clears one).
///
/// On the request's connection (`db::RequestConn`), which the token check ran on after the
/// body was read (`auth::UserAndBody`).
pub async fn save(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
    answers: &BTreeMap<String, Value>,
) -> Result<(BTreeMap<String, Value>, i64)> {
    let l = reload(conn, id, user_id).await?;
    if l.row.status != AttemptStatus::Open {
        return Err(not_open(&l));
    }
    let kept = view::check_answers(&l.def, &l.layout, answers).map_err(validation)?;
    let mut merged = l.answers.clone();
    for qid in answers.keys() {
        merged.remove(qid);
    }
    merged.extend(kept);
    let json = serde_json::to_string(&merged).map_err(|e| Error::internal("answers", e))?;
    let at = now();
    let cutoff = l.row.deadline.map(|d| d + GRACE_SECONDS);
    let turn = crate::db::write_turn(conn).await;
    let saved = store::save_answers(conn, id, &json, at, cutoff).await?;
    drop(turn);
    if !saved {
        let l = reload(conn, id, user_id).await?;
        return Err(not_open(&l));
    }
    Ok((merged, at))
}

fn validation(errors: Vec<crate::error::FieldError>) -> Error {
    match Error::check(errors) {
        Err(e) => e,
        Ok(()) => Error::invalid("answers", msg!("quiz.answers_invalid")),
    }
}

/// Submit an attempt: grade it and record the result. Submitting twice is a 409.
///
/// On the request's connection (`db::RequestConn`), which the token check ran on after the
/// body was read (`auth::UserAndBody`).
pub async fn submit(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    id: i64,
    user_id: i64,
    answers: &BTreeMap<String, Value>,
    lang: Option<&str>,
) -> Result<AttemptResult> {
    // PostgreSQL reads with the attempt what decides whether its grade may complete the course:
    // when it cannot, the grade is written in one statement (`record_grade`).
    let (l, prospect) = if crate::db::is_sqlite(conn) {
        (reload(conn, id, user_id).await?, None)
    } else {
        let (row, prospect) = store::attempt_to_submit(conn, id, user_id).await?;
        (load_row(conn, row).await?, Some(prospect))
    };
    if l.row.status != AttemptStatus::Open {
        return Err(Error::Conflict(msg!("quiz.already_submitted")));
    }
    let kept = view::check_answers(&l.def, &l.layout, answers).map_err(validation)?;
    let at = now();
    let (status, graded_answers) = if expired(&l.row, at) {
        match l.def.late_submission {
            // What was saved before the deadline counts; what arrives late does not.
            LateSubmission::GradeSaved => (AttemptStatus::Late, l.answers.clone()),
            LateSubmission::Refuse => {
                close(
                    conn,
                    mailer,
                    &l,
                    AttemptStatus::Expired,
                    &l.answers,
                    at,
                    None,
                )
                .await?;
                return Err(Error::Conflict(
                    msg!("quiz.late_refused").at("deadline", l.row.deadline.unwrap_or(at)),
                ));
            }
        }
    } else {
        let mut merged = l.answers.clone();
        for qid in answers.keys() {
            merged.remove(qid);
        }
        merged.extend(kept);
        (AttemptStatus::Submitted, merged)
    };
    let Some(closed) = close(
        conn,
        mailer,
        &l,
        status,
        &graded_answers,
        at,
        prospect.as_ref(),
    )
    .await?
    else {
        return Err(Error::Conflict(msg!("quiz.already_submitted")));
    };
    let lang = &l.def.language(lang.unwrap_or(&l.def.default_language));
    // The enrolment knows whether any attempt passed: no query for `after_passing`.
    let reveal = view::reveal_answers(
        l.def.show_answers,
        true,
        closed.passed || closed.recorded.ever_passed,
    );
    Ok(AttemptResult {
        score: closed.grade.score,
        passed: closed.passed,
        pass_mark: l.row.pass_mark,
        course_completed: closed.recorded.completion.is_some(),
        late: status != AttemptStatus::Submitted,
        answers_revealed: reveal,
        feedback: view::feedback(
            &l.def,
            &l.layout,
            &closed.grade,
            &graded_answers,
            lang,
            reveal,
        ),
    })
}

/// A learner's attempts at a course's quiz: used, best score, passed. On the caller's
/// connection: a caller holding one must not ask the pool for another.
pub async fn summary(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    course_id: i64,
) -> Result<store::AttemptSummary> {
    store::summary(conn, user_id, course_id).await
}
