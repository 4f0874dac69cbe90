-- The shared place memo (src/shared_places.rs), in this cluster that preloads shortlink:
-- a link read through the index by one backend is read from its place by the next,
-- without an index scan (pg_stat_get_xact_numscans counts this transaction's scans of
-- the (domain, code) index); a place gone stale (the row updated, the table rewritten,
-- the row deleted) is noticed and read through the index again; warm_places() remembers
-- every link. Each \c starts a new backend, with nothing in its own memo.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS shortlink;
RESET client_min_messages;

SELECT slots >= 1048576 AS sized, remembered >= 0 AS counted FROM shortlink.shared_place_memo();
DELETE FROM shortlink.links WHERE code LIKE 'shared-%';
SELECT code FROM shortlink.shorten('https://example.com/one', '{"code": "shared-one"}');
SELECT code FROM shortlink.shorten('https://example.com/two', '{"code": "shared-two"}');

-- The first read goes through the index, and remembers the place for every backend.
\c
BEGIN;
SELECT shortlink.resolve('shared-one');
SELECT pg_catalog.pg_stat_get_xact_numscans('shortlink.links_domain_code_key'::regclass) AS index_scans;
COMMIT;
\c
BEGIN;
SELECT shortlink.resolve('shared-one');
SELECT status, location FROM shortlink.record_click('shared-one');
SELECT pg_catalog.pg_stat_get_xact_numscans('shortlink.links_domain_code_key'::regclass) AS index_scans;
COMMIT;

-- Updated: the new version is elsewhere. The old place holds a version this statement
-- does not see, so the read goes through the index, and remembers the new place.
UPDATE shortlink.links SET url = 'https://example.com/one-moved' WHERE code = 'shared-one';
\c
BEGIN;
SELECT shortlink.resolve('shared-one');
SELECT pg_catalog.pg_stat_get_xact_numscans('shortlink.links_domain_code_key'::regclass) AS index_scans;
COMMIT;
\c
BEGIN;
SELECT shortlink.resolve('shared-one');
SELECT pg_catalog.pg_stat_get_xact_numscans('shortlink.links_domain_code_key'::regclass) AS index_scans;
COMMIT;

-- Rewritten: every row has a new place; links still resolve, each right.
VACUUM FULL shortlink.links;
\c
SELECT shortlink.resolve('shared-one') AS one, shortlink.resolve('shared-two') AS two;

-- Deleted: the place may still hold the dead row; the link is gone.
DELETE FROM shortlink.links WHERE code = 'shared-two';
\c
SELECT shortlink.resolve('shared-two') IS NULL AS gone;

-- warm_places() remembers every link the statement sees; a link no backend has read
-- since is then read from its place.
SELECT code FROM shortlink.shorten('https://example.com/three', '{"code": "shared-three"}');
SELECT shortlink.warm_places() = (SELECT count(*) FROM shortlink.links) AS every_link;
\c
BEGIN;
SELECT shortlink.resolve('shared-three');
SELECT pg_catalog.pg_stat_get_xact_numscans('shortlink.links_domain_code_key'::regclass) AS index_scans;
COMMIT;
SELECT remembered >= 2 AS remembered FROM shortlink.shared_place_memo();

-- Owner and superusers only: a role that may use the schema may not warm the memo.
SET client_min_messages = warning;
DROP ROLE IF EXISTS shared_places_app;
CREATE ROLE shared_places_app;
RESET client_min_messages;
GRANT USAGE ON SCHEMA shortlink TO shared_places_app;
SET ROLE shared_places_app;
SELECT shortlink.warm_places();
SELECT slots FROM shortlink.shared_place_memo();
RESET ROLE;
REVOKE USAGE ON SCHEMA shortlink FROM shared_places_app;
DROP ROLE shared_places_app;
DELETE FROM shortlink.links WHERE code LIKE 'shared-%';
