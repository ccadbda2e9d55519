//! What a URL path names: a typed id per kind of record and the slug of a course or module.
//!
//! A handler's signature says which record its `<id>` is (`SlotId`, not a bare number), so a
//! slot id cannot be passed where a booking id is expected. Something that cannot be one (a
//! word, a negative number, a slug with capitals) never reaches the handler: Rocket answers it
//! like any path that names nothing, a 404 problem. A leaf: it depends on no feature.

use std::fmt;

use rocket::request::FromParam;
use serde::{Deserialize, Serialize};
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;

/// Not an id or a slug: `what` names the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam {
    pub what: &'static str,
    pub given: String,
}

impl fmt::Display for BadParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a {}", self.given, self.what)
    }
}

impl std::error::Error for BadParam {}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident => $what:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl<'a> FromParam<'a> for $name {
            type Error = BadParam;
            fn from_param(param: &'a str) -> Result<Self, BadParam> {
                match param.parse::<i64>() {
                    Ok(n) if n > 0 => Ok($name(n)),
                    _ => Err(BadParam { what: $what, given: param.to_string() }),
                }
            }
        }

        impl sqlx::Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <i64 as sqlx::Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <i64 as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($name(<i64 as sqlx::Decode<Any>>::decode(value)?))
            }
        }

        impl<'q> sqlx::Encode<'q, Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <i64 as sqlx::Encode<'q, Any>>::encode(self.0, buf)
            }
        }
    )+};
}

ids! {
    /// A user account.
    UserId => "user id";
    /// A client company (SME).
    SmeId => "SME id";
    /// An advisor's slot.
    SlotId => "slot id";
    /// A booking of a slot.
    BookingId => "booking id";
    /// A learner's quiz attempt.
    AttemptId => "quiz attempt id";
    /// A course material (a stored file).
    MaterialId => "material id";
    /// A learner's place on a waitlist.
    WaitlistEntryId => "waitlist entry id";
    /// A slot held for someone on its waitlist.
    HoldId => "hold id";
    /// An advisor's days off.
    TimeOffId => "time off id";
}

/// The slug of a course or of a module: lowercase ASCII letters, digits and single inner `-`,
/// at most 80 bytes (`financing-growth`, `eu-grants`). The same rule checks the names of the
/// course folders and module files at import, so every imported slug can be named in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slug<'a>(&'a str);

impl<'a> Slug<'a> {
    pub fn parse(s: &'a str) -> Option<Slug<'a>> {
        Slug::valid(s).then_some(Slug(s))
    }

    pub fn valid(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= 80
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for Slug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::ops::Deref for Slug<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl<'a> FromParam<'a> for Slug<'a> {
    type Error = BadParam;
    fn from_param(param: &'a str) -> Result<Self, BadParam> {
        Slug::parse(param).ok_or_else(|| BadParam {
            what: "slug",
            given: param.to_string(),
        })
    }
}

impl utoipa::PartialSchema for Slug<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$"))
            .max_length(Some(80))
            .into()
    }
}

impl utoipa::ToSchema for Slug<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(SlotId::from_param("42"), Ok(SlotId(42)));
        for bad in ["0", "-3", "4.5", "abc", "", "9223372036854775808", " 1"] {
            let err = SlotId::from_param(bad).unwrap_err();
            assert_eq!(err.what, "slot id", "{bad}");
        }
        assert_eq!(serde_json::to_string(&BookingId(7)).unwrap(), "7");
    }

    #[test]
    fn slugs_follow_the_import_rule() {
        for good in ["financing-growth", "a", "eu-grants-2", "x1"] {
            assert_eq!(Slug::from_param(good).map(|s| s.as_str()), Ok(good));
        }
        for bad in [
            "",
            "Financing",
            "-a",
            "a-",
            "a--b",
            "a_b",
            "a b",
            "ñ",
            &"a".repeat(81),
        ] {
            assert!(Slug::from_param(bad).is_err(), "{bad:?}");
        }
    }
}
