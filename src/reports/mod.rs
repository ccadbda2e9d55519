//! Read-only views composed from several features: coordinator reports (completions per SME
//! and course as JSON and CSV, per-SME summaries, the programme indicators; coordinators see
//! their partner's SMEs only, admins all) and a learner's progress in a course.

pub mod csv;
pub mod indicators;
mod progress;
mod routes;
mod store;

pub use routes::{routes, Doc};
