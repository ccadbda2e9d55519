-- Materials: the partner whose coordinator uploaded a material (NULL for an admin's upload):
-- only an admin or a coordinator of that partner may delete it. Kept from the upload, so a
-- coordinator who later moves to another partner does not take the right along.
ALTER TABLE materials ADD COLUMN partner_id BIGINT REFERENCES partners (id);
UPDATE materials SET partner_id = (
    SELECT u.partner_id FROM users u WHERE u.id = materials.uploaded_by AND u.role = 'coordinator'
);

-- Periodic maintenance shared by every academy process: a job runs when one process moves
-- its next_run_at forward with a conditional UPDATE (the others see no row change and skip).
CREATE TABLE maintenance_runs (
    name TEXT PRIMARY KEY,
    next_run_at BIGINT NOT NULL
);
INSERT INTO maintenance_runs (name, next_run_at) VALUES ('storage_sweep', 0);
