//! Certificates: issued in the course completion's own transaction, rendered as PDF (one, or a
//! ZIP per SME), verified by code on a public page, revoked by admins.
//!
//! - [`issue_in_tx`] is the one way a certificate comes into being: the completion path calls
//!   it inside its transaction, so there is never a completion without its certificate nor a
//!   certificate without its completion, and the unique index on `completion_id` makes it one.
//! - What a certificate says is stored as issued (holder, SME, partner, course title, date,
//!   score, language), so the PDF and the verify page agree for as long as it exists.

pub mod bundle;
pub mod code;
pub mod i18n;
mod issue;
pub mod page;
pub mod pdf;
pub mod qr;
mod ratelimit;
mod routes;
mod store;
mod view;
pub mod zip;

pub use code::Code;
pub use i18n::Lang;
pub use issue::{code_for_completion, course_title, issue_in_tx, issue_missing, local_date};
pub use ratelimit::{VerifyLimiter, VerifyQuota};
pub use routes::{
    attachment, page_routes, private_no_store, routes, visible, Doc, Limited, Verification,
};
pub use store::{by_code, CertRow};
pub use view::{pdf_data, verify_url, Certificate};

/// The hub's name as printed on certificates and the verify page.
pub const HUB_NAME: &str = "IberoBio Academy";
