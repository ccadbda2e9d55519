-- One number that every course import changes (in the same transaction as the content), read
-- with each access-token check: a process serves its cached catalogue and module pages while
-- the number is the one they were built at, without a statement of its own.
CREATE TABLE content_generation (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO content_generation (id, generation) VALUES (1, 0);
