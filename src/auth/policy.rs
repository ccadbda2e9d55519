//! The password policy: one function for every place a password is chosen (user creation,
//! `PATCH /api/me`, the `academy user add` command, and password reset when it comes).
//!
//! Length limits, no control characters, not the account's own email or name, and a strength
//! estimate from zxcvbn (the Dropbox estimator: dictionaries, keyboard patterns, repeats,
//! sequences, dates, and the account's own details as extra dictionary words).

use zxcvbn::{zxcvbn, Score};

use super::password::{MAX_LENGTH, MIN_LENGTH};

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
pub fn check_password(password: &str, account: Account<'_>) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters long"));
    }
    if n > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters long"));
    }
    if password.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if password.trim().is_empty() {
        return Err("must not be only spaces".into());
    }
    let folded = fold(password);
    let email = fold(account.email);
    let local = email.split('@').next().unwrap_or_default();
    let name = fold(account.name);
    let own = |s: &str| !s.is_empty() && (folded == s || (s.len() >= 6 && folded.contains(s)));
    if own(&email) || (local.len() >= 3 && folded == local) || own(&name) {
        return Err("must not be or contain your email address or name".into());
    }
    let mut inputs: Vec<&str> = vec![account.email, local, account.name];
    inputs.extend(account.name.split_whitespace());
    inputs.retain(|s| !s.is_empty());
    let estimate = zxcvbn(password, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let mut message = String::from("is too easy to guess");
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            message.push_str(&format!(": {warning}"));
        }
        if let Some(hint) = feedback.suggestions().first() {
            message.push_str(&format!(" {hint}"));
        }
    }
    if !message.ends_with('.') {
        message.push('.');
    }
    message.push_str(" A few unrelated words make a strong password.");
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
            check_password("ana.nunez@sme-a.example", ANA).unwrap_err(),
            "must not be or contain your email address or name"
        );
        let m = check_password("1234567890", ANA).unwrap_err();
        assert!(m.starts_with("is too easy to guess"), "{m}");
        assert_eq!(
            check_password("abc\u{7}defghijk", ANA).unwrap_err(),
            "must not contain control characters"
        );
        assert!(check_password(&"x".repeat(MAX_LENGTH + 1), ANA)
            .unwrap_err()
            .contains("at most"));
    }
}
