-- The weekly progress digest mailed to coordinators on Monday morning (their zone). On by
-- default; turned off in the profile or with the one-click link in every digest.
ALTER TABLE users ADD COLUMN email_digest BIGINT NOT NULL DEFAULT 1;
INSERT INTO maintenance_runs (name, next_run_at) VALUES ('weekly_digest', 0);
