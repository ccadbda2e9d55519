-- Open Badges 3.0: the public keys credentials are signed with. Every process registers the
-- keys of its keys folder at start-up; the JWK set and the DID document list them all, so a
-- credential verifies whichever process signed it and whichever answers the verifier.
CREATE TABLE credential_keys (
    -- RFC 7638 thumbprint (base64url SHA-256 of the public JWK)
    thumbprint TEXT PRIMARY KEY,
    -- the Ed25519 public key, base64url (the JWK's "x")
    x TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
