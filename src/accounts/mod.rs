//! Signing in and out, sessions (rotating refresh tokens) and the caller's own profile: the
//! `/api/auth/*` and `/api/me` routes; invitations by mail, one by one or from an SME's staff
//! list (CSV). Tokens, guards, password hashing and the sign-in
//! throttle are `crate::auth`'s; the user records are `crate::orgs`'.

mod links;
mod onboarding;
pub mod roster;
mod routes;
mod service;
mod store;

pub use routes::{routes, Doc};
