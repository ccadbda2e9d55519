//! Access tokens: HS256 JWTs with pinned algorithm, issuer and audience.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::config::Secret;

pub const ISSUER: &str = "iberobio-academy";
pub const AUDIENCE: &str = "iberobio-academy-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sme: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<i64>,
    /// The refresh-token family (the login session) this token belongs to.
    pub sid: String,
    /// The user's token version when this token was issued: a token whose version is behind
    /// the user's current one is refused (password change, disable, removal, move).
    #[serde(default)]
    pub ver: i64,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Signing keys, built once from the configured secret.
/// Whom an access token is for: what the token carries about its user.
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    pub id: i64,
    pub role: Role,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub token_version: i64,
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl Keys {
    pub fn new(
        secret: &Secret,
        access_minutes: i64,
        refresh_days: i64,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Keys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes())?,
            decoding: DecodingKey::from_secret(secret.expose().as_bytes())?,
            validation,
            access_ttl_secs: access_minutes.max(1) * 60,
            refresh_ttl_secs: refresh_days.max(1) * 86_400,
        })
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }

    /// Claims for a new access token of `who` in session `sid`.
    pub fn claims_for(&self, who: impl Into<Subject>, sid: &str, now: i64) -> Claims {
        let user = who.into();
        Claims {
            sub: user.id.to_string(),
            role: user.role,
            sme: user.sme_id,
            partner: user.partner_id,
            sid: sid.to_string(),
            ver: user.token_version,
            exp: now + self.access_ttl_secs,
            iat: now,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> Keys {
        Keys::new(&Secret("x".repeat(40)), 15, 30).unwrap()
    }

    fn claims(now: i64) -> Claims {
        Claims {
            sub: "1".into(),
            role: Role::Learner,
            sme: Some(2),
            partner: None,
            sid: "s".into(),
            ver: 0,
            exp: now + 900,
            iat: now,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: "j".into(),
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let k = keys();
        let now = crate::clock::now();
        let t = k.issue(&claims(now)).unwrap();
        assert_eq!(k.verify(&t).unwrap().sub, "1");

        // Expired.
        let mut c = claims(now - 3600);
        c.exp = now - 60;
        assert!(k.verify(&k.issue(&c).unwrap()).is_err());
        // Wrong audience and issuer.
        let mut c = claims(now);
        c.aud = "other".into();
        assert!(k.verify(&k.issue(&c).unwrap()).is_err());
        let mut c = claims(now);
        c.iss = "other".into();
        assert!(k.verify(&k.issue(&c).unwrap()).is_err());
        // Another secret.
        let other = Keys::new(&Secret("y".repeat(40)), 15, 30).unwrap();
        assert!(k.verify(&other.issue(&claims(now)).unwrap()).is_err());
        // alg: none.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64.encode(serde_json::to_vec(&claims(now)).unwrap());
        assert!(k.verify(&format!("{header}.{body}.")).is_err());
    }
}
