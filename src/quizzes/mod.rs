//! Course quizzes: definitions (`quiz.toml`), pure grading, attempts and their routes.

pub mod attempts;
pub mod definition;
pub mod grading;
pub mod layout;
pub mod render;
mod routes;
pub mod store;
pub mod view;

pub use attempts::summary;
pub use routes::{routes, Doc};
