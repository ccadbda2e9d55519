-- Email. Every message is a row of the outbox, written in the same transaction as the event
-- that causes it, and delivered by a background worker (crate::mail). Rendered when queued:
-- the worker only sends. A message with a dedupe_key (a reminder) is queued at most once.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- what the message is (crate::mail::Kind): invitation, password_reset, booking_confirmed, ...
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    -- an iCalendar attachment (METHOD:REQUEST or CANCEL), when the message carries one
    calendar TEXT,
    -- the one-click unsubscribe link (RFC 8058) of reminders and digests
    unsubscribe_url TEXT,
    dedupe_key TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- a worker holds a claimed row until then; after it (a crash) the row is due again
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Single-use links sent by mail: a password reset or an invitation to set a first password.
-- Only the SHA-256 of the token is stored.
CREATE TABLE account_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose TEXT NOT NULL CHECK (purpose IN ('password_reset', 'invitation')),
    token_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX account_tokens_hash ON account_tokens (token_hash);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- Reminders of advisory sessions (not security mail) can be turned off.
ALTER TABLE users ADD COLUMN email_reminders BIGINT NOT NULL DEFAULT 1;
-- Set while an invited person has not chosen a password yet.
ALTER TABLE users ADD COLUMN invited_at BIGINT;
INSERT INTO maintenance_runs (name, next_run_at) VALUES ('booking_reminders', 0);
