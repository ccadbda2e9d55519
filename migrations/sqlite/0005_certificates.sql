-- Certificates: one per course completion, issued in the completion's own transaction.
-- What the certificate says is kept as issued (holder, SME, partner, course title, date,
-- score), so the PDF and the verify page show the same thing for as long as it exists.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    completion_id BIGINT NOT NULL REFERENCES course_completions (id) ON DELETE CASCADE,
    -- IBA-XXXX-XXXX (crate::certificates::code)
    code TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    sme_id BIGINT NOT NULL REFERENCES smes (id),
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    language TEXT NOT NULL CHECK (language IN ('en', 'es', 'pt')),
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
CREATE UNIQUE INDEX certificates_one_per_completion ON certificates (completion_id);
CREATE UNIQUE INDEX certificates_code ON certificates (code);
CREATE INDEX certificates_user ON certificates (user_id);
CREATE INDEX certificates_sme ON certificates (sme_id);
CREATE INDEX certificates_partner ON certificates (partner_id);
