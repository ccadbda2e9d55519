//! JSON request bodies that fail with a problem saying what was wrong and where.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::outcome::Outcome;
use rocket::request::Request;
use serde::de::DeserializeOwned;

use crate::error::{stash, Error, FieldError};
use crate::msg;

/// Like `rocket::serde::json::Json`, but a malformed body is a 400 naming line and column, a
/// body of the wrong shape is a 422 naming the field, and a non-JSON content type is a 415.
pub struct JsonBody<T>(pub T);

fn fail<'r, T>(req: &'r Request<'_>, err: Error) -> data::Outcome<'r, T, Error> {
    stash(req, &err);
    Outcome::Error((err.status(), err))
}

/// A serde message as a [`Msg`]: a missing or unknown field by name, anything else with
/// serde's own (English, technical) words as its reason.
fn shape_problem(message: &str) -> crate::messages::Msg {
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_string();
    if message.starts_with("missing field") {
        msg!("json.missing_field", name = quoted(message))
    } else if message.starts_with("unknown field") {
        msg!("json.unknown_field", name = quoted(message))
    } else if let Some((_, expected)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value"))
        .and_then(|rest| rest.rsplit_once("expected "))
    {
        // `invalid type: string "22", expected i64` (or a secret field's redacted `invalid
        // value, expected a string`): say what was expected, in words.
        msg!("json.wrong_type").word("expected", expected_kind(expected))
    } else {
        msg!("json.invalid_value", reason = message)
    }
}

/// The catalogue word for what serde expected (`i64`, `a string`, `a sequence`, `struct X`).
fn expected_kind(expected: &str) -> &'static str {
    let e = expected.trim();
    if e.starts_with('i') || e.starts_with('u') || e.contains("integer") {
        "JsonType.integer"
    } else if e.starts_with('f') || e.contains("number") {
        "JsonType.number"
    } else if e.contains("bool") {
        "JsonType.boolean"
    } else if e.contains("sequence") || e.contains("tuple") || e.contains("array") {
        "JsonType.list"
    } else if e.contains("struct") || e.contains("map") {
        "JsonType.object"
    } else if e.contains("string") || e.contains("char") || e.contains("str") {
        "JsonType.text"
    } else {
        "JsonType.value"
    }
}

/// Read a JSON body: syntax first (400), then the text rules of [`crate::input`] (422 naming
/// each offending field), then the shape the route expects (422 naming the field; the value
/// of a secret field is never repeated).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::BadRequest(msg!(
            "json.malformed",
            line = e.line(),
            column = e.column(),
            reason = e.to_string(),
        ))
    })?;
    crate::input::check_json(&value)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        let message = inner
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        let message = crate::input::redact(&field, message);
        Error::Validation {
            errors: vec![FieldError::new(field, shape_problem(&message))],
        }
    })
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = Error;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if let Some(ct) = req.content_type() {
            let json_like =
                ct.is_json() || (ct.top() == "application" && ct.sub().as_str().ends_with("+json"));
            if !json_like {
                return fail(
                    req,
                    Error::UnsupportedMediaType(msg!("json.content_type", given = ct.to_string())),
                );
            }
        }
        let limit = req.limits().get("json").unwrap_or(1.mebibytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                return fail(
                    req,
                    Error::PayloadTooLarge(msg!("json.too_large", limit = limit.to_string())),
                )
            }
            Err(e) => {
                return fail(
                    req,
                    Error::BadRequest(msg!("request.body_unreadable", reason = e.to_string())),
                )
            }
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return fail(req, Error::BadRequest(msg!("json.empty")));
        }
        match parse(&bytes) {
            Ok(v) => Outcome::Success(JsonBody(v)),
            Err(e) => fail(req, e),
        }
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        inner: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        n: i64,
    }

    #[test]
    fn names_the_field_and_the_position() {
        match parse::<Login>(br#"{"email": "a", "inner": {"n": "x"}}"#) {
            Err(Error::Validation { errors, .. }) => assert_eq!(errors[0].field, "inner.n"),
            other => panic!("{other:?}"),
        }
        match parse::<Login>(br#"{"email": "a", "#) {
            Err(Error::BadRequest(m)) => assert!(m.english().contains("line 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        match parse::<Login>(br#"{"email": "a"}"#) {
            Err(Error::Validation { errors }) => {
                assert_eq!(errors[0].msg.code, "json.missing_field");
                assert!(errors[0].msg.english().contains("inner"), "{:?}", errors[0]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        match parse::<Login>(b"{\"email\": \"a\\r\\nb\", \"inner\": {\"n\": 1}}") {
            Err(Error::Validation { errors, .. }) => {
                assert_eq!(errors[0].field, "email");
                assert_eq!(
                    errors[0].msg.english(),
                    "This text must be a single line without control characters."
                );
            }
            other => panic!("{other:?}"),
        }
        match parse::<Login>(br#"{"email": "a\u0000", "inner": {"n": 1}}"#) {
            Err(Error::Validation { errors, .. }) => {
                assert_eq!(errors[0].msg.code, "text.nul")
            }
            other => panic!("{other:?}"),
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Secretive {
        password: String,
        note: Option<String>,
    }

    #[test]
    fn secret_values_stay_out_of_errors() {
        let err = parse::<Secretive>(br#"{"password": 123456789}"#).unwrap_err();
        assert_eq!(err.status().code, 422);
        let shown = format!("{err:?} {err}");
        assert!(!shown.contains("123456789"), "{shown}");
        assert!(shown.contains("password"), "{shown}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Value;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                any::<String>().prop_map(Value::String),
                "[a-z\\n\\r\\t\\x00 ]{0,8}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("password".to_string()),
                            Just("note".to_string()),
                            Just("email".to_string()),
                            any::<String>()
                        ],
                        inner,
                        0..6
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn clean(v: &Value, multi_line: bool) -> bool {
            match v {
                Value::String(s) => crate::input::text_problem(s, multi_line).is_none(),
                _ => true,
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            /// Junk bytes are a 400 or a 422, never a panic.
            #[test]
            fn junk_bytes_are_a_client_error(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                if let Err(e) = parse::<Secretive>(&bytes) {
                    prop_assert!(matches!(e.status().code, 400 | 422), "{:?}", e);
                }
            }

            /// Any JSON document is accepted only when it has the right shape and clean text;
            /// otherwise a 422 (no panic, no 500), and a secret value is never repeated.
            #[test]
            fn any_document_is_accepted_clean_or_refused(
                doc in json(),
                secret in 100_000_000_000u64..1_000_000_000_000,
            ) {
                let secret_text = secret.to_string();
                let mut doc = doc;
                if let Value::Object(map) = &mut doc {
                    if map.get("password").is_some_and(|p| !p.is_string()) {
                        map.insert("password".into(), Value::from(secret));
                    }
                }
                let bytes = serde_json::to_vec(&doc).expect("serialises");
                match parse::<Secretive>(&bytes) {
                    Ok(v) => {
                        prop_assert!(clean(&Value::String(v.password), false));
                        prop_assert!(clean(&Value::String(v.note.unwrap_or_default()), true));
                    }
                    Err(e) => {
                        prop_assert_eq!(e.status().code, 422, "{:?}", e);
                        let shown = format!("{e:?}");
                        prop_assert!(!shown.contains(&secret_text), "{}", shown);
                    }
                }
            }
        }
    }
}
