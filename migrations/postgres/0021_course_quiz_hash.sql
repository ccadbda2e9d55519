-- The SHA-256 (hex) of `quiz_json`, written with it by every import: starting a quiz attempt
-- finds the stored version of the current definition by this hash (`quiz_versions.hash`, one
-- index lookup) instead of comparing the definitions' whole text (tens of KB, which
-- PostgreSQL first decompresses). Rows imported before this column existed are filled in at
-- start-up (`courses::import`); until then a start computes the hash itself.
ALTER TABLE courses ADD COLUMN quiz_hash TEXT;
