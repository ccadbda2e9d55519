-- The waitlist: a learner waits for a slot of one advisor, or of a topic, or both, on
-- preferred weekdays between two local times (in the learner's zone). When a matching slot
-- is open, the first waiting entry (oldest first) gets a time-limited hold on it: only that
-- learner may book the slot until the hold expires, then it passes to the next entry.
CREATE TABLE waitlist_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner_id BIGINT NOT NULL REFERENCES users (id),
    sme_id BIGINT NOT NULL REFERENCES smes (id),
    advisor_id BIGINT REFERENCES users (id),
    topic TEXT CHECK (topic IS NULL OR topic IN ('market_entry', 'finance', 'ip', 'talent')),
    -- ISO weekdays as bits: 1 << 1 = Monday .. 1 << 7 = Sunday.
    weekdays BIGINT NOT NULL CHECK (weekdays > 0),
    -- Minutes after local midnight: a session must start at or after from_minute and end by
    -- to_minute, in time_zone.
    from_minute BIGINT NOT NULL,
    to_minute BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    note TEXT NOT NULL,
    -- waiting (holds come and go), booked (a hold was claimed), left
    status TEXT NOT NULL CHECK (status IN ('waiting', 'booked', 'left')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (advisor_id IS NOT NULL OR topic IS NOT NULL),
    CHECK (from_minute >= 0 AND to_minute <= 1440 AND from_minute < to_minute)
);
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (status, created_at);
CREATE INDEX waitlist_entries_learner ON waitlist_entries (learner_id, status);

CREATE TABLE waitlist_holds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id BIGINT NOT NULL REFERENCES slots (id),
    entry_id BIGINT NOT NULL REFERENCES waitlist_entries (id),
    learner_id BIGINT NOT NULL REFERENCES users (id),
    -- active, claimed (booked), declined, expired, released (the slot or the entry went away)
    status TEXT NOT NULL CHECK (status IN ('active', 'claimed', 'declined', 'expired', 'released')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
-- Exactly one live hold per slot and per entry, whatever the number of processes.
CREATE UNIQUE INDEX waitlist_one_hold_per_slot ON waitlist_holds (slot_id) WHERE status = 'active';
CREATE UNIQUE INDEX waitlist_one_hold_per_entry ON waitlist_holds (entry_id) WHERE status = 'active';
CREATE INDEX waitlist_holds_entry_slot ON waitlist_holds (entry_id, slot_id);
CREATE INDEX waitlist_holds_due ON waitlist_holds (status, expires_at);

INSERT INTO maintenance_runs (name, next_run_at) VALUES ('waitlist', 0);
