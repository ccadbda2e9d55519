-- Quiz attempts. The definition an attempt was started on is kept (quiz_versions), so a
-- re-import never changes a running or graded attempt. Times are unix seconds (UTC).
CREATE TABLE quiz_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    -- sha256 of def_json
    hash TEXT NOT NULL,
    -- crate::quizzes::definition::QuizDef as JSON
    def_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX quiz_versions_hash ON quiz_versions (course_id, hash);

CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version_id BIGINT NOT NULL REFERENCES quiz_versions (id),
    -- 1, 2, ...: the n-th attempt of this learner at this quiz
    attempt_no BIGINT NOT NULL CHECK (attempt_no >= 1),
    -- crate::quizzes::layout::Layout: drawn questions and option order
    layout_json TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    -- NULL without a time limit
    deadline BIGINT,
    -- answers as sent ({question_id: answer}), saved during the attempt or at submission
    answers_json TEXT,
    answers_saved_at BIGINT,
    -- open | submitted | late (graded on what was saved in time) | expired (refused)
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'late', 'expired')),
    submitted_at BIGINT,
    score BIGINT CHECK (score BETWEEN 0 AND 100),
    passed INTEGER CHECK (passed IN (0, 1)),
    -- crate::quizzes::grading::Grade
    result_json TEXT,
    -- 1 when grading this attempt completed the course
    completed_course INTEGER NOT NULL DEFAULT 0 CHECK (completed_course IN (0, 1)),
    CHECK ((status = 'open' AND submitted_at IS NULL AND score IS NULL)
        OR (status <> 'open' AND submitted_at IS NOT NULL AND score IS NOT NULL))
);
-- The attempt number is unique: concurrent starts cannot both take the last attempt.
CREATE UNIQUE INDEX quiz_attempts_number ON quiz_attempts (user_id, course_id, attempt_no);
-- At most one open attempt per learner and quiz.
CREATE UNIQUE INDEX quiz_attempts_open ON quiz_attempts (user_id, course_id) WHERE status = 'open';
CREATE INDEX quiz_attempts_course ON quiz_attempts (course_id);
