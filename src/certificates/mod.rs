//! Certificates: issued with the course completion, rendered as PDF, verified by code.

pub mod code;
pub mod i18n;
pub mod pdf;
pub mod qr;
pub mod zip;

pub use code::Code;
pub use i18n::Lang;
pub mod page;
