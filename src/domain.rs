//! The domain's words, in one place: each is an enum that serialises, is stored and is listed in
//! the OpenAPI document as the same lowercase text (`market_entry`, `in_person`, `cancelled`).
//! Languages are [`crate::lang::Lang`]. A leaf: it depends on no feature.
//!
//! Every word decodes from and encodes to a TEXT column (sqlx `Any`), so rows carry the enum and
//! a value the schema would refuse never reaches a handler as a string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;

/// A word that is not one of the list: says which are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub kind: &'static str,
    pub given: String,
    pub expected: &'static str,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a {}: use one of {}",
            self.given, self.kind, self.expected
        )
    }
}

impl std::error::Error for UnknownWord {}

macro_rules! words {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        // The text is the variant in snake_case (serde and the OpenAPI schema derive it from
        // the name; the unit tests check it equals the listed text).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in the order of the list.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The values as text, comma-separated (for messages).
            pub const LIST: &'static str = words!(@join $($text),+);

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Its catalogue entry (`Role.learner`), for messages in the reader's language.
            pub fn word(self) -> &'static str {
                match self {
                    $($name::$variant => concat!(stringify!($name), ".", $text)),+
                }
            }

            /// `None` for anything else (case matters).
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                $name::parse(s).ok_or_else(|| UnknownWord {
                    kind: $kind,
                    given: s.to_string(),
                    expected: $name::LIST,
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl sqlx::Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <str as sqlx::Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <str as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as sqlx::Decode<Any>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }

        impl<'q> sqlx::Encode<'q, Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&str as sqlx::Encode<'q, Any>>::encode(self.as_str(), buf)
            }
        }
    };
    (@join $first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

words!(
    /// What a user is: one role per account.
    Role, "role", {
        Learner => "learner",
        Advisor => "advisor",
        Coordinator => "coordinator",
        Admin => "admin",
    }
);

words!(
    /// What a course or an advisory session is about.
    Topic, "topic", {
        MarketEntry => "market_entry",
        Finance => "finance",
        Ip => "ip",
        Talent => "talent",
    }
);

words!(
    /// Where an advisory session happens.
    Mode, "mode", {
        Online => "online",
        InPerson => "in_person",
    }
);

words!(
    /// A slot as listed: `held` for a learner on its waitlist until the hold expires (listed
    /// to its advisor, admins and that learner); `withdrawn` only inside a booking whose slot
    /// the advisor deleted.
    SlotStatus, "slot status", {
        Open => "open",
        Booked => "booked",
        Held => "held",
        Withdrawn => "withdrawn",
    }
);

words!(
    /// A booking's state.
    BookingStatus, "booking status", {
        Active => "active",
        Cancelled => "cancelled",
    }
);

words!(
    /// A quiz attempt's state: `late` was submitted after the deadline and graded by the quiz's
    /// policy, `expired` was closed when its time ran out.
    AttemptStatus, "attempt status", {
        Open => "open",
        Submitted => "submitted",
        Late => "late",
        Expired => "expired",
    }
);

impl Topic {
    /// The English name (calendar invites and other text written for every reader).
    pub fn label(self) -> &'static str {
        match self {
            Topic::MarketEntry => "Market entry",
            Topic::Finance => "Finance",
            Topic::Ip => "Intellectual property",
            Topic::Talent => "Talent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_text_everywhere<W>(all: &[W])
    where
        W: Serialize + fmt::Display + FromStr + PartialEq + fmt::Debug + Copy,
        <W as FromStr>::Err: fmt::Debug,
    {
        for w in all {
            assert_eq!(serde_json::to_value(w).unwrap(), w.to_string());
            assert_eq!(w.to_string().parse::<W>().unwrap(), *w);
        }
    }

    #[test]
    fn every_word_has_the_same_text_in_json_and_as_text() {
        same_text_everywhere(Role::ALL);
        same_text_everywhere(Topic::ALL);
        same_text_everywhere(Mode::ALL);
        same_text_everywhere(SlotStatus::ALL);
        same_text_everywhere(BookingStatus::ALL);
        same_text_everywhere(AttemptStatus::ALL);
    }

    #[test]
    fn words_round_trip_as_text_and_json() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(Mode::InPerson.as_str(), "in_person");
        assert_eq!(
            serde_json::from_str::<Mode>("\"in_person\"").unwrap(),
            Mode::InPerson
        );
        assert_eq!(Topic::LIST, "market_entry, finance, ip, talent");
    }

    #[test]
    fn an_unknown_word_says_what_is_accepted() {
        let e = "Finance".parse::<Topic>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"Finance\" is not a topic: use one of market_entry, finance, ip, talent"
        );
        assert!(serde_json::from_str::<BookingStatus>("\"gone\"").is_err());
    }

    #[test]
    fn the_document_lists_the_values() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Topic::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["market_entry", "finance", "ip", "talent"])
        );
    }
}
