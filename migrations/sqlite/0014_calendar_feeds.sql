-- Calendar subscriptions (GET /api/calendar-feeds/{token}): one per learner or advisor. The
-- token is not stored: it is `<user>-<version>-<MAC of both>`, so the profile can show the
-- same URL again; regenerating raises `version` (old URLs stop working), revoking sets
-- `revoked_at` (the version is kept, so a revoked URL never comes back).
CREATE TABLE calendar_feeds (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    version BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
