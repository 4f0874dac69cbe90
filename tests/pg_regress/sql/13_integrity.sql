-- Integrity and privacy: TRUNCATE leaves no orphans; a domain with links cannot go, and
-- cannot go in a transaction whose snapshot could miss new links; a password-protected
-- link reveals nothing before its password. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
SELECT code FROM shortlink.shorten('https://example.com/t', '{"code": "trunc", "callback_url": "https://hooks.example/cb"}');
SELECT status FROM shortlink.record_click('trunc', user_agent => 'Mozilla/5.0');
-- The click is appended to click_log; maintain() moves it into the counters.
SELECT (SELECT count(*) FROM shortlink.click_log c WHERE c.link_id = shortlink.link_id('trunc')) AS appended,
       (SELECT count(*) FROM shortlink.click_counts c WHERE c.link_id = shortlink.link_id('trunc')) AS counters;
SELECT (shortlink.maintain() ->> 'clicks_counted')::int > 0 AS clicks_counted;
SELECT (SELECT count(*) FROM shortlink.click_log) AS appended,
       (SELECT count(*) FROM shortlink.click_counts) > 0 AS counters,
       (SELECT count(*) FROM shortlink.click_events) > 0 AS events,
       (SELECT count(*) FROM shortlink.outbox) > 0 AS outbox;
SELECT status FROM shortlink.record_click('trunc', user_agent => 'Mozilla/5.0');
TRUNCATE shortlink.links;
SELECT (SELECT count(*) FROM shortlink.click_log) AS appended,
       (SELECT count(*) FROM shortlink.click_counts) AS counters,
       (SELECT count(*) FROM shortlink.click_events) AS events,
       (SELECT count(*) FROM shortlink.outbox) AS outbox;
ROLLBACK;

BEGIN;
SELECT domain FROM shortlink.add_domain('busy.example');
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "keep", "domain": "busy.example"}');
DELETE FROM shortlink.domains WHERE domain = 'busy.example';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT domain FROM shortlink.add_domain('empty.example');
DELETE FROM shortlink.domains WHERE domain = 'empty.example';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

BEGIN;
-- Expired, exhausted or disabled: a protected link says only "password required".
SELECT code FROM shortlink.shorten('https://example.com/secret',
    '{"code": "secret", "password": "pw", "expired_url": "https://example.com/gone", "expire_in": 1}');
UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE code = 'secret';
SELECT status, location, http_status FROM shortlink.record_click('secret');
SELECT status, location, http_status FROM shortlink.record_click('secret', password => 'wrong');
SELECT status, location, http_status FROM shortlink.record_click('secret', password => 'pw');
UPDATE shortlink.links SET expires_at = NULL, disabled = true WHERE code = 'secret';
SELECT status, location, http_status FROM shortlink.record_click('secret');
SELECT status, location, http_status FROM shortlink.record_click('secret', password => 'pw');
SELECT shortlink.resolve('secret') IS NULL AS resolve_reveals_nothing;
ROLLBACK;
