//! JSON request bodies that fail with a problem saying what was wrong and where.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::outcome::Outcome;
use rocket::request::Request;
use serde::de::DeserializeOwned;

use crate::error::{stash, Error, FieldError};

/// Like `rocket::serde::json::Json`, but a malformed body is a 400 naming line and column, a
/// body of the wrong shape is a 422 naming the field, and a non-JSON content type is a 415.
pub struct JsonBody<T>(pub T);

fn fail<'r, T>(req: &'r Request<'_>, err: Error) -> data::Outcome<'r, T, Error> {
    stash(req, &err);
    Outcome::Error((err.status(), err))
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
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
                Error::Validation {
                    message: format!("{field}: {message}"),
                    errors: vec![FieldError::new(field, message)],
                }
            }
            _ => Error::BadRequest(format!("malformed JSON body: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| Error::BadRequest(format!("malformed JSON body: {e}")))?;
    Ok(value)
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
                    Error::UnsupportedMediaType(format!(
                        "expected an application/json body, got {ct}"
                    )),
                );
            }
        }
        let limit = req.limits().get("json").unwrap_or(1.mebibytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                return fail(
                    req,
                    Error::PayloadTooLarge(format!("the JSON body is larger than {limit}")),
                )
            }
            Err(e) => return fail(req, Error::BadRequest(format!("reading the body: {e}"))),
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return fail(
                req,
                Error::BadRequest("the request body is empty: send a JSON object".into()),
            );
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
            Err(Error::BadRequest(m)) => assert!(m.contains("line 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        match parse::<Login>(br#"{"email": "a"}"#) {
            Err(Error::Validation { message, .. }) => {
                assert!(message.contains("inner"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
