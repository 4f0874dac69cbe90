-- bench/run.sh --large: grows the benchmark database to 10^7 links and 10^8 click events
-- over the past year, loaded set-wise (the figures are about reading and writing at that
-- size, not about loading it), then rolled up by shortlink.maintain().
--   psql -v first=100001 -v links=10000000 -v events=100000000 -f large_load.sql
-- Links bench<first> .. bench<links> join the links of the small run, so the resolve legs
-- draw from all of them. Link bench-year gets a tenth of the events over the year, the
-- rest go to links bench1 .. bench100 (about 100 clicks an hour each).
\timing on
INSERT INTO shortlink.links (domain, code, url)
SELECT 'localhost', 'bench' || g, 'https://example.com/page/' || g
FROM generate_series(:first, :links) g;
SELECT FROM shortlink.shorten('https://example.com/year', '{"code": "bench-year"}');

-- Day partitions for the past year first: maintain() makes a partition for each day that
-- has a click in the default partition, so one click per day is enough. Those clicks and
-- their rollups are then removed, so that the events below are rolled up from the start.
INSERT INTO shortlink.click_events (link_id, clicked_at)
SELECT shortlink.link_id('bench-year'), d
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '366 days', now(), interval '1 day') d;
SELECT shortlink.maintain() ->> 'partitions_created' AS partitions_created;
-- From TRUNCATE to the last event in one transaction: a maintain() of the maintenance
-- worker in between would set rolled_up_to to this hour before any event, and the
-- back-dated events below would never be rolled up.
BEGIN;
TRUNCATE shortlink.click_events, shortlink.click_rollups, shortlink.rollup_state;

-- The events, spread uniformly over the past year, from 1,000 visitors.
INSERT INTO shortlink.click_events (link_id, clicked_at, visitor_hash, device, os, browser,
                                    country, referer_host, is_bot, bot)
SELECT CASE WHEN g % 10 = 0 THEN y.id ELSE 1 + g % 100 END,
       now() - random() * interval '365 days',
       md5((g % 1000)::text),
       (ARRAY['mobile', 'desktop', 'tablet'])[1 + g % 3],
       (ARRAY['iOS', 'Android', 'Windows', 'macOS'])[1 + g % 4],
       (ARRAY['Safari', 'Chrome', 'Firefox', 'Edge', 'Samsung Internet'])[1 + g % 5],
       (ARRAY['IN', 'DE', 'US', 'BR', 'GB', 'FR'])[1 + g % 6],
       (ARRAY[NULL, 'mail.example', 'sms.example', 'news.example'])[1 + g % 4],
       g % 50 = 0,
       CASE WHEN g % 50 = 0 THEN 'Probe' END
FROM generate_series(1, :events) g,
     (SELECT shortlink.link_id('bench-year') AS id) y;
COMMIT;
SELECT count(*) AS default_partition_rows FROM shortlink.click_events_default;

-- Rolls up every finished hour of the year, with room to sort in memory (a first
-- rollup of a large table is the one time maintain() sorts this much).
SET work_mem = '1GB';
SELECT shortlink.maintain() - 'rolled_up_to' AS maintain;
VACUUM ANALYZE shortlink.links;
VACUUM ANALYZE shortlink.click_events;
VACUUM ANALYZE shortlink.click_rollups;
