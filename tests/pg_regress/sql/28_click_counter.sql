-- The click counter in shared memory (the suite's cluster preloads shortlink): a link
-- with max_clicks lets exactly max_clicks people through, and a click in a transaction or
-- subtransaction that rolls back neither counts nor uses up the limit; a link with a
-- callback numbers its events from the same count. Top-level transactions, committed and
-- rolled back for real; the links are deleted at the end.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql
\set ON_ERROR_ROLLBACK off
SELECT code FROM shortlink.shorten('https://example.com/c', '{"code": "ctr-three", "max_clicks": 3}');

-- A click rolled back gives its click back.
BEGIN;
SELECT status FROM shortlink.record_click('ctr-three');
ROLLBACK;
-- So does a click in a savepoint rolled back to, and one in a subtransaction that
-- committed into a transaction that then failed.
BEGIN;
SAVEPOINT s;
SELECT status FROM shortlink.record_click('ctr-three');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s2;
SELECT status FROM shortlink.record_click('ctr-three');
RELEASE SAVEPOINT s2;
SELECT 1 / 0;
ROLLBACK;
-- A PL/pgSQL exception block is a subtransaction too.
DO $$
BEGIN
    BEGIN
        PERFORM shortlink.record_click('ctr-three');
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
END $$;
SELECT s.clicks FROM shortlink.stats('ctr-three') s;
-- Three clicks are left, in one transaction or in several; then the link is exhausted.
-- Two in a transaction, then four tries in one statement: one ok.
BEGIN;
SELECT status FROM shortlink.record_click('ctr-three');
SELECT status FROM shortlink.record_click('ctr-three');
COMMIT;
-- (A call per row: in the select list. In FROM, a function that does not depend on the
-- row is called once.)
SELECT n, (shortlink.record_click('ctr-three')).status FROM generate_series(1, 4) n ORDER BY n;
SELECT s.clicks, shortlink.resolve('ctr-three') AS resolves FROM shortlink.stats('ctr-three') s;
-- Bots never use up the limit, and find an exhausted link exhausted.
SELECT status FROM shortlink.record_click('ctr-three', user_agent => 'curl/8.0');
-- A limit raised by one lets one more through; lowered below the count, none.
SELECT max_clicks FROM shortlink.update_link('ctr-three', '{"max_clicks": 4}');
SELECT n, (shortlink.record_click('ctr-three')).status FROM generate_series(1, 2) n ORDER BY n;
SELECT max_clicks FROM shortlink.update_link('ctr-three', '{"max_clicks": 1}');
SELECT status FROM shortlink.record_click('ctr-three');
SELECT s.clicks, s.bot_clicks FROM shortlink.stats('ctr-three') s;

-- A link whose limit is taken off and put back counts the clicks made meanwhile: while it
-- has a slot in the counter, every click of it takes from the slot.
SELECT code FROM shortlink.shorten('https://example.com/c', '{"code": "ctr-onoff", "max_clicks": 3}');
SELECT n, (shortlink.record_click('ctr-onoff')).status FROM generate_series(1, 2) n ORDER BY n;
SELECT max_clicks FROM shortlink.update_link('ctr-onoff', '{"max_clicks": null}');
SELECT n, (shortlink.record_click('ctr-onoff')).status FROM generate_series(1, 2) n ORDER BY n;
SELECT max_clicks FROM shortlink.update_link('ctr-onoff', '{"max_clicks": 5}');
SELECT n, (shortlink.record_click('ctr-onoff')).status FROM generate_series(1, 3) n ORDER BY n;
SELECT s.clicks FROM shortlink.stats('ctr-onoff') s;

-- A transaction that took a click against a limit cannot be prepared: the counter could
-- not give the click back if it were rolled back later.
SELECT code FROM shortlink.shorten('https://example.com/c', '{"code": "ctr-many", "max_clicks": 1000}');
BEGIN;
SELECT status FROM shortlink.record_click('ctr-many');
PREPARE TRANSACTION 'ctr';
\echo :LAST_ERROR_SQLSTATE :LAST_ERROR_MESSAGE
SELECT s.clicks FROM shortlink.stats('ctr-many') s;

-- A hooked link's events carry its count: people numbered one by one, a bot's event the
-- count as it stands, a rolled-back click's number taken by the next click.
SELECT code FROM shortlink.shorten('https://example.com/h', '{"code": "ctr-hook", "callback_url": "https://hooks.example/cb"}');
SELECT status FROM shortlink.record_click('ctr-hook');
BEGIN;
SELECT status FROM shortlink.record_click('ctr-hook');
ROLLBACK;
SELECT status FROM shortlink.record_click('ctr-hook');
SELECT status FROM shortlink.record_click('ctr-hook', user_agent => 'curl/8.0');
SELECT status FROM shortlink.record_click('ctr-hook');
SELECT (o.payload->>'total_clicks')::int AS total_clicks, (o.payload->>'bot')::boolean AS bot
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id
WHERE l.code = 'ctr-hook' ORDER BY o.id;
-- After maintain() folds click_log into the counters, the count goes on from there.
SELECT shortlink.maintain() ? 'clicks_counted' AS maintained;
SELECT status FROM shortlink.record_click('ctr-hook');
SELECT (o.payload->>'total_clicks')::int AS total_clicks, s.clicks
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id, shortlink.stats('ctr-hook') s
WHERE l.code = 'ctr-hook' ORDER BY o.id DESC LIMIT 1;

-- The event and its deliveries (one per distinct target) are written straight to the heap
-- and indexes; a table an operator gave an INSERT trigger takes the executor, with the same
-- rows. Deleting events deletes their deliveries.
SELECT code FROM shortlink.shorten('https://example.com/h', '{"code": "ctr-hooks", "webhook_urls": ["https://b.example/h", "https://a.example/h", "https://b.example/h"]}');
CREATE TABLE public.ctr_seen (tbl text);
CREATE FUNCTION public.ctr_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.ctr_seen VALUES (TG_TABLE_NAME); RETURN NULL; END $$;
SELECT status FROM shortlink.record_click('ctr-hooks');
CREATE TRIGGER ctr_seen AFTER INSERT ON shortlink.deliveries FOR EACH ROW EXECUTE FUNCTION public.ctr_seen();
SELECT status FROM shortlink.record_click('ctr-hooks');
DROP TRIGGER ctr_seen ON shortlink.deliveries;
CREATE TRIGGER ctr_seen AFTER INSERT ON shortlink.outbox FOR EACH ROW EXECUTE FUNCTION public.ctr_seen();
SELECT status FROM shortlink.record_click('ctr-hooks');
DROP TRIGGER ctr_seen ON shortlink.outbox;
SELECT tbl, count(*) FROM public.ctr_seen GROUP BY tbl ORDER BY tbl;
-- In a new backend, a hooked click plans no statement for its event: the rows went
-- straight to the heap (a statement it had prepared would be a cached plan of this one).
\c
SELECT status FROM shortlink.record_click('ctr-hooks');
SELECT count(*) AS event_statements_planned FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident LIKE '%INSERT INTO shortlink.outbox%';
CREATE TRIGGER ctr_seen AFTER INSERT ON shortlink.outbox FOR EACH ROW EXECUTE FUNCTION public.ctr_seen();
SELECT status FROM shortlink.record_click('ctr-hooks');
DROP TRIGGER ctr_seen ON shortlink.outbox;
SELECT count(*) AS event_statements_planned FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident LIKE '%INSERT INTO shortlink.outbox%';
SELECT o.targets, (o.payload->>'total_clicks')::int AS total_clicks,
       o.payload->>'clicked_at' = to_jsonb(o.created_at)->>0 AS clicked_at_as_json,
       array_agg(d.target || ' ' || d.state || ' ' || d.attempts ORDER BY d.target) AS deliveries
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id
JOIN shortlink.deliveries d ON d.event_id = o.id
WHERE l.code = 'ctr-hooks' GROUP BY o.id ORDER BY o.id;
DELETE FROM shortlink.outbox o USING shortlink.links l WHERE l.id = o.link_id AND l.code = 'ctr-hooks';
SELECT count(*) AS deliveries_of_deleted_events FROM shortlink.deliveries d
WHERE NOT EXISTS (SELECT FROM shortlink.outbox o WHERE o.id = d.event_id);
DROP TABLE public.ctr_seen;
DROP FUNCTION public.ctr_seen();

DELETE FROM shortlink.links WHERE code LIKE 'ctr-%';
