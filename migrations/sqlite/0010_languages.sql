-- Languages are validated by the application (crate::lang, the one list), not by the schema:
-- a new language needs no migration. Certificates may now be printed in Galician.
-- SQLite cannot drop a CHECK constraint: the table is rebuilt with the same columns, rows and
-- indexes (no other table references certificates).
CREATE TABLE certificates_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    completion_id BIGINT NOT NULL REFERENCES course_completions (id) ON DELETE CASCADE,
    -- IBA-XXXX-XXXX (crate::certificates::code)
    code TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    sme_id BIGINT NOT NULL REFERENCES smes (id),
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    -- a code of crate::lang::Lang
    language TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    sme_name TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    course_slug TEXT NOT NULL,
    course_title TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    -- YYYY-MM-DD in the learner's time zone when it was issued
    completed_on TEXT NOT NULL,
    score BIGINT,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by BIGINT REFERENCES users (id),
    revocation_reason TEXT,
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
INSERT INTO certificates_new (id, completion_id, code, user_id, course_id, sme_id, partner_id,
    language, holder_name, sme_name, partner_name, course_slug, course_title, completed_at,
    completed_on, score, issued_at, revoked_at, revoked_by, revocation_reason)
SELECT id, completion_id, code, user_id, course_id, sme_id, partner_id,
    language, holder_name, sme_name, partner_name, course_slug, course_title, completed_at,
    completed_on, score, issued_at, revoked_at, revoked_by, revocation_reason
FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_new RENAME TO certificates;
CREATE UNIQUE INDEX certificates_one_per_completion ON certificates (completion_id);
CREATE UNIQUE INDEX certificates_code ON certificates (code);
CREATE INDEX certificates_user ON certificates (user_id);
CREATE INDEX certificates_sme ON certificates (sme_id);
CREATE INDEX certificates_partner ON certificates (partner_id);
