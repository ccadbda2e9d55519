-- Languages are validated by the application (crate::lang, the one list), not by the schema:
-- a new language needs no migration. Certificates may now be printed in Galician.
ALTER TABLE certificates DROP CONSTRAINT IF EXISTS certificates_language_check;
