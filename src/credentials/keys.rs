//! The issuer's signing keys: Ed25519, one PKCS#8 PEM file each in the keys folder
//! (`ACADEMY_CREDENTIAL_KEYS_DIR`, by default `<data dir>/credential-keys/`).
//!
//! - The key whose file name sorts last signs; every key in the folder is published, so a
//!   credential signed before a rotation still verifies. Rotating is adding a file whose name
//!   sorts later (`openssl genpkey -algorithm ed25519 -out ed25519-20270101.pem`) and
//!   restarting; withdrawing a compromised key is removing its file and its row in
//!   `credential_keys`.
//! - A folder without keys gets one at start-up. Two processes starting together on a shared
//!   folder agree on one: the file is written under a temporary name and hard-linked to its
//!   final name, which fails for the second.
//! - A key's id is its RFC 7638 thumbprint; published with the issuer's DID as
//!   `<did>#<thumbprint>`.

use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::rngs::OsRng;
use rand::TryRngCore;

/// One of our private keys.
pub struct IssuerKey {
    /// RFC 7638 thumbprint of the public key (base64url SHA-256).
    pub thumbprint: String,
    /// The public key (base64url, the JWK `x`).
    pub x: String,
    /// The file it was read from, for messages.
    pub file: PathBuf,
    encoding: EncodingKey,
}

/// The keys of this process, oldest first; the last signs.
pub struct KeyRing {
    keys: Vec<IssuerKey>,
}

impl KeyRing {
    /// Read the keys in `dir`, creating the folder and a first key when there is none.
    /// `Err` is one line naming the file or folder and what to do.
    pub fn load_or_create(dir: &Path) -> Result<KeyRing, String> {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the credential keys folder {}: {e}: set \
                 ACADEMY_CREDENTIAL_KEYS_DIR to a folder this user may write",
                dir.display()
            )
        })?;
        if pem_files(dir)?.is_empty() {
            generate(dir)?;
        }
        let mut keys = Vec::new();
        for file in pem_files(dir)? {
            keys.push(read_key(&file)?);
        }
        if keys.is_empty() {
            return Err(format!("no credential key in {}", dir.display()));
        }
        Ok(KeyRing { keys })
    }

    /// The key that signs new credentials.
    pub fn signer(&self) -> &IssuerKey {
        // load_or_create never builds an empty ring.
        &self.keys[self.keys.len() - 1]
    }

    pub fn all(&self) -> &[IssuerKey] {
        &self.keys
    }

    /// Sign `claims` as a compact JWS (EdDSA) with the signing key, `kid` = `<did>#<thumbprint>`.
    pub fn sign(&self, did: &str, claims: &serde_json::Value) -> Result<String, String> {
        let key = self.signer();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("JWT".into());
        header.kid = Some(key_id(did, &key.thumbprint));
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| e.to_string())
    }
}

/// `<did>#<thumbprint>`: how a key is named in the JWT header, the JWK set and the DID document.
pub fn key_id(did: &str, thumbprint: &str) -> String {
    format!("{did}#{thumbprint}")
}

/// `*.pem` files of `dir`, sorted by name.
fn pem_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read the credential keys folder {}: {e}",
            dir.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn read_key(file: &Path) -> Result<IssuerKey, String> {
    let shown = file.display();
    let pem =
        std::fs::read(file).map_err(|e| format!("cannot read credential key {shown}: {e}"))?;
    let not_ed25519 = |e: jsonwebtoken::errors::Error| {
        format!(
            "credential key {shown} is not an Ed25519 private key in PKCS#8 PEM ({e}): make one \
             with `openssl genpkey -algorithm ed25519 -out {shown}`"
        )
    };
    let encoding = EncodingKey::from_ed_pem(&pem).map_err(not_ed25519)?;
    let jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).map_err(not_ed25519)?;
    let AlgorithmParameters::OctetKeyPair(params) = &jwk.algorithm else {
        return Err(format!("credential key {shown} is not an Ed25519 key"));
    };
    let thumbprint = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(not_ed25519)?;
    Ok(IssuerKey {
        thumbprint,
        x: params.x.clone(),
        file: file.to_path_buf(),
        encoding,
    })
}

/// Write a fresh key as `ed25519-<UTC time>.pem`, owner-readable only.
fn generate(dir: &Path) -> Result<(), String> {
    use ed25519_dalek::ed25519::pkcs8::{EncodePrivateKey, KeypairBytes};
    let mut seed = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("no randomness for a credential key: {e}"))?;
    // PKCS#8 v1 (the private key alone), as `openssl genpkey -algorithm ed25519` writes it.
    let der = KeypairBytes {
        secret_key: seed,
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|e| format!("encoding a credential key: {e}"))?;
    let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_bytes().to_vec()));
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    let target = dir.join(format!("ed25519-{stamp}.pem"));
    let temporary = dir.join(format!(".new-{}.tmp", crate::crypto::random_token(12)));
    crate::config::write_owner_only(&temporary, &text)
        .map_err(|e| format!("cannot write a credential key in {}: {e}", dir.display()))?;
    let linked = std::fs::hard_link(&temporary, &target);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::info!(file = %target.display(), "credential signing key created");
            Ok(())
        }
        // Another process made the same file first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!(
            "cannot write credential key {}: {e}",
            target.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_then_reused_and_the_last_file_signs() {
        let dir = tempfile::tempdir().unwrap();
        let first = KeyRing::load_or_create(dir.path()).unwrap();
        assert_eq!(first.all().len(), 1);
        let again = KeyRing::load_or_create(dir.path()).unwrap();
        assert_eq!(again.all().len(), 1);
        assert_eq!(again.signer().thumbprint, first.signer().thumbprint);
        // Rotation: a file named to sort later takes over signing; the old key stays.
        std::fs::copy(
            &first.signer().file,
            dir.path().join("ed25519-99991231T000000Z.pem"),
        )
        .unwrap();
        generate_into(dir.path(), "zz-rotated.pem");
        let rotated = KeyRing::load_or_create(dir.path()).unwrap();
        assert_eq!(rotated.all().len(), 3);
        assert!(rotated.signer().file.ends_with("zz-rotated.pem"));
        assert_ne!(rotated.signer().thumbprint, first.signer().thumbprint);
    }

    #[test]
    fn a_file_that_is_not_an_ed25519_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.pem"), "not a key").unwrap();
        let err = KeyRing::load_or_create(dir.path()).err().unwrap();
        assert!(
            err.contains("broken.pem") && err.contains("openssl genpkey"),
            "{err}"
        );
    }

    fn generate_into(dir: &Path, name: &str) {
        let other = tempfile::tempdir().unwrap();
        generate(other.path()).unwrap();
        let made = pem_files(other.path()).unwrap().remove(0);
        std::fs::copy(made, dir.join(name)).unwrap();
    }
}
