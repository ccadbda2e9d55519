-- Request counts per client and one-minute window, shared by every process (the certificate
-- verify limit). Old windows are deleted as new ones are counted.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
