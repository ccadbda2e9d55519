//! Our own check of a credential someone hands us: signed by one of our published keys, issued
//! by us, for a certificate we know. Whether it is revoked is the certificate's business.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::did::did_web;
use super::{status, store};
use crate::certificates::{verify_url, Code};
use crate::error::{Error, FieldError, Result};
use crate::messages::Msg;
use crate::msg;

/// A credential that passed: which key signed it, and the certificate it is for.
#[derive(Debug)]
pub struct Checked {
    pub key_id: String,
    pub issuer: String,
    pub code: Code,
    /// The status list index it names (checked against the certificate by the caller).
    pub certificate_id_claimed: Option<(i64, i64)>,
}

fn refuse(msg: Msg) -> Error {
    Error::Rejected(FieldError::new("credential", msg))
}

/// Check a compact JWT against the published keys and our issuer.
pub async fn check(db: &sqlx::AnyPool, public_url: &str, token: &str) -> Result<Checked> {
    let token = token.trim();
    if token.split('.').count() != 3 || token.len() > 64 * 1024 {
        return Err(refuse(msg!("credential.malformed")));
    }
    let header =
        jsonwebtoken::decode_header(token).map_err(|_| refuse(msg!("credential.malformed")))?;
    let did = did_web(public_url);
    let Some(kid) = header.kid.filter(|_| header.alg == Algorithm::EdDSA) else {
        return Err(refuse(msg!("credential.unknown_key")));
    };
    let (kid_did, thumbprint) = kid.rsplit_once('#').unwrap_or(("", kid.as_str()));
    if !kid_did.is_empty() && kid_did != did {
        return Err(refuse(msg!("credential.not_ours")));
    }
    let Some(key) = store::public_key(db, thumbprint).await? else {
        return Err(refuse(msg!("credential.unknown_key")));
    };
    let decoding = DecodingKey::from_ed_components(&key.x)
        .map_err(|e| Error::internal("credential key", e))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    let claims = match jsonwebtoken::decode::<Value>(token, &decoding, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(refuse(match e.kind() {
                ErrorKind::InvalidSignature => msg!("credential.bad_signature"),
                ErrorKind::ImmatureSignature => msg!("credential.not_yet_valid"),
                ErrorKind::ExpiredSignature => msg!("credential.expired"),
                _ => msg!("credential.malformed"),
            }))
        }
    };
    if claims["iss"].as_str() != Some(did.as_str()) {
        return Err(refuse(msg!("credential.not_ours")));
    }
    let prefix = verify_url(public_url, "");
    let code = claims["id"]
        .as_str()
        .and_then(|id| id.strip_prefix(&prefix))
        .and_then(Code::parse)
        .ok_or_else(|| refuse(msg!("credential.not_ours")))?;
    let claimed = claims["credentialStatus"]["statusListIndex"]
        .as_str()
        .and_then(|i| i.parse::<i64>().ok())
        .zip(
            claims["credentialStatus"]["statusListCredential"]
                .as_str()
                .and_then(|u| u.rsplit('/').next())
                .and_then(|l| l.parse::<i64>().ok()),
        )
        .map(|(index, list)| (list, index));
    Ok(Checked {
        key_id: kid,
        issuer: did,
        code,
        certificate_id_claimed: claimed,
    })
}

/// Whether a certificate sits where a credential says its status is.
pub fn status_matches(checked: &Checked, certificate_id: i64) -> bool {
    checked.certificate_id_claimed == Some(status::position(certificate_id))
}
