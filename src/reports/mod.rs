//! Coordinator reports: completions per SME and course (JSON and CSV), per-SME summaries and
//! the programme indicators. Coordinators see their partner's SMEs only; admins all.

pub mod csv;
pub mod indicators;
mod routes;
mod store;

pub use routes::{routes, Doc};
