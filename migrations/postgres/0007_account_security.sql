-- Account security: revocable access tokens, soft-disabled and removed users, and the
-- database-backed sign-in throttle (so it holds across processes).

-- Bumped whenever every access token of the user must stop working (password change,
-- disable, removal, move to another role/partner/SME); access tokens carry the version.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
-- Soft states: a disabled or removed user cannot sign in and their tokens stop working, but
-- their enrolments, completions and certificates stay for reporting.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN removed_at BIGINT;

-- Failed sign-ins per key: `account:<email>` (whether or not the account exists) and
-- `client:<address>`. `locked_until` is unix seconds; 0 when not locked.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
