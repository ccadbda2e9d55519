//! Coordinator reports: completions per SME and course (JSON and CSV), per-SME summaries and
//! the programme indicators.

pub mod csv;
