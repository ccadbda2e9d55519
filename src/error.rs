//! One error type for the whole API, written as RFC 9457 `application/problem+json`.
//!
//! The message a client sees is kept apart from the cause that is logged: internal errors are
//! logged with the request id and answered with a generic 500 that leaks nothing.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{catch, catchers, Catcher};
use serde::Serialize;

use crate::messages::{reader_of, Msg, Reader};
use crate::msg;
use crate::telemetry::RequestId;

/// One field-level validation problem: the field's path in the request (`slots[2].starts_at`)
/// and what is wrong with it, as a [`Msg`] rendered in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub msg: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, msg: Msg) -> Self {
        FieldError {
            field: field.into(),
            msg,
        }
    }

    /// As `reader` is shown it.
    pub fn for_reader(&self, reader: &Reader) -> FieldProblem {
        FieldProblem {
            field: clip(&self.field),
            code: self.msg.code.to_string(),
            params: self.msg.params_json(),
            message: clip(&self.msg.render(reader)),
        }
    }
}

/// A field error as clients see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field's path in the request.
    pub field: String,
    /// A stable machine code for what is wrong (`slot.ends_before_start`).
    pub code: String,
    /// The code's parameters (numbers, names, RFC 3339 times).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// What is wrong, in the reader's language, as a sentence that can stand next to the field.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(Msg),
    #[error("{0}")]
    Unauthorized(Msg),
    #[error("{0}")]
    Forbidden(Msg),
    #[error("{0}")]
    NotFound(Msg),
    #[error("{0}")]
    Conflict(Msg),
    #[error("{0}")]
    PayloadTooLarge(Msg),
    #[error("{0}")]
    UnsupportedMediaType(Msg),
    #[error("invalid: {errors:?}")]
    Validation { errors: Vec<FieldError> },
    /// A 422 about one thing the client sent as a whole (a credential to check): the problem's
    /// `code` and `detail` are the message's own, and `errors` names the field.
    #[error("rejected: {0:?}")]
    Rejected(FieldError),
    #[error("{0}")]
    TooManyRequests(Msg),
    #[error("{0}")]
    Unavailable(Msg),
    /// Unexpected: `context` names what was being done, `cause` what went wrong. Neither reaches
    /// the client; both are logged once, with the request id, when the error is answered.
    #[error("internal error: {context}: {cause}")]
    Internal { context: String, cause: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem lists at most this many field errors (the detail counts the rest).
pub const MAX_FIELD_ERRORS: usize = 20;
/// Longest field name or message in a problem, in characters; longer ones are cut with `…`.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest `detail`, in characters.
pub const MAX_DETAIL_CHARS: usize = 5000;

fn clip_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

/// A field name or message as shown in a problem (at most [`MAX_FIELD_CHARS`]).
pub fn clip(s: &str) -> String {
    clip_to(s, MAX_FIELD_CHARS)
}

impl Error {
    /// A 404 for a thing the client named: `noun` is a catalogue word (`slot` ->
    /// `not_found.slot`, "Slot not found.").
    pub fn not_found(noun: &'static str) -> Self {
        Error::NotFound(Msg::new(format!("not_found.{noun}")))
    }

    /// A 422 with a single field error.
    pub fn invalid(field: &str, msg: Msg) -> Self {
        Error::Validation {
            errors: vec![FieldError::new(field, msg)],
        }
    }

    /// A 422 from several field errors (`Ok(())` when there are none).
    pub fn check(errors: Vec<FieldError>) -> Result<()> {
        if errors.is_empty() {
            return Ok(());
        }
        Err(Error::Validation { errors })
    }

    /// An unexpected failure: an opaque 500 for the client, `context` and `cause` for the log.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        Error::Internal {
            context: context.to_string(),
            cause: cause.to_string(),
        }
    }

    pub fn status(&self) -> Status {
        match self {
            Error::BadRequest(_) => Status::BadRequest,
            Error::Unauthorized(_) => Status::Unauthorized,
            Error::Forbidden(_) => Status::Forbidden,
            Error::NotFound(_) => Status::NotFound,
            Error::Conflict(_) => Status::Conflict,
            Error::PayloadTooLarge(_) => Status::PayloadTooLarge,
            Error::UnsupportedMediaType(_) => Status::UnsupportedMediaType,
            Error::Validation { .. } | Error::Rejected(_) => Status::UnprocessableEntity,
            Error::TooManyRequests(_) => Status::TooManyRequests,
            Error::Unavailable(_) => Status::ServiceUnavailable,
            Error::Internal { .. } => Status::InternalServerError,
        }
    }

    /// The message of this error (a validation error's is its summary).
    pub fn msg(&self) -> Msg {
        match self {
            Error::BadRequest(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::PayloadTooLarge(m)
            | Error::UnsupportedMediaType(m)
            | Error::TooManyRequests(m)
            | Error::Unavailable(m) => m.clone(),
            Error::Validation { errors } => msg!("invalid.fields", count = errors.len()),
            Error::Rejected(field) => field.msg.clone(),
            Error::Internal { .. } => msg!("server.internal"),
        }
    }

    /// The code of this error's message (`booking.slot_taken`).
    pub fn code(&self) -> String {
        self.msg().code.into_owned()
    }

    /// The problem `reader` is answered with.
    pub fn problem_for(&self, reader: &Reader) -> Problem {
        let status = self.status();
        let msg = self.msg();
        let mut detail = msg.render(reader);
        let mut errors = Vec::new();
        if let Error::Validation { errors: fields } = self {
            errors = fields
                .iter()
                .take(MAX_FIELD_ERRORS)
                .map(|f| f.for_reader(reader))
                .collect();
            // The detail is the fields' messages themselves: each is a sentence.
            let shown: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            detail = shown.join(" ");
            if fields.len() > MAX_FIELD_ERRORS {
                detail.push(' ');
                detail.push_str(
                    &msg!("invalid.more", count = fields.len() - MAX_FIELD_ERRORS).render(reader),
                );
            }
        }
        if let Error::Rejected(field) = self {
            errors = vec![field.for_reader(reader)];
        }
        let mut problem = Problem::new(status, clip_to(&detail, MAX_DETAIL_CHARS), errors);
        problem.params = msg.params_json();
        problem.code = msg.code.into_owned();
        problem
    }

    /// The problem in English (tests, logs).
    pub fn problem(&self) -> Problem {
        self.problem_for(&Reader::default())
    }
}

/// What a database failure means, said where the query is. Two words, two readers: a log
/// label for operators (`context`), a noun for clients (`or_not_found`).
pub trait Context<T> {
    /// `label` names the operation in the log ("saving booking"); clients never see it. A
    /// unique violation is a 409, a busy pool or database a 503, anything else an opaque 500.
    /// A missing row (a query that had to find one) is logged and answered as a plain 404.
    fn context(self, label: &str) -> Result<T>;

    /// A query for something the client named: a missing row is a 404 naming `noun`
    /// ("slot not found"); other failures as [`Context::context`] with `noun` as the label.
    fn or_not_found(self, noun: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, sqlx::Error> {
    fn context(self, label: &str) -> Result<T> {
        self.map_err(|e| match e {
            sqlx::Error::RowNotFound => {
                tracing::warn!(context = label, "no row where one was expected");
                Error::NotFound(msg!("not_found.thing"))
            }
            sqlx::Error::PoolTimedOut => {
                tracing::warn!(context = label, "database pool timed out");
                Error::Unavailable(msg!("server.database_busy"))
            }
            other if is_connection_lost(&other) => {
                tracing::warn!(context = label, error = %other, "database connection lost");
                Error::Unavailable(msg!("server.database_unavailable"))
            }
            other if is_database_busy(&other) => {
                tracing::warn!(context = label, error = %other, "database busy");
                Error::Unavailable(msg!("server.database_busy"))
            }
            other if is_unique_violation(&other) => {
                tracing::info!(context = label, "unique violation");
                Error::Conflict(msg!("conflict.exists"))
            }
            other => Error::internal(label, other),
        })
    }

    fn or_not_found(self, noun: &'static str) -> Result<T> {
        match self {
            Err(sqlx::Error::RowNotFound) => Err(Error::not_found(noun)),
            other => other.context(noun),
        }
    }
}

/// What a 503 tells clients to wait before retrying (a busy database pool, a full password
/// hashing queue, an unreachable object store).
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// The RFC 9457 body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in the reader's language.
    pub detail: String,
    /// A stable machine code for what went wrong (`booking.slot_taken`); clients branch on
    /// it, never on `detail`.
    pub code: String,
    /// The code's parameters (numbers, names, RFC 3339 times).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: Status, detail: String, errors: Vec<FieldProblem>) -> Self {
        Problem {
            kind: "about:blank".into(),
            title: status.reason_lossy().to_string(),
            status: status.code,
            detail,
            code: String::new(),
            params: serde_json::Map::new(),
            errors,
            request_id: None,
        }
    }

    fn respond(mut self, req: &Request<'_>) -> response::Result<'static> {
        if let Some(title) = crate::messages::status_title(self.status, &reader_of(req)) {
            self.title = title;
        }
        let id = req.local_cache(RequestId::default).0.clone();
        if !id.is_empty() {
            self.request_id = Some(id);
        }
        let body = serde_json::to_vec(&self).map_err(|_| Status::InternalServerError)?;
        let mut res = Response::build();
        res.status(Status::from_code(self.status).unwrap_or(Status::InternalServerError))
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        if self.status == 401 {
            res.header(Header::new("WWW-Authenticate", "Bearer"));
        }
        if self.status == 503 {
            res.header(Header::new("Retry-After", RETRY_AFTER_SECONDS.to_string()));
        }
        Ok(res.finalize())
    }
}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        log_internal(req, &self);
        self.problem_for(&reader_of(req)).respond(req)
    }
}

/// The one log line of an internal error, with the request id (answered by a responder, or by
/// the catcher after a guard stashed it).
fn log_internal(req: &Request<'_>, err: &Error) {
    if let Error::Internal { context, cause } = err {
        let request_id = &req.local_cache(RequestId::default).0;
        tracing::error!(%request_id, %context, %cause, "internal error");
    }
}

/// Guards stash the error that made them fail here, so the catcher can say what went wrong.
#[derive(Default)]
pub struct Stashed(pub std::sync::Mutex<Option<Problem>>);

pub fn stash(req: &Request<'_>, err: &Error) {
    log_internal(req, err);
    let slot = req.local_cache(Stashed::default);
    if let Ok(mut guard) = slot.0.lock() {
        *guard = Some(err.problem_for(&reader_of(req)));
    }
}

fn stashed(req: &Request<'_>) -> Option<Problem> {
    req.local_cache(Stashed::default).0.lock().ok()?.take()
}

#[catch(default)]
fn default_catcher(status: Status, req: &Request<'_>) -> ProblemResponse {
    if let Some(problem) = stashed(req) {
        return ProblemResponse(problem, None);
    }
    let reader = reader_of(req);
    let answer = |status: Status, msg: Msg| {
        let mut problem = Problem::new(status, msg.render(&reader), Vec::new());
        problem.code = msg.code.to_string();
        problem.params = msg.params_json();
        problem
    };
    if status.code == 404 {
        let allowed = allowed_methods(req);
        if !allowed.is_empty() {
            let allow = allowed.join(", ");
            let msg = msg!(
                "request.method_not_allowed",
                method = req.method().as_str(),
                path = req.uri().path().as_str(),
                allowed = allow.as_str(),
            );
            return ProblemResponse(answer(Status::MethodNotAllowed, msg), Some(allow));
        }
    }
    let msg = match status.code {
        404 => msg!("request.no_resource", path = req.uri().path().as_str()),
        400 => msg!("request.unreadable"),
        401 => msg!("auth.required"),
        413 => msg!("request.too_large"),
        415 => msg!("request.unsupported_type"),
        422 => msg!("request.unexpected_body"),
        _ => msg!("request.failed", status = u64::from(status.code)),
    };
    ProblemResponse(answer(status, msg), None)
}

/// A problem, and the `Allow` header of a 405.
pub struct ProblemResponse(Problem, Option<String>);

impl<'r> Responder<'r, 'static> for ProblemResponse {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = self.0.respond(req)?;
        if let Some(allow) = self.1 {
            res.set_header(Header::new("Allow", allow));
        }
        Ok(res)
    }
}

pub fn catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}

/// The methods the routes at this request's path answer (`HEAD` with `GET`), in a stable
/// order; empty when no route has this path, or when one has the request's own method (then
/// it was a real 404). The static-file fallback (a catch-all path) is not counted.
pub fn allowed_methods(req: &Request<'_>) -> Vec<String> {
    let segments: Vec<&str> = req.uri().path().segments().collect();
    let mut methods: Vec<String> = Vec::new();
    for route in req.rocket().routes() {
        if !path_matches(route.uri.path(), &segments) {
            continue;
        }
        let method = route.method.as_str().to_string();
        if !methods.contains(&method) {
            methods.push(method);
        }
        if route.method == rocket::http::Method::Get && !methods.iter().any(|m| m == "HEAD") {
            methods.push("HEAD".into());
        }
    }
    if methods.iter().any(|m| m == req.method().as_str()) {
        return Vec::new();
    }
    methods.sort();
    methods
}

/// Whether a route path (`/api/courses/<slug>`) matches the request's decoded segments.
/// Routes ending in a `<rest..>` segment are catch-alls and never count.
fn path_matches(route: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    if parts.iter().any(|p| p.ends_with("..>")) || parts.len() != segments.len() {
        return false;
    }
    parts
        .iter()
        .zip(segments)
        .all(|(p, s)| (p.starts_with('<') && p.ends_with('>')) || p == s)
}

/// The connection broke, or the database is shutting down or starting (PostgreSQL class 57P:
/// a restart, a failover, an administrator ending sessions). Worth a retry, so a 503.
pub fn is_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        other => other
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code.starts_with("57P")),
    }
}

/// Did the database give up waiting for a lock: SQLite's busy timeout (`SQLITE_BUSY` and
/// `SQLITE_LOCKED` with their extended codes), PostgreSQL's `lock_not_available` (55P03)? A
/// 503 to retry, like a busy pool.
pub fn is_database_busy(err: &sqlx::Error) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Extended result codes keep the primary code in their low byte.
        code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
    } else {
        code == "55P03"
    }
}

/// Is this sqlx error a unique-constraint violation (SQLite 2067/1555, PostgreSQL 23505)?
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> std::result::Result<(), sqlx::Error> {
        Err(sqlx::Error::RowNotFound)
    }

    #[test]
    fn a_log_label_never_reaches_the_client() {
        let e = missing().context("reading slot").unwrap_err();
        assert_eq!(e.status(), Status::NotFound);
        assert_eq!(e.problem().detail, "Not found.");
        assert_eq!(e.problem().code, "not_found.thing");
        let e = Err::<(), _>(sqlx::Error::PoolTimedOut)
            .context("reading slot")
            .unwrap_err();
        assert_eq!(e.status(), Status::ServiceUnavailable);
        assert!(!e.problem().detail.contains("reading"));
    }

    #[test]
    fn a_lost_database_connection_is_a_503_to_retry() {
        let lost = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let e = Err::<(), _>(lost).context("reading slot").unwrap_err();
        assert_eq!(e.status(), Status::ServiceUnavailable);
        assert_eq!(e.problem().code, "server.database_unavailable");
        let e = Err::<(), _>(sqlx::Error::PoolClosed)
            .or_not_found("slot")
            .unwrap_err();
        assert_eq!(e.status(), Status::ServiceUnavailable);
    }

    #[test]
    fn a_noun_names_what_was_not_found() {
        let e = missing().or_not_found("slot").unwrap_err();
        assert_eq!(e.problem().detail, "Slot not found.");
        assert_eq!(e.problem().code, "not_found.slot");
    }

    #[test]
    fn internal_errors_keep_their_cause_for_the_log_only() {
        let e = Error::internal("saving booking", "disk full");
        assert_eq!(e.status(), Status::InternalServerError);
        assert_eq!(e.to_string(), "internal error: saving booking: disk full");
        let detail = e.problem().detail;
        assert!(
            !detail.contains("disk") && !detail.contains("booking"),
            "{detail}"
        );
    }
}
