-- Courses imported from courses/, their modules per language, enrolments and progress.
-- Times are unix seconds (UTC); JSON is TEXT.
CREATE TABLE courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL,
    version BIGINT NOT NULL,
    default_language TEXT NOT NULL,
    topic TEXT NOT NULL,
    estimated_minutes BIGINT NOT NULL,
    -- {"en": "...", "es": "..."}
    titles_json TEXT NOT NULL,
    summaries_json TEXT NOT NULL,
    -- ["en", "es", "pt"]: languages any module is written in
    languages_json TEXT NOT NULL,
    -- NULL: every module must be read; otherwise a JSON list of module slugs
    required_modules_json TEXT,
    quiz_required INTEGER NOT NULL CHECK (quiz_required IN (0, 1)),
    pass_mark BIGINT NOT NULL CHECK (pass_mark BETWEEN 1 AND 100),
    -- crate::quizzes::definition::QuizDef as JSON; NULL when the course has no quiz
    quiz_json TEXT,
    content_hash TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX courses_slug ON courses (slug);

-- A module keeps its id across re-imports (progress points at it); a module removed from the
-- files is retired, not deleted, so that learners' completions survive.
CREATE TABLE course_modules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    position BIGINT NOT NULL,
    retired_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX course_modules_slug ON course_modules (course_id, slug);

CREATE TABLE module_contents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    module_id BIGINT NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    html TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX module_contents_language ON module_contents (module_id, language);

CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    enrolled_at BIGINT NOT NULL,
    quiz_best_score INTEGER,
    quiz_passed_at BIGINT
);
CREATE UNIQUE INDEX enrolments_user_course ON enrolments (user_id, course_id);
CREATE INDEX enrolments_course ON enrolments (course_id);

CREATE TABLE module_completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    module_id BIGINT NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    completed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX module_completions_user_module ON module_completions (user_id, module_id);
CREATE INDEX module_completions_user_course ON module_completions (user_id, course_id);

-- One completion per learner and course, whatever the concurrency (issue 6 hangs the
-- certificate off completion id).
CREATE TABLE course_completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    completed_at BIGINT NOT NULL,
    -- the best quiz score when the course has a quiz, else NULL
    score INTEGER
);
CREATE UNIQUE INDEX course_completions_user_course ON course_completions (user_id, course_id);
CREATE INDEX course_completions_course ON course_completions (course_id);
