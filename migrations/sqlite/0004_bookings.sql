-- Advisory slots and bookings. Times are unix seconds (UTC).
-- A slot is withdrawn (deleted_at) rather than deleted, so the history of its bookings is kept.
CREATE TABLE slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisor_id BIGINT NOT NULL REFERENCES users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    topic TEXT NOT NULL CHECK (topic IN ('market_entry', 'finance', 'ip', 'talent')),
    mode TEXT NOT NULL CHECK (mode IN ('online', 'in_person')),
    location TEXT NOT NULL,
    -- The IANA zone the advisor published the slot in (shown next to the UTC times).
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX slots_advisor_start ON slots (advisor_id, starts_at);
CREATE INDEX slots_start ON slots (starts_at);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id BIGINT NOT NULL REFERENCES slots (id),
    learner_id BIGINT NOT NULL REFERENCES users (id),
    sme_id BIGINT NOT NULL REFERENCES smes (id),
    note TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    -- iCalendar: UID stays the same for the booking's life, SEQUENCE grows with each change.
    uid TEXT NOT NULL,
    sequence BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    cancelled_by BIGINT REFERENCES users (id),
    cancelled_by_role TEXT,
    cancel_reason TEXT,
    attended INTEGER CHECK (attended IN (0, 1)),
    outcome_notes TEXT,
    outcome_at BIGINT,
    CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL)
);
-- The rule that makes double-booking impossible: one active booking per slot.
CREATE UNIQUE INDEX bookings_one_active_per_slot ON bookings (slot_id) WHERE status = 'active';
CREATE UNIQUE INDEX bookings_uid ON bookings (uid);
CREATE INDEX bookings_slot ON bookings (slot_id);
CREATE INDEX bookings_learner ON bookings (learner_id, status);
CREATE INDEX bookings_sme ON bookings (sme_id);

-- What a user should be told about (a booking cancelled by the other side).
CREATE TABLE booking_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    booking_id BIGINT NOT NULL REFERENCES bookings (id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX booking_notifications_user ON booking_notifications (user_id, created_at);
