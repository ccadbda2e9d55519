-- Course materials: metadata here, bytes in the object store under a generated key.
-- A row is written 'pending' before its object and becomes 'ready' after it; a deletion
-- marks it 'deleting' before removing the object. Only 'ready' rows are ever shown, and rows
-- left half-way by a crash are swept at start-up (object first, then row), so no object
-- exists without a row and no visible row exists without its object.
CREATE TABLE materials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES courses (id),
    title TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    object_key TEXT NOT NULL,
    sha256 TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'deleting')),
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX materials_object_key ON materials (object_key);
CREATE INDEX materials_course ON materials (course_id, status);
CREATE INDEX materials_status ON materials (status, updated_at);
