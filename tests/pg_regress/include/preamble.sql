-- Included first by every file of the suite that needs the extension: psql's settings
-- for the suite and the extension itself.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS shortlink;
RESET client_min_messages;
\set ON_ERROR_ROLLBACK on
