-- Partners, SMEs, users and refresh tokens. Times are unix seconds (UTC).
CREATE TABLE partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    country TEXT NOT NULL CHECK (country IN ('ES', 'PT')),
    region TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX partners_name ON partners (name);

CREATE TABLE smes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    country TEXT NOT NULL CHECK (country IN ('ES', 'PT')),
    region TEXT NOT NULL,
    sector TEXT NOT NULL,
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX smes_partner ON smes (partner_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('learner', 'advisor', 'coordinator', 'admin')),
    sme_id BIGINT REFERENCES smes (id),
    partner_id BIGINT REFERENCES partners (id),
    locale TEXT NOT NULL DEFAULT 'en',
    time_zone TEXT NOT NULL DEFAULT 'Europe/Madrid',
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (role <> 'learner' OR sme_id IS NOT NULL),
    CHECK (role <> 'coordinator' OR partner_id IS NOT NULL)
);
-- Emails are stored lower-cased: unique case-insensitively.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_sme ON users (sme_id);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
