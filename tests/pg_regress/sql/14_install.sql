-- CREATE EXTENSION refuses a schema "shortlink" that another role owns: that role could
-- plant look-alike objects in it. Runs in a database of its own, dropped at the end.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP DATABASE IF EXISTS shortlink_install_check;
RESET client_min_messages;
CREATE DATABASE shortlink_install_check;
\c shortlink_install_check
\set SHOW_CONTEXT never
BEGIN;
CREATE ROLE sl_squatter;
CREATE SCHEMA shortlink AUTHORIZATION sl_squatter;
CREATE EXTENSION shortlink;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Into a schema of the installing role, and into none, it installs.
BEGIN;
CREATE SCHEMA shortlink;
CREATE EXTENSION shortlink;
SELECT extname FROM pg_extension WHERE extname = 'shortlink';
ROLLBACK;
CREATE EXTENSION shortlink;
SELECT nspowner::regrole AS owner FROM pg_namespace WHERE nspname = 'shortlink';
\c postgres
DROP DATABASE shortlink_install_check;
