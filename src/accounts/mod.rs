//! Signing in and out, sessions (rotating refresh tokens) and the caller's own profile: the
//! `/api/auth/*` and `/api/me` routes. Tokens, guards, password hashing and the sign-in
//! throttle are `crate::auth`'s; the user records are `crate::orgs`'.

mod links;
mod routes;
mod service;
mod store;

pub use routes::{routes, Doc};
