-- record_click(): one call per redirect. Status, location and HTTP status for the proxy.
SELECT code FROM shortlink.shorten('https://example.com/two', '{"code": "two", "max_clicks": 2}');
SELECT code FROM shortlink.shorten('https://example.com/old', '{"code": "old"}');
SELECT code FROM shortlink.shorten('https://example.com/off', '{"code": "off"}');
UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE code = 'old';
UPDATE shortlink.links SET disabled = true WHERE code = 'off';

SELECT * FROM shortlink.record_click('two');
SELECT * FROM shortlink.record_click('two');
SELECT * FROM shortlink.record_click('two');   -- max_clicks reached
SELECT * FROM shortlink.record_click('old');   -- expired
SELECT * FROM shortlink.record_click('off');   -- disabled
SELECT * FROM shortlink.record_click('none');  -- unknown

-- Only ok clicks count; resolve() agrees that these links no longer redirect.
SELECT code, clicks FROM shortlink.stats('two');
SELECT code, shortlink.resolve(code) FROM (VALUES ('two'), ('old'), ('off'), ('spring')) v(code);

-- tracking off: clicks are counted, no event row is kept.
SELECT count(*) FROM generate_series(1, 3) g,
       LATERAL shortlink.record_click('vip', ip => ('198.51.100.' || g)::inet);
SELECT clicks FROM shortlink.stats('vip');
SELECT count(*) AS events FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id
WHERE l.code = 'vip';

-- stats() of an unknown code has no row.
SELECT count(*) FROM shortlink.stats('none');

-- A limit set after clicks were counted in the sharded counters: those clicks count
-- against it, for resolve() (which reads the counters straight from their index) as for
-- record_click().
SELECT code FROM shortlink.shorten('https://example.com/later', '{"code": "later-limit"}');
SELECT count(*) FROM generate_series(1, 2) g,
       LATERAL shortlink.record_click('later-limit', ip => ('198.51.100.' || g)::inet);
SELECT max_clicks FROM shortlink.update_link('later-limit', '{"max_clicks": 2}');
SELECT shortlink.resolve('later-limit') IS NULL AS out_of_clicks,
       (SELECT status FROM shortlink.record_click('later-limit')) AS click;
SELECT max_clicks FROM shortlink.update_link('later-limit', '{"max_clicks": 3}');
SELECT shortlink.resolve('later-limit') AS one_click_left;

-- One answer per call, as a shortlink.click_answer row value: in a select list it is one
-- value, in FROM one row, and the planner counts one row per call.
SELECT pg_catalog.pg_get_function_result('shortlink.record_click'::regproc) AS record_click,
       pg_catalog.pg_get_function_result('shortlink.peek_click'::regproc) AS peek_click,
       p.proretset, p.prorows, p.prosecdef
FROM pg_catalog.pg_proc p WHERE p.oid = 'shortlink.record_click'::regproc;
SELECT shortlink.record_click('none') AS answer, (shortlink.peek_click('two')).http_status;
SELECT (a).status, (a).location IS NULL AS no_location, (a).http_status
FROM (SELECT shortlink.peek_click('vip') AS a) s;
SELECT count(*) FROM generate_series(1, 4) g, LATERAL shortlink.peek_click('code-' || g) c
WHERE c.status = 'not_found';
-- A type altered under the C function is refused, never misread.
BEGIN;
ALTER TYPE shortlink.click_answer ADD ATTRIBUTE extra text;
SELECT * FROM shortlink.record_click('vip');
ROLLBACK;
BEGIN;
ALTER TYPE shortlink.click_answer ALTER ATTRIBUTE http_status TYPE bigint;
SELECT * FROM shortlink.peek_click('vip');
ROLLBACK;
SELECT status FROM shortlink.record_click('vip');
