//! Verification codes: `IBA-7K3F-Q9XD`.
//!
//! Eight symbols from Crockford's base-32 alphabet (no I, L, O, U: nothing to confuse with 1, 0
//! or V when read aloud or typed from paper), 40 bits from the operating system's CSPRNG. With
//! 10^5 certificates issued a blind guess hits one with odds of about 1 in 10^7, and the
//! verify endpoints are rate-limited per client address, so codes cannot be enumerated.
//!
//! Typing is forgiving the Crockford way: lower case, spaces, missing hyphens, `O` for `0` and
//! `I`/`L` for `1` are all read as the canonical code.

use std::fmt;

use rand::rngs::OsRng;
use rand::TryRngCore;

/// Crockford's base-32 alphabet.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const PREFIX: &str = "IBA";
/// Random symbols in a code (two groups of four).
pub const SYMBOLS: usize = 8;

/// A canonical verification code, `IBA-XXXX-XXXX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Code(String);

impl Code {
    /// A fresh code from the OS random number generator.
    pub fn generate() -> Result<Code, rand::rand_core::OsError> {
        let mut bytes = [0u8; SYMBOLS];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(Code::from_random(bytes))
    }

    /// Each byte's low five bits pick a symbol: 256 is a multiple of 32, so no bias.
    fn from_random(bytes: [u8; SYMBOLS]) -> Code {
        let symbols: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(b & 0x1f)] as char)
            .collect();
        Code(format!("{PREFIX}-{}-{}", &symbols[..4], &symbols[4..]))
    }

    /// Read a code as a person typed it; `None` when it cannot be one of ours.
    pub fn parse(input: &str) -> Option<Code> {
        if input.len() > 40 {
            return None;
        }
        let mut cleaned = String::with_capacity(16);
        for c in input.chars() {
            match c {
                '-' | ' ' | '\u{2010}'..='\u{2015}' => {}
                c if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_uppercase()),
                _ => return None,
            }
        }
        let rest = match cleaned.strip_prefix(PREFIX) {
            Some(rest) if rest.len() == SYMBOLS => rest,
            _ if cleaned.len() == SYMBOLS => &cleaned,
            _ => return None,
        };
        let mut symbols = String::with_capacity(SYMBOLS);
        for c in rest.chars() {
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            symbols.push(c);
        }
        Some(Code(format!(
            "{PREFIX}-{}-{}",
            &symbols[..4],
            &symbols[4..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A code in a URL path. Anything that cannot be a code is still accepted here and answered
/// with the same 404 as an unknown code, so malformed and unknown codes look alike.
pub struct CodeParam(pub Option<Code>);

impl<'a> rocket::request::FromParam<'a> for CodeParam {
    type Error = std::convert::Infallible;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Ok(CodeParam(Code::parse(param)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn generated_codes_have_the_documented_shape() {
        for _ in 0..200 {
            let code = Code::generate().unwrap();
            let s = code.as_str();
            assert_eq!(s.len(), 13, "{s}");
            assert!(s.starts_with("IBA-"));
            assert_eq!(&s[8..9], "-");
            for c in s[4..8].chars().chain(s[9..].chars()) {
                assert!(ALPHABET.contains(&(c as u8)), "{c} in {s}");
                assert!(!"ILOU".contains(c), "ambiguous {c} in {s}");
            }
            assert_eq!(Code::parse(s).as_ref(), Some(&code));
        }
    }

    #[test]
    fn codes_do_not_repeat() {
        let codes: HashSet<String> = (0..10_000)
            .map(|_| Code::generate().unwrap().into_string())
            .collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn every_symbol_is_reachable_without_bias() {
        let all: Vec<u8> = (0..=255).collect();
        let mut counts = [0usize; 32];
        for chunk in all.chunks(SYMBOLS) {
            let code = Code::from_random(chunk.try_into().unwrap());
            for c in code.as_str()[4..].chars().filter(|c| *c != '-') {
                let i = ALPHABET.iter().position(|a| *a as char == c).unwrap();
                counts[i] += 1;
            }
        }
        assert!(counts.iter().all(|&n| n == 8), "{counts:?}");
    }

    #[test]
    fn typing_is_forgiving() {
        let canonical = Code::parse("IBA-7K3F-Q9XD").unwrap();
        for typed in [
            "iba-7k3f-q9xd",
            "IBA 7K3F Q9XD",
            "IBA7K3FQ9XD",
            "7K3F-Q9XD",
            " iba-7k3f-q9xd ",
        ] {
            assert_eq!(Code::parse(typed).as_ref(), Some(&canonical), "{typed}");
        }
        assert_eq!(
            Code::parse("IBA-O1IL-0000").unwrap().as_str(),
            "IBA-0111-0000"
        );
    }

    #[test]
    fn rejects_what_cannot_be_a_code() {
        for bad in [
            "",
            "IBA-",
            "IBA-7K3F-Q9X",
            "IBA-7K3F-Q9XDD",
            "IBA-7K3F-Q9XU",
            "IBA-7K3F-Q9X%",
            "../../etc/passwd",
            "IBA-7K3F-Q9XÐ",
            &"A".repeat(100),
        ] {
            assert!(Code::parse(bad).is_none(), "{bad}");
        }
    }
}
