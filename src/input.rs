//! Rules every text input follows, whatever the route: no control characters (line breaks
//! only in fields that are multi-line by nature), no NUL anywhere (PostgreSQL cannot store
//! it), and no secret value repeated in an error message or a log line.
//!
//! JSON bodies are checked by [`check_json`] (called by [`crate::json::JsonBody`] before the
//! body is turned into the route's type); path segments and query strings by the
//! [`UriCheck`] fairing, before any route runs.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::{Data, Request};
use serde_json::Value;

use crate::error::{stash, Error, FieldError};
use crate::messages::Msg;
use crate::msg;

/// Fields whose text may span lines: free-form notes and reasons. Matched on the last
/// segment of the field's path. Every other text field is a single line.
pub const MULTI_LINE_FIELDS: &[&str] = &["note", "notes", "reason", "description"];

/// At most this many problems are listed for one body.
const MAX_REPORTED: usize = 20;

/// What is wrong with a piece of text, if anything.
pub fn text_problem(text: &str, multi_line: bool) -> Option<Msg> {
    let mut problem = None;
    for c in text.chars() {
        if c == '\0' {
            return Some(msg!("text.nul"));
        }
        if c.is_control() {
            let allowed = multi_line && matches!(c, '\n' | '\r' | '\t');
            if !allowed {
                problem = Some(if multi_line {
                    msg!("text.control_multi_line")
                } else {
                    msg!("text.control_single_line")
                });
            }
        }
    }
    problem
}

fn is_multi_line(path: &str) -> bool {
    let last = path
        .rsplit(['.', '['])
        .next()
        .unwrap_or(path)
        .trim_end_matches(']');
    MULTI_LINE_FIELDS.contains(&last)
}

/// Check every string (and every property name) of a JSON document; the error names each
/// offending field by its path (`name`, `answers.q1`, `pairs[2].label`).
pub fn check_json(value: &Value) -> Result<(), Error> {
    let mut errors = Vec::new();
    walk(value, &mut String::new(), &mut errors);
    Error::check(errors)
}

fn walk(value: &Value, path: &mut String, errors: &mut Vec<FieldError>) {
    if errors.len() > MAX_REPORTED {
        return;
    }
    match value {
        Value::String(s) => {
            if let Some(problem) = text_problem(s, is_multi_line(path)) {
                let field = if path.is_empty() {
                    "body"
                } else {
                    path.as_str()
                };
                errors.push(FieldError::new(field.to_string(), problem));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if text_problem(key, false).is_some() {
                    let field = if path.is_empty() {
                        "body"
                    } else {
                        path.as_str()
                    };
                    errors.push(FieldError::new(
                        field.to_string(),
                        msg!("text.control_in_key"),
                    ));
                    continue;
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(item, path, errors);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a field's name says it holds a secret: its value must never be repeated.
pub fn is_secret_field(path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    ["password", "token", "secret", "key"]
        .iter()
        .any(|word| path.contains(word))
}

/// A deserialization message about `field`, without the value when the field holds a secret
/// (`invalid type: integer `123`, expected a string` becomes `invalid value, expected a
/// string`).
pub fn redact(field: &str, message: String) -> String {
    if !is_secret_field(field) {
        return message;
    }
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("invalid value, expected {expected}"),
        None if message.starts_with("missing field") || message.starts_with("unknown field") => {
            message
        }
        None => "invalid value".to_string(),
    }
}

/// Refuses control characters (NUL above all) in path segments (404: no resource has such a
/// name) and in query strings (422 naming the parameter), before any route sees them.
pub struct UriCheck;

/// Where refused requests are routed: no route matches it, so the catcher answers with the
/// stashed problem.
const REFUSED: &str = "/__academy/refused";

fn uri_problem(req: &Request<'_>) -> Option<Error> {
    let uri = req.uri();
    if uri
        .path()
        .segments()
        .any(|s| s.chars().any(char::is_control))
    {
        return Some(Error::NotFound(msg!("request.control_in_path")));
    }
    let query = uri.query()?;
    let mut errors = Vec::new();
    for (name, value) in query.segments() {
        if name.chars().any(char::is_control) {
            errors.push(FieldError::new("query", msg!("text.control_in_parameter")));
        } else if let Some(problem) = text_problem(value, false) {
            errors.push(FieldError::new(name, problem));
        }
    }
    Error::check(errors).err()
}

#[rocket::async_trait]
impl Fairing for UriCheck {
    fn info(&self) -> Info {
        Info {
            name: "Control characters in URIs",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        if let Some(err) = uri_problem(req) {
            stash(req, &err);
            req.set_uri(Origin::const_new(REFUSED, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Vec<(String, String)> {
        match check_json(&v) {
            Ok(()) => vec![],
            Err(Error::Validation { errors, .. }) => errors
                .into_iter()
                .map(|e| (e.field, e.msg.english()))
                .collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn single_line_fields_refuse_line_breaks_multi_line_ones_keep_them() {
        assert!(fields(json!({"name": "Ana Núñez", "note": "a\r\nb\tc"})).is_empty());
        let f = fields(json!({"name": "Ana\r\nATTACH:x", "note": "ok\n", "location": "a\tb"}));
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, "location");
        assert_eq!(f[1].0, "name");
        assert!(f[1].1.contains("single line"), "{f:?}");
        let f = fields(json!({"note": "bell\u{7}"}));
        assert_eq!(f[0].0, "note");
        let f = fields(json!({"reason": "a\u{0}b"}));
        assert_eq!(
            f,
            vec![(
                "reason".into(),
                "This text must not contain NUL characters.".into()
            )]
        );
    }

    #[test]
    fn paths_name_nested_fields_and_keys() {
        let f = fields(json!({"answers": {"q1": "x\u{0}", "q2": ["a", "b\nc"], "q\u{0}": 1}}));
        let names: Vec<&str> = f.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            vec!["answers", "answers.q1", "answers.q2[1]"],
            "{f:?}"
        );
        assert_eq!(
            fields(json!("a\u{1b}")),
            vec![(
                "body".into(),
                "This text must be a single line without control characters.".into()
            )]
        );
        assert!(fields(json!({"n": 1, "b": true, "z": null})).is_empty());
    }

    #[test]
    fn reports_a_bounded_number_of_problems() {
        let many: serde_json::Map<String, Value> = (0..5000)
            .map(|i| (format!("f{i}"), Value::String("\u{0}".into())))
            .collect();
        match check_json(&Value::Object(many)) {
            Err(Error::Validation { errors, .. }) => assert!(errors.len() <= MAX_REPORTED + 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secret_values_are_not_repeated() {
        let m = redact(
            "password",
            "invalid type: integer `123`, expected a string".into(),
        );
        assert_eq!(m, "invalid value, expected a string");
        let m = redact(
            "password.new",
            "invalid type: string \"hunter2\", expected u8".into(),
        );
        assert!(!m.contains("hunter2"), "{m}");
        assert_eq!(redact("refresh_token", "weird `x`".into()), "invalid value");
        assert_eq!(
            redact("password", "missing field `password`".into()),
            "missing field `password`"
        );
        let m = "invalid type: integer `123`, expected a string".to_string();
        assert_eq!(redact("name", m.clone()), m);
        assert!(is_secret_field("s3_secret_key") && is_secret_field("api_KEY"));
    }
}
