-- Roles: nothing for PUBLIC; a redirect role resolves and records clicks and can do
-- nothing else; an application role manages links without ever seeing a password hash
-- or the salt of visitor hashes. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

-- PUBLIC holds no privilege on the schema, nor on any function, table or sequence in it
-- (a function whose ACL is NULL would be executable by PUBLIC).
SELECT n.nspacl IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = 0) AS schema_closed_to_public
FROM pg_namespace n WHERE n.nspname = 'shortlink';
SELECT p.oid::regprocedure AS executable_by_public
FROM pg_proc p
WHERE p.pronamespace = 'shortlink'::regnamespace
  AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0));
SELECT c.oid::regclass AS readable_by_public
FROM pg_class c
WHERE c.relnamespace = 'shortlink'::regnamespace AND c.relkind IN ('r', 'S', 'v', 'p')
  AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0);

-- Which functions need more rights than their caller: SECURITY DEFINER, each with a
-- pinned search_path, as is every other function of the extension but six that skip
-- fmgr's SET path for speed. short_url, which get_link and list_links call for every
-- link, formats two strings (src/manage.rs). resolve reads links straight from their index (no
-- privilege needed, no name looked up through search_path; src/resolve.rs);
-- record_click and peek_click do the same on their hot path and run their SPI
-- statements under a search_path they pin themselves (src/plans.rs, and 10_hijack);
-- shorten and autolink (a C trigger function, which finds columns in its own table and
-- types by oid) create links through the same pinned statements or by oid (the direct
-- insert of src/direct_write/link_insert.rs), on every call of a campaign (src/shorten.rs).
SELECT p.oid::regprocedure AS security_definer
FROM pg_proc p WHERE p.pronamespace = 'shortlink'::regnamespace AND p.prosecdef ORDER BY p.proname;
SELECT p.oid::regprocedure AS without_pinned_search_path
FROM pg_proc p
WHERE p.pronamespace = 'shortlink'::regnamespace
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY p.proname;

BEGIN;
CREATE ROLE sl_redirect;
CREATE ROLE sl_app;
CREATE ROLE sl_nobody;
SELECT shortlink.grant_redirect('sl_redirect');
SELECT shortlink.grant_app('sl_app');
SELECT code FROM shortlink.shorten('https://example.com/roles', '{"code": "roles-plain"}');
SELECT code FROM shortlink.shorten('https://example.com/locked', '{"code": "roles-locked", "password": "pw", "callback_url": "https://hooks.example/cb"}');

-- A role with no grant can call nothing.
SET ROLE sl_nobody;
SELECT shortlink.resolve('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://example.com/');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The redirect role: resolve, and record_click with IP and user agent (tracked), a
-- password, a callback.
SET ROLE sl_redirect;
SELECT shortlink.resolve('roles-plain');
SELECT status, location, http_status FROM shortlink.record_click('roles-plain',
    ip => '203.0.113.9', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
SELECT status, location FROM shortlink.record_click('roles-locked', password => 'pw');
-- peek_click: the answer a click would get (a HEAD request), counting nothing.
SELECT status, location, http_status FROM shortlink.peek_click('roles-plain');
SELECT status, http_status FROM shortlink.peek_click('roles-locked');
SELECT status, http_status FROM shortlink.peek_click('roles-nope');
-- … and nothing else.
SELECT url FROM shortlink.links;
\echo :LAST_ERROR_SQLSTATE
SELECT value FROM shortlink.secrets;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.click_events;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.click_counts;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.click_log;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.outbox;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.stats('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.get_link('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.list_links();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.click_stats('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://example.com/');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.link_id('roles-plain');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- The click it recorded (and peek_click did not): anonymised IP, a visitor hash, one
-- outbox event.
SELECT clicks FROM shortlink.stats('roles-plain');
SELECT e.ip, length(e.visitor_hash) AS hash_length, e.browser
FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'roles-plain';
SELECT count(*) AS outbox_events FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'roles-locked';

-- The application role manages links…
SET ROLE sl_app;
SELECT code, url FROM shortlink.shorten('https://example.com/app', '{"code": "roles-app", "max_clicks": 5}');
SELECT idx, ok, code FROM shortlink.shorten_many('[{"url": "https://example.com/b1", "code": "roles-b1"}]');
SELECT code, password_protected, callback_url FROM shortlink.get_link('roles-locked');
SELECT code, clicks FROM shortlink.stats('roles-plain');
SELECT code FROM shortlink.list_links() WHERE code LIKE 'roles-%' ORDER BY code;
-- its date filters too (filter_timestamp is granted with the rest).
SELECT count(*) > 0 AS listed_since FROM shortlink.list_links('{"created_after": "2000-01-01"}');
SELECT dimension, clicks, unique_visitors FROM shortlink.click_stats('roles-plain') WHERE dimension = 'total';
SELECT code, url FROM shortlink.update_link('roles-app', '{"url": "https://example.com/app2"}');
SELECT shortlink.disable('roles-app');
SELECT shortlink.enable('roles-app');
SELECT shortlink.delete_link('roles-b1');
SELECT count(*) AS visible_links FROM shortlink.links WHERE code LIKE 'roles-%';
SELECT count(*) AS visible_events FROM shortlink.click_events e
WHERE e.link_id IN (SELECT l.id FROM shortlink.links l WHERE l.code LIKE 'roles-%');
-- … and its own campaign table fills short URLs through autolink.
RESET ROLE;
CREATE SCHEMA sl_app_tables AUTHORIZATION sl_app;
SET ROLE sl_app;
CREATE TABLE sl_app_tables.campaign (phone text, landing text, short_url text);
CREATE TRIGGER link_it BEFORE INSERT ON sl_app_tables.campaign
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing', 'short_url');
INSERT INTO sl_app_tables.campaign (phone, landing) VALUES ('+14155550123', 'https://example.com/offer');
SELECT short_url LIKE 'https://localhost/%' AS linked FROM sl_app_tables.campaign;
-- It never sees a password hash or the salt, and writes no table directly.
SELECT password_hash FROM shortlink.links;
\echo :LAST_ERROR_SQLSTATE
SELECT value FROM shortlink.secrets;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO shortlink.links (domain, code, url) VALUES ('localhost', 'roles-direct', 'http://127.0.0.1/');
\echo :LAST_ERROR_SQLSTATE
UPDATE shortlink.links SET url = 'http://127.0.0.1/' WHERE code = 'roles-app';
\echo :LAST_ERROR_SQLSTATE
UPDATE shortlink.links SET limited_clicks = 0 WHERE code = 'roles-app';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM shortlink.click_events;
\echo :LAST_ERROR_SQLSTATE
-- Redirect functions and administration are not its own.
SELECT shortlink.resolve('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM shortlink.record_click('roles-plain');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.add_workspace('mine');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.block_host('example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.grant_app('sl_nobody');
\echo :LAST_ERROR_SQLSTATE
-- Privacy settings are a superuser's.
SET shortlink.anonymize_ip = off;
\echo :LAST_ERROR_SQLSTATE
SET shortlink.allow_private_destinations = on;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ROLLBACK;
