//! Course quizzes: attempts, pure grading and their routes (the `quiz.toml` definition is
//! content, parsed with the course: `crate::courses::quiz`).

pub mod attempts;
pub mod grading;
pub mod layout;
pub mod render;
mod routes;
mod store;
pub mod view;

pub use attempts::summary;
pub use routes::{routes, Doc};
