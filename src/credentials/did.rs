//! The issuer's decentralized identifier: `did:web` of the public URL, its DID document, and
//! the same keys as a JWK set.
//!
//! `http://127.0.0.1:8000` is `did:web:127.0.0.1%3A8000`, resolved by verifiers at
//! `https://127.0.0.1:8000/.well-known/did.json`; a public URL with a path
//! (`https://hub.example/academy`) is `did:web:hub.example:academy`, resolved at
//! `https://hub.example/academy/did.json` (served at `/did.json` too).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Value};

use super::keys::key_id;

/// What did:web percent-encodes in a host or path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b':')
    .add(b'%')
    .add(b'[')
    .add(b']')
    .add(b'/')
    .add(b' ')
    .add(b'#')
    .add(b'?');

/// A published public key: its thumbprint and its `x`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicKey {
    pub thumbprint: String,
    pub x: String,
}

/// The `did:web` of a public URL.
pub fn did_web(public_url: &str) -> String {
    let rest = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut did = format!("did:web:{}", utf8_percent_encode(authority, SEGMENT));
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(&utf8_percent_encode(segment, SEGMENT).to_string());
    }
    did
}

/// A public key as a JWK (RFC 8037), named `<did>#<thumbprint>`.
pub fn jwk(did: &str, key: &PublicKey) -> Value {
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key.x,
        "kid": key_id(did, &key.thumbprint),
        "alg": "EdDSA",
        "use": "sig",
    })
}

/// The JWK set (`/.well-known/jwks.json`).
pub fn jwk_set(did: &str, keys: &[PublicKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| jwk(did, k)).collect::<Vec<_>>() })
}

/// The DID document (`/.well-known/did.json`): each key a `JsonWebKey2020` verification
/// method, usable to assert credentials.
pub fn document(did: &str, keys: &[PublicKey]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "id": key_id(did, &k.thumbprint),
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": { "kty": "OKP", "crv": "Ed25519", "x": k.x },
            })
        })
        .collect();
    let ids: Vec<String> = keys.iter().map(|k| key_id(did, &k.thumbprint)).collect();
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1"
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_of_public_urls() {
        assert_eq!(did_web("http://127.0.0.1:8000"), "did:web:127.0.0.1%3A8000");
        assert_eq!(
            did_web("https://academy.example/"),
            "did:web:academy.example"
        );
        assert_eq!(
            did_web("https://hub.example/academy/"),
            "did:web:hub.example:academy"
        );
        assert_eq!(did_web("http://[::1]:8000"), "did:web:%5B%3A%3A1%5D%3A8000");
    }

    #[test]
    fn documents_name_every_key_the_same_way() {
        let keys = [
            PublicKey {
                thumbprint: "a".into(),
                x: "xa".into(),
            },
            PublicKey {
                thumbprint: "b".into(),
                x: "xb".into(),
            },
        ];
        let did = "did:web:h";
        let doc = document(did, &keys);
        assert_eq!(
            doc["assertionMethod"],
            json!(["did:web:h#a", "did:web:h#b"])
        );
        assert_eq!(doc["verificationMethod"][1]["publicKeyJwk"]["x"], "xb");
        let set = jwk_set(did, &keys);
        assert_eq!(set["keys"][0]["kid"], "did:web:h#a");
    }
}
