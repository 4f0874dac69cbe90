-- Clicks appended to click_log, and click events written straight to the day partition
-- of click_events that takes them (src/direct_write/append.rs): counts exact before and after
-- maintain() adds click_log up; the executor takes over for a table an operator changed
-- (a trigger, a column with a default); the visitor hash is PostgreSQL's sha256 of the
-- salt, address and user agent. Self-contained: everything is rolled back.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS shortlink;
RESET client_min_messages;

BEGIN;
-- Today's day partition exists.
SELECT shortlink.maintain() ? 'clicks_counted' AS maintained;
SELECT code FROM shortlink.shorten('https://example.com/log', '{"code": "log-demo"}');
SELECT code FROM shortlink.shorten('https://example.com/log', '{"code": "log-quiet", "tracking": false}');
SELECT code FROM shortlink.shorten('https://example.com/log', '{"code": "log-limited", "max_clicks": 3}');
-- Two people and a bot click each link.
SELECT c.code, count(*) FILTER (WHERE r.status = 'ok') AS ok
FROM unnest(ARRAY['log-demo', 'log-quiet', 'log-limited']) c(code),
     unnest(ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
                  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36',
                  'curl/8.0']) u(ua),
     LATERAL shortlink.record_click(c.code, ip => '203.0.113.9', user_agent => u.ua) r
GROUP BY c.code ORDER BY c.code;
-- Every click is a row of click_log: with shortlink preloaded (as here), a person's click
-- of a link with max_clicks too, taken first from the click counter in shared memory (not
-- preloaded, it would count on the link's row, limited_clicks).
SELECT l.code, l.limited_clicks,
       (SELECT count(*) FILTER (WHERE NOT g.is_bot) FROM shortlink.click_log g WHERE g.link_id = l.id) AS logged_people,
       (SELECT count(*) FILTER (WHERE g.is_bot) FROM shortlink.click_log g WHERE g.link_id = l.id) AS logged_bots
FROM shortlink.links l WHERE l.code LIKE 'log-%' ORDER BY l.code;
SELECT s.code, s.clicks, s.bot_clicks, s.last_clicked_at = now() AS clicked_now
FROM unnest(ARRAY['log-demo', 'log-quiet', 'log-limited']) c(code), shortlink.stats(c.code) s
ORDER BY s.code;
-- The limit counts click_log too: one click is left, then the link is exhausted.
SELECT status FROM shortlink.record_click('log-limited');
SELECT status FROM shortlink.record_click('log-limited');
SELECT shortlink.resolve('log-limited') AS resolves;

-- The events of the tracking link, in today's partition, with PostgreSQL's visitor hash.
SELECT e.tableoid::regclass::text = 'shortlink.click_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') AS in_todays_partition,
       e.is_bot, e.bot, e.browser, e.ip,
       e.visitor_hash = encode(sha256(convert_to(
           (SELECT s.value FROM shortlink.secrets s WHERE s.name = 'visitor_salt')
           || '|203.0.113.9|' || e.user_agent, 'UTF8')), 'hex') AS same_hash,
       e.id IS NOT NULL AS has_id, e.clicked_at = now() AS stamped_now
FROM shortlink.click_events e WHERE e.link_id = shortlink.link_id('log-demo')
ORDER BY e.is_bot, e.browser;
SELECT count(*) = count(DISTINCT e.id) AS ids_unique FROM shortlink.click_events e;
SELECT count(*) AS events_of_untracked FROM shortlink.click_events e
WHERE e.link_id = shortlink.link_id('log-quiet');

-- maintain() moves click_log into the counters in one statement; the counts stay.
SELECT count(*) AS appended FROM shortlink.click_log \gset
SELECT (shortlink.maintain() ->> 'clicks_counted')::int = :appended AS all_counted;
SELECT count(*) AS left_in_log FROM shortlink.click_log;
SELECT s.code, s.clicks, s.bot_clicks
FROM unnest(ARRAY['log-demo', 'log-quiet', 'log-limited']) c(code), shortlink.stats(c.code) s
ORDER BY s.code;
SELECT c.code, g.clicks, g.bot_clicks FROM unnest(ARRAY['log-demo', 'log-quiet']) c(code),
     shortlink.get_link(c.code) g ORDER BY c.code;

-- A trigger an operator puts on click_log or click_events fires: those inserts go
-- through the executor.
CREATE TABLE public.clicks_seen (tbl text, link_id bigint);
CREATE FUNCTION public.click_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.clicks_seen VALUES (TG_TABLE_NAME, NEW.link_id);
    RETURN NEW;
END $$;
CREATE TRIGGER seen AFTER INSERT ON shortlink.click_log FOR EACH ROW EXECUTE FUNCTION public.click_seen();
CREATE TRIGGER seen AFTER INSERT ON shortlink.click_events FOR EACH ROW EXECUTE FUNCTION public.click_seen();
SELECT status FROM shortlink.record_click('log-demo', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SELECT tbl LIKE 'click_events_%' AS events_partition, tbl = 'click_log' AS log, count(*)
FROM public.clicks_seen GROUP BY 1, 2 ORDER BY 1, 2;
DROP TRIGGER seen ON shortlink.click_log;
DROP TRIGGER seen ON shortlink.click_events;
-- So does a statement trigger on click_events, which fires only when the executor
-- inserts through it.
CREATE FUNCTION public.click_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.clicks_seen VALUES (TG_TABLE_NAME || ' statement', NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER seen_statement AFTER INSERT ON shortlink.click_events
    FOR EACH STATEMENT EXECUTE FUNCTION public.click_statement();
SELECT status FROM shortlink.record_click('log-demo', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SELECT tbl, count(*) FROM public.clicks_seen WHERE tbl LIKE '% statement' GROUP BY 1;
DROP TRIGGER seen_statement ON shortlink.click_events;

-- A column an operator adds, with a volatile default, is filled by the executor.
ALTER TABLE shortlink.click_log ADD COLUMN noted_at timestamptz DEFAULT clock_timestamp();
SELECT status FROM shortlink.record_click('log-quiet');
SELECT count(*) AS rows, count(noted_at) AS noted FROM shortlink.click_log;
ALTER TABLE shortlink.click_log DROP COLUMN noted_at;
-- A dropped column is no obstacle: straight appends again.
SELECT status FROM shortlink.record_click('log-quiet');
SELECT s.clicks FROM shortlink.stats('log-quiet') s;

-- A link read before is read from its heap page the next time, while the version there
-- is the one the statement sees: a changed, a deleted and a recreated link are found anew.
SELECT shortlink.resolve('log-demo') AS before;
UPDATE shortlink.links SET url = 'https://example.com/changed' WHERE code = 'log-demo';
SELECT shortlink.resolve('log-demo') AS after_update;
SELECT status, location FROM shortlink.record_click('log-demo');
SELECT shortlink.resolve('log-quiet') AS before;
DELETE FROM shortlink.links WHERE code = 'log-quiet';
SELECT shortlink.resolve('log-quiet') AS deleted;
SELECT status FROM shortlink.record_click('log-quiet');
SELECT code FROM shortlink.shorten('https://example.com/again', '{"code": "log-quiet"}');
SELECT shortlink.resolve('log-quiet') AS recreated;
SELECT status, location FROM shortlink.record_click('log-quiet');
-- shortlink.remembered_links bounds the places a backend remembers: with room for one
-- link (the memo emptied at each other link read) or for none, each link still reads
-- as its own.
SET LOCAL shortlink.remembered_links = 1;
SELECT c.code, shortlink.resolve(c.code), r.status, r.location
FROM unnest(ARRAY['log-demo', 'log-quiet', 'log-demo', 'log-limited', 'log-quiet']) WITH ORDINALITY c(code, n),
     LATERAL shortlink.peek_click(c.code) r
ORDER BY c.n;
SET LOCAL shortlink.remembered_links = 0;
SELECT c.code, shortlink.resolve(c.code), r.status, r.location
FROM unnest(ARRAY['log-demo', 'log-quiet', 'log-demo', 'log-limited', 'log-quiet']) WITH ORDINALITY c(code, n),
     LATERAL shortlink.peek_click(c.code) r
ORDER BY c.n;
RESET shortlink.remembered_links;

-- Without today's partition, the event lands in the default partition.
DO $$
BEGIN
    EXECUTE format('ALTER TABLE shortlink.click_events DETACH PARTITION shortlink.%I',
                   'click_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD'));
END $$;
SELECT status FROM shortlink.record_click('log-demo', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SELECT e.tableoid::regclass AS partition, count(*) FROM shortlink.click_events e
WHERE e.link_id = shortlink.link_id('log-demo') GROUP BY 1;
ROLLBACK;

SET shortlink.remembered_links = -1;
SHOW shortlink.remembered_links;

-- A remembered place on a page VACUUM has since cut off the table is not read: the link
-- is looked up through the index (and is gone). Committed, then removed.
SELECT count(*) FROM generate_series(1, 2000) g,
     LATERAL shortlink.shorten('https://example.com/tail/' || g, jsonb_build_object('code', 'tail' || g));
SELECT shortlink.resolve('tail2000') AS remembered;
SELECT pg_relation_size('shortlink.links') AS size_before \gset
DELETE FROM shortlink.links WHERE code LIKE 'tail%';
VACUUM shortlink.links;
SELECT pg_relation_size('shortlink.links') < :size_before AS truncated;
SELECT shortlink.resolve('tail2000') IS NULL AS gone;
SELECT status FROM shortlink.record_click('tail2000');
