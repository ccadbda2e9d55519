//! Course quizzes: definitions (`quiz.toml`), pure grading, attempts and their routes.

pub mod definition;
pub mod grading;
