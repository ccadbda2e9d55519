-- The programme's advisory hours: minutes allotted to an SME per quarter ('2026-Q4', counted
-- in Europe/Madrid) by the coordinator of its partner. No row: no limit for that quarter.
CREATE TABLE advisory_quotas (
    sme_id BIGINT NOT NULL REFERENCES smes (id),
    period TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes >= 0),
    set_by BIGINT REFERENCES users (id),
    set_at BIGINT NOT NULL,
    PRIMARY KEY (sme_id, period)
);
-- A no-show the coordinator waived no longer counts against the SME's hours.
ALTER TABLE bookings ADD COLUMN no_show_waived_at BIGINT;
ALTER TABLE bookings ADD COLUMN no_show_waived_by BIGINT;
