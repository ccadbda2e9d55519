//! The completion rules and the one flow that completes a course (and issues its
//! certificate in the same transaction), plus the learner's record the progress view reads.

use sqlx::{AnyConnection, AnyPool, Connection};

use super::store;
use crate::clock::now;
use crate::courses;
use crate::error::{Context, Error, Result};
use crate::mail::Mailer;

/// Is this learner enrolled in this course?
pub async fn is_enrolled(db: &AnyPool, user_id: i64, course_id: i64) -> Result<bool> {
    let mut conn = db.acquire().await.context("enrolment")?;
    Ok(store::enrolment(&mut conn, user_id, course_id)
        .await?
        .is_some())
}

/// What recording a quiz result did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuizRecorded {
    /// The new completion, when this result completed the course.
    pub completion: Option<i64>,
    /// Has the learner passed this quiz, in this attempt or an earlier one?
    pub ever_passed: bool,
}

/// Record a graded quiz attempt, on the caller's transaction: keep the best score, note the
/// first pass, then complete the course if every rule is now met. Errors with 404 when the
/// learner is not enrolled.
pub async fn record_quiz_result(
    tx: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    score: i64,
    passed: bool,
    mailer: Option<&Mailer>,
) -> Result<QuizRecorded> {
    // One statement: the update locks the enrolment (as `complete_if_eligible` does first)
    // and answers what the rules read.
    let Some(locked) = store::record_quiz(tx, user_id, course_id, score, passed, now()).await?
    else {
        return Err(Error::not_found("enrolment"));
    };
    quiz_recorded(tx, user_id, course_id, &locked, mailer).await
}

/// The rest of [`record_quiz_result`], once the quiz result is written and the enrolment row
/// locked by that write (`locked` is what the write answered): complete the course if every
/// rule is now met. On the caller's transaction.
pub async fn quiz_recorded(
    tx: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    locked: &store::Locked,
    mailer: Option<&Mailer>,
) -> Result<QuizRecorded> {
    let completion = if due_after_quiz_write(tx, user_id, course_id, locked).await? {
        create_completion(tx, user_id, course_id, locked, mailer).await?
    } else {
        None
    };
    Ok(QuizRecorded {
        completion,
        ever_passed: locked.enrolment.quiz_passed_at.is_some(),
    })
}

/// Is the course due for completion, now that a quiz result is written (`locked` is what the
/// write answered)? The write's answer usually says. But PostgreSQL answers a statement's
/// subqueries from the snapshot taken when the statement began: a module read committed while
/// the write waited for a row lock is missing from them, and that read's own completion
/// check, which ran before the quiz result was committed, found the quiz not passed. So when
/// the quiz is passed but modules look unread, PostgreSQL reads the facts again: a new
/// statement sees every commit before it. (SQLite's writer reads the latest commit.)
pub async fn due_after_quiz_write(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    locked: &store::Locked,
) -> Result<bool> {
    let passed = locked.enrolment.quiz_passed_at.is_some();
    if completion_due(&locked.rules, passed) {
        return Ok(true);
    }
    if !passed || crate::db::is_sqlite(conn) {
        return Ok(false);
    }
    let fresh = store::rule_facts(conn, user_id, course_id).await?;
    Ok(completion_due(&fresh, true))
}

/// Would these facts complete the course, with the quiz passed or not? (Whether a completion
/// already exists is not part of it: the unique index decides that.)
pub fn completion_due(facts: &store::RuleFacts, quiz_passed: bool) -> bool {
    let required: Option<Vec<String>> = facts
        .required_modules_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    check_rules(
        &facts.current_modules,
        required.as_deref(),
        &facts.completed_modules,
        facts.quiz_required && facts.has_quiz,
        quiz_passed,
    )
    .met()
}

/// Which completion rules a learner meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    pub modules_required: Vec<String>,
    pub modules_missing: Vec<String>,
    pub quiz_required: bool,
    pub quiz_passed: bool,
}

impl RuleCheck {
    pub fn met(&self) -> bool {
        self.modules_missing.is_empty() && (!self.quiz_required || self.quiz_passed)
    }
}

/// The pure rule: required modules (all current ones, or the course's list) read, and the quiz
/// passed when the course requires it.
pub fn check_rules(
    current_modules: &[String],
    required: Option<&[String]>,
    completed: &[String],
    quiz_required: bool,
    quiz_passed: bool,
) -> RuleCheck {
    let modules_required: Vec<String> = match required {
        Some(list) => list
            .iter()
            .filter(|m| current_modules.contains(m))
            .cloned()
            .collect(),
        None => current_modules.to_vec(),
    };
    let modules_missing = modules_required
        .iter()
        .filter(|m| !completed.contains(m))
        .cloned()
        .collect();
    RuleCheck {
        modules_required,
        modules_missing,
        quiz_required,
        quiz_passed,
    }
}

/// If every completion rule is met, record the course completion (exactly once, even under
/// concurrency: the unique index decides). Returns the completion id when this call created it;
/// `None` when rules are not met, the learner is not enrolled, or it was already complete.
pub async fn complete_if_eligible(
    conn: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    mailer: Option<&Mailer>,
) -> Result<Option<i64>> {
    let _turn = crate::db::write_turn(conn).await;
    let mut tx = conn.begin().await.context("course completion")?;
    // First statement writes the row: see docs/DEPENDENCIES.md on read-then-write transactions.
    let Some(locked) = store::lock_enrolment(&mut tx, user_id, course_id).await? else {
        return Ok(None);
    };
    let created = complete_locked(&mut tx, user_id, course_id, &locked, mailer).await?;
    tx.commit().await.context("course completion")?;
    Ok(created)
}

/// The completion check, on a transaction that holds the enrolment row locked (written).
async fn complete_locked(
    tx: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    locked: &store::Locked,
    mailer: Option<&Mailer>,
) -> Result<Option<i64>> {
    if !completion_due(&locked.rules, locked.enrolment.quiz_passed_at.is_some()) {
        return Ok(None);
    }
    create_completion(tx, user_id, course_id, locked, mailer).await
}

/// Record the completion (and issue its certificate) on a transaction that holds the
/// enrolment row locked, once the rules are found met. `None` when it already existed.
async fn create_completion(
    tx: &mut AnyConnection,
    user_id: i64,
    course_id: i64,
    locked: &store::Locked,
    mailer: Option<&Mailer>,
) -> Result<Option<i64>> {
    let (enrolment, facts) = (&locked.enrolment, &locked.rules);
    let score = if facts.has_quiz {
        enrolment.quiz_best_score
    } else {
        None
    };
    let created = store::insert_completion(tx, user_id, course_id, now(), score).await?;
    if let Some(completion_id) = created {
        tracing::info!(user_id, course_id, completion_id, "course completed");
        // The certificate is issued on the same transaction, so that completion and
        // certificate commit together (or not at all).
        crate::certificates::issue_in_tx(tx, completion_id, mailer).await?;
    }
    Ok(created)
}

/// A learner's record in a course: enrolment, modules read, what the completion rules still
/// need, and the completion. What the progress view (`crate::learning::progress`) shows.
pub struct Record {
    pub enrolment: store::EnrolmentRow,
    pub current_modules: Vec<String>,
    pub completed_modules: Vec<String>,
    pub rules: RuleCheck,
    pub completion: Option<store::CompletionRow>,
}

/// The learner's record in `course`, on the caller's connection; `None` when not enrolled.
pub async fn record(
    conn: &mut AnyConnection,
    user_id: i64,
    course: &courses::CourseRow,
) -> Result<Option<Record>> {
    let Some(enrolment) = store::enrolment(conn, user_id, course.id).await? else {
        return Ok(None);
    };
    let current_modules = store::current_modules(conn, course.id).await?;
    let completed_modules = store::completed_modules(conn, user_id, course.id).await?;
    let required: Option<Vec<String>> = course
        .required_modules_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let rules = check_rules(
        &current_modules,
        required.as_deref(),
        &completed_modules,
        course.quiz_required == 1,
        enrolment.quiz_passed_at.is_some(),
    );
    let completion = store::completion(conn, user_id, course.id).await?;
    Ok(Some(Record {
        enrolment,
        current_modules,
        completed_modules,
        rules,
        completion,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn all_modules_and_the_quiz() {
        let current = s(&["a", "b", "c"]);
        let r = check_rules(&current, None, &s(&["a", "b"]), true, true);
        assert_eq!(r.modules_missing, s(&["c"]));
        assert!(!r.met());
        assert!(check_rules(&current, None, &s(&["c", "a", "b"]), true, true).met());
        assert!(!check_rules(&current, None, &s(&["a", "b", "c"]), true, false).met());
        assert!(check_rules(&current, None, &s(&["a", "b", "c"]), false, false).met());
    }

    #[test]
    fn a_list_of_required_modules_ignores_retired_ones() {
        let current = s(&["a", "b"]);
        let r = check_rules(&current, Some(&s(&["b", "gone"])), &s(&["b"]), false, false);
        assert_eq!(r.modules_required, s(&["b"]));
        assert!(r.met());
        assert!(!check_rules(&current, Some(&s(&["b"])), &s(&["a"]), false, false).met());
    }
}
