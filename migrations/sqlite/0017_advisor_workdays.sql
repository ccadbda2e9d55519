-- An advisor's working days: the public holidays they follow (a region of
-- src/bookings/holidays.json), the minutes kept free between sessions and the most sessions
-- on one local day. Applied whenever a slot is published, one at a time or by pattern.
CREATE TABLE advisor_settings (
    advisor_id BIGINT PRIMARY KEY REFERENCES users (id),
    holiday_region TEXT,
    buffer_minutes BIGINT NOT NULL DEFAULT 0 CHECK (buffer_minutes >= 0 AND buffer_minutes <= 240),
    daily_cap BIGINT CHECK (daily_cap IS NULL OR (daily_cap >= 1 AND daily_cap <= 48)),
    updated_at BIGINT NOT NULL
);

-- Days off: local dates (YYYY-MM-DD, in the advisor's zone), both included. No slot is
-- published on them; adding one withdraws the open slots of those days.
CREATE TABLE advisor_time_off (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisor_id BIGINT NOT NULL REFERENCES users (id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    CHECK (first_day <= last_day)
);
CREATE INDEX advisor_time_off_advisor ON advisor_time_off (advisor_id, last_day);
