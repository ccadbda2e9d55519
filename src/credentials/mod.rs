//! Open Badges 3.0: every certificate also exists as an `OpenBadgeCredential` (W3C Verifiable
//! Credentials 2.0), signed as a VC-JWT that anyone can check without asking us.
//!
//! - [`keys`]: the issuer's Ed25519 keys, one PEM file each; the newest signs, all are published
//!   (rotation keeps old credentials verifiable). Every process registers its public keys in the
//!   database, so the key set and DID document are the same whichever process answers.
//! - [`did`]: the issuer's `did:web` (from the public URL), its DID document and the JWK set.
//! - [`document`]: what a credential says (hub as issuer, partner as source, the course as
//!   `Achievement`, the learner as a salted hash of their email).
//! - [`status`]: revocation as a Bitstring Status List; a certificate's index is its id.
//! - [`bake`]: the badge PNG with the credential in an iTXt chunk (the OB 3.0 baking rule).
//! - [`verify`]: our own check of a credential someone hands us (`POST /api/verify`).

pub mod bake;
pub mod did;
pub mod document;
pub mod keys;
mod routes;
pub mod status;
mod store;
pub mod verify;

pub use keys::KeyRing;
pub use routes::{routes, stage, well_known_routes, Doc};
