-- A booking moved to another slot (POST /api/bookings/{id}/reschedule): the notice to the
-- other side says from when to when and who moved it (kind = 'booking_rescheduled').
ALTER TABLE booking_notifications ADD COLUMN from_starts_at BIGINT;
ALTER TABLE booking_notifications ADD COLUMN to_starts_at BIGINT;
ALTER TABLE booking_notifications ADD COLUMN by_role TEXT;
