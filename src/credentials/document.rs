//! What a certificate's Open Badges 3.0 credential says.
//!
//! - `issuer`: the hub, named by its `did:web`.
//! - `credentialSubject.source`: the partner that enrolled the SME (who assessed the
//!   achievement on the hub's behalf, in the specification's words).
//! - `credentialSubject.achievement`: the course, in the certificate's language, with its
//!   criteria, the badge image and `inLanguage`.
//! - The learner is `identifier[0]`: SHA-256 of their email address and a salt, never the
//!   address itself. The salt is a MAC of the certificate code under the server's secret, so
//!   each credential has its own and every process computes the same.
//! - `validFrom` is the completion time; the JWT adds `iss`, `jti` and `nbf`.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::status;
use crate::certificates::i18n::{percent, strings, Lang};
use crate::certificates::{verify_url, CertRow, HUB_NAME};
use crate::clock::rfc3339;

/// The 1EdTech JSON Schema an `OpenBadgeCredential` follows.
pub const SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// What a credential needs besides the certificate as issued.
#[derive(Debug, Default, sqlx::FromRow)]
pub struct Extra {
    /// The holder's address now (the hash is of this).
    pub email: Option<String>,
    pub summaries_json: Option<String>,
    pub default_language: Option<String>,
    pub pass_mark: Option<i64>,
    pub quiz_required: Option<i64>,
}

/// The hub as an issuer profile.
pub fn issuer(public_url: &str, did: &str) -> Value {
    json!({
        "id": did,
        "type": ["Profile"],
        "name": HUB_NAME,
        "url": public_url,
    })
}

/// The credential (unsigned) of a certificate. `salt` is the identity hash's salt.
pub fn credential(public_url: &str, did: &str, row: &CertRow, extra: &Extra, salt: &str) -> Value {
    let lang = Lang::parse(&row.language).unwrap_or(Lang::En);
    let narrative = criteria(lang, &row.course_title, extra);
    let description = extra
        .summaries_json
        .as_deref()
        .and_then(|s| summary(s, lang, extra.default_language.as_deref().unwrap_or("en")))
        .unwrap_or_else(|| narrative.clone());
    let identity = match extra.email.as_deref().map(|e| e.trim().to_lowercase()) {
        Some(email) if !email.is_empty() => ("emailAddress", email),
        // Accounts without an address (none exist today): the holder's name, hashed too.
        _ => ("name", row.holder_name.clone()),
    };
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": verify_url(public_url, &row.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": row.course_title,
        "description": format!("{} · {HUB_NAME}", strings(lang).title),
        "issuer": issuer(public_url, did),
        "validFrom": rfc3339(row.completed_at),
        "awardedDate": rfc3339(row.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity_hash(&identity.1, salt),
                "identityType": identity.0,
                "hashed": true,
                "salt": salt,
            }],
            "achievement": {
                "id": format!("{public_url}/#/courses/{}", row.course_slug),
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": row.course_title,
                "description": description,
                "criteria": { "narrative": narrative },
                "image": {
                    "id": format!("{public_url}/api/credentials/badge.png"),
                    "type": "Image",
                    "caption": HUB_NAME,
                },
                "inLanguage": lang.code(),
                "creator": issuer(public_url, did),
            },
            "source": {
                "id": partner_id(public_url, row.partner_id),
                "type": ["Profile"],
                "name": row.partner_name,
            },
        },
        "credentialStatus": status::entry(public_url, row.id),
        "credentialSchema": [{ "id": SCHEMA, "type": "1EdTechJsonSchemaValidator2019" }],
    })
}

/// The JWT claims: the credential itself plus `iss`, `jti` and `nbf` (VC-JWT as Open Badges
/// 3.0 profiles it).
pub fn claims(mut credential: Value, did: &str, not_before: i64) -> Value {
    let id = credential["id"].clone();
    if let Some(map) = credential.as_object_mut() {
        map.insert("iss".into(), json!(did));
        map.insert("jti".into(), id);
        map.insert("nbf".into(), json!(not_before));
    }
    credential
}

/// `sha256$` + hex(SHA-256(value + salt)), the Open Badges hashed identity.
pub fn identity_hash(value: &str, salt: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(value.as_bytes());
    hash.update(salt.as_bytes());
    format!("sha256${}", hex::encode(hash.finalize()))
}

/// A stable URI for a partner organisation (a UUID v5 of its place on this platform).
fn partner_id(public_url: &str, partner_id: i64) -> String {
    let name = format!("{public_url}/partners/{partner_id}");
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes())
    )
}

fn criteria(lang: Lang, course: &str, extra: &Extra) -> String {
    let t = strings(lang);
    match (extra.quiz_required, extra.pass_mark) {
        (Some(1), Some(mark)) => t
            .criteria_quiz
            .replace("{course}", course)
            .replace("{pass_mark}", &percent(lang, mark as f64)),
        _ => t.criteria_modules.replace("{course}", course),
    }
}

fn summary(summaries_json: &str, lang: Lang, default_language: &str) -> Option<String> {
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(summaries_json).ok()?;
    lang.chain()
        .find_map(|l| map.get(l.code()))
        .or_else(|| map.get(default_language))
        .filter(|s| !s.trim().is_empty())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_hashes_are_sha256_of_value_and_salt() {
        // sha256("abc") with an empty salt.
        assert_eq!(
            identity_hash("abc", ""),
            "sha256$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(identity_hash("a@b.c", "1"), identity_hash("a@b.c", "2"));
    }

    #[test]
    fn claims_add_the_jwt_names_of_what_the_credential_says() {
        let c = claims(json!({"id": "http://h/verify/X"}), "did:web:h", 42);
        assert_eq!(c["iss"], "did:web:h");
        assert_eq!(c["jti"], "http://h/verify/X");
        assert_eq!(c["nbf"], 42);
    }
}
