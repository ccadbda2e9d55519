//! Enrolment, module completion, quiz results and course completion.
//!
//! Course completion is decided in one place, [`complete_if_eligible`] (`completion.rs`),
//! called after every module completion and every quiz result: whichever comes last completes
//! the course, and the unique index on `course_completions (user_id, course_id)` makes it
//! happen exactly once.

mod completion;
pub mod demo;
mod routes;
mod store;

pub use completion::{
    check_rules, complete_if_eligible, completion_due, due_after_quiz_write, is_enrolled,
    quiz_recorded, record, record_quiz_result, QuizRecorded, Record, RuleCheck,
};
pub use routes::{routes, Doc};
/// For the quiz's PostgreSQL submission, which writes the enrolment in the statement that
/// closes the attempt (`quizzes::store::close_and_record`).
pub(crate) use store::{
    locked, record_quiz, record_quiz_update, returning_locked, rule_columns, Locked, RuleColumns,
    RuleFacts,
};
