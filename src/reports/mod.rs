//! Coordinator reports: completions per SME and course (JSON and CSV), per-SME summaries and
//! the programme indicators; the weekly digest mailed to coordinators. Coordinators see their partner's SMEs only; admins all.

pub mod csv;
pub mod digest;
pub mod indicators;
mod routes;
mod sheet;
mod store;

pub use digest::stage as digest_stage;
pub use routes::{routes, Doc};
