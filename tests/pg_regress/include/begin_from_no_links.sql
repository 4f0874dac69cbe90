-- Included first by the files that start from no links (22 to 27; pg_regress sets
-- PG_ABS_SRCDIR to its --inputdir): the suite's psql settings, the extension, and a
-- transaction, which the including file rolls back, that holds no link, click event,
-- appended click or outbox event and no domain but localhost, as a new install has it
-- (earlier files leave theirs behind). pg_temp.error_of(q) gives the SQLSTATE and
-- message q fails with, or 'ok'.
\i :abs_srcdir/include/preamble.sql
BEGIN;
DELETE FROM shortlink.links;
DELETE FROM shortlink.domains WHERE domain <> 'localhost';
DELETE FROM shortlink.click_events;
DELETE FROM shortlink.click_log;
DELETE FROM shortlink.outbox;
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ' ' || SQLERRM; END $$;
