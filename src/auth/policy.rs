//! The password policy: one function for every place a password is chosen (user creation,
//! `PATCH /api/me`, the `academy user add` command, and password reset when it comes).
//!
//! Length limits, no control characters, not the account's own email or name, and a strength
//! estimate from zxcvbn (the Dropbox estimator: dictionaries, keyboard patterns, repeats,
//! sequences, dates, and the account's own details as extra dictionary words).

use zxcvbn::{zxcvbn, Score};

use super::password::{MAX_LENGTH, MIN_LENGTH};
use crate::messages::Msg;
use crate::msg;

/// The weakest zxcvbn score accepted: 3 is "safely unguessable" against online attacks and
/// moderately strong offline (about 10^8 guesses or more).
pub const MIN_SCORE: Score = Score::Three;

/// Who the password is for: their own details must not be (or make) the password.
#[derive(Debug, Clone, Copy, Default)]
pub struct Account<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

/// `Ok` when `password` may be used by `account`; otherwise a message for the `password` field.
pub fn check_password(password: &str, account: Account<'_>) -> Result<(), Msg> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(msg!("password.too_short", min = MIN_LENGTH));
    }
    if n > MAX_LENGTH {
        return Err(msg!("password.too_long", max = MAX_LENGTH));
    }
    if password.chars().any(char::is_control) {
        return Err(msg!("password.control"));
    }
    if password.trim().is_empty() {
        return Err(msg!("password.spaces"));
    }
    let folded = fold(password);
    let email = fold(account.email);
    let local = email.split('@').next().unwrap_or_default();
    let name = fold(account.name);
    let own = |s: &str| !s.is_empty() && (folded == s || (s.len() >= 6 && folded.contains(s)));
    if own(&email) || (local.len() >= 3 && folded == local) || own(&name) {
        return Err(msg!("password.personal"));
    }
    let mut inputs: Vec<&str> = vec![account.email, local, account.name];
    inputs.extend(account.name.split_whitespace());
    inputs.retain(|s| !s.is_empty());
    let estimate = zxcvbn(password, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    // zxcvbn's own feedback is English: it goes to API clients as data (`params.hint`), the
    // words in every language give the advice that always applies.
    let mut message = msg!("password.guessable");
    if let Some(feedback) = estimate.feedback() {
        let hint: Vec<String> = feedback
            .warning()
            .map(|w| w.to_string())
            .into_iter()
            .chain(feedback.suggestions().iter().map(|s| s.to_string()))
            .collect();
        message = message.with("hint", hint.join(" "));
    }
    Err(message)
}

/// Lower-cased, without whitespace: `Ana Núñez` and `ananúñez` compare equal.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANA: Account<'static> = Account {
        email: "ana.nunez@sme-a.example",
        name: "Ana Núñez",
    };

    #[test]
    fn refuses_what_the_attack_found() {
        for weak in [
            "1234567890",
            "          ",
            "\0\0\0\0\0\0\0\0\0\0",
            "ana.nunez@sme-a.example",
            "ANA.NUNEZ@SME-A.EXAMPLE",
            "ana.nunez@sme-a.example1",
            "password123",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "anananunez1",
            "Ana Núñez 1",
            "short",
        ] {
            assert!(check_password(weak, ANA).is_err(), "{weak:?} was accepted");
        }
    }

    #[test]
    fn accepts_passphrases_and_random_strings() {
        for strong in [
            "correct horse battery staple",
            "long enough password",
            "a brand new password",
            "demo-Xq7pLm2RtZ9w",
            "tortilla mar azul 77 faro",
        ] {
            assert_eq!(check_password(strong, ANA), Ok(()), "{strong:?}");
        }
    }

    #[test]
    fn messages_say_what_is_wrong() {
        assert_eq!(
            check_password("ana.nunez@sme-a.example", ANA)
                .unwrap_err()
                .code,
            "password.personal"
        );
        let m = check_password("1234567890", ANA).unwrap_err();
        assert_eq!(m.code, "password.guessable");
        assert!(m.english().contains("too easy to guess"), "{m}");
        assert_eq!(
            check_password("abc\u{7}defghijk", ANA).unwrap_err().code,
            "password.control"
        );
        assert!(check_password(&"x".repeat(MAX_LENGTH + 1), ANA)
            .unwrap_err()
            .english()
            .contains("at most"));
    }
}
