-- Day partitions, rollups, retention and shortlink.maintain(). Timestamps are shown
-- relative to day0, four UTC days ago, so the output does not depend on the date.
SET timezone = 'UTC';
SELECT code FROM shortlink.shorten('https://example.com/rollups', '{"code": "rollup-demo"}');
CREATE TEMP TABLE t0 AS SELECT date_trunc('day', now(), 'UTC') - interval '4 days' AS day0;

-- Click events of four and three days ago, written straight into click_events (the
-- counters of record_click are not involved): hours 0, 1 and 25 after day0, visitors
-- v0..v2 each hour, one bot click per hour. A visitor counts once per hour: the three
-- visitors, seen in three hours, are 9 unique visitors.
INSERT INTO shortlink.click_events (link_id, clicked_at, visitor_hash, device, os, browser,
                                    country, referer_host, is_bot, bot)
SELECT shortlink.link_id('rollup-demo'), t0.day0 + make_interval(hours => h, mins => m),
       'v' || (m % 3), CASE WHEN m < 30 THEN 'mobile' ELSE 'desktop' END, 'iOS', 'Safari',
       'DE', CASE WHEN h = 25 THEN 'news.example' END, m = 55, CASE WHEN m = 55 THEN 'Probe' END
FROM t0, unnest(ARRAY[0, 1, 25]) h, generate_series(0, 55, 5) m;

-- Before maintain() ever ran, every click is in the default partition.
SELECT tableoid::regclass AS partition, count(*) FROM shortlink.click_events
WHERE link_id = shortlink.link_id('rollup-demo') GROUP BY 1;

-- What click_stats says from the raw events.
CREATE TEMP TABLE by_hour AS SELECT * FROM shortlink.click_stats('rollup-demo', bucket => 'hour');
CREATE TEMP TABLE by_day AS SELECT * FROM shortlink.click_stats('rollup-demo');
CREATE TEMP TABLE late AS
    SELECT * FROM shortlink.click_stats('rollup-demo', since => (SELECT day0 + interval '30 minutes' FROM t0));
SELECT s.dimension, s.bucket_start - t0.day0 AS after_day0, s.key, s.clicks, s.unique_visitors, s.bot_clicks
FROM by_hour s, t0 ORDER BY 1, 2, 3;
SELECT dimension, key, clicks, unique_visitors, bot_clicks FROM late WHERE dimension <> 'time' ORDER BY 1, 2;
SELECT unique_visitors, clicks, bot_clicks FROM shortlink.get_link('rollup-demo');

-- maintain(): eight day partitions from today, two for the days that had clicks in the
-- default partition (moved there), and the rollups of every finished hour.
SELECT m->'partitions_created' AS created, m->'partitions_dropped' AS dropped,
       (m->>'rolled_up_to')::timestamptz > now() - interval '2 hours' AS rolled_up_recently,
       m->'rollups_held_back_by' AS held_back
FROM shortlink.maintain() m;
SELECT tableoid::regclass = 'shortlink.click_events_default'::regclass AS in_default,
       clicked_at - (SELECT day0 FROM t0) < interval '1 day' AS first_day, count(*)
FROM shortlink.click_events WHERE link_id = shortlink.link_id('rollup-demo') GROUP BY 1, 2 ORDER BY 2 DESC;
SELECT count(*) AS day_partitions FROM pg_inherits
WHERE inhparent = 'shortlink.click_events'::regclass AND inhrelid <> 'shortlink.click_events_default'::regclass;
SELECT r.period, r.bucket_start - t0.day0 AS after_day0, r.clicks, r.bot_clicks, r.visitors
FROM shortlink.click_rollups r, t0
WHERE r.link_id = shortlink.link_id('rollup-demo') AND r.dimension = 'total' ORDER BY 1, 2;
-- A second run has nothing left to do.
SELECT m->'partitions_created' AS created, m->'rollup_rows' AS rollup_rows FROM shortlink.maintain() m;

-- The same answers from the rollups.
(TABLE by_hour EXCEPT ALL SELECT * FROM shortlink.click_stats('rollup-demo', bucket => 'hour'))
UNION ALL (SELECT * FROM shortlink.click_stats('rollup-demo', bucket => 'hour') EXCEPT ALL TABLE by_hour);
(TABLE by_day EXCEPT ALL SELECT * FROM shortlink.click_stats('rollup-demo'))
UNION ALL (SELECT * FROM shortlink.click_stats('rollup-demo') EXCEPT ALL TABLE by_day);
-- since in the middle of an hour: rollups have hour resolution, so the raw answer (the
-- clicks from minute 30) and the rolled-up one (the whole hour) differ by that half hour.
SELECT l.dimension, l.key, l.clicks AS raw_clicks, s.clicks AS rolled_up_clicks
FROM late l JOIN shortlink.click_stats('rollup-demo', since => (SELECT day0 + interval '30 minutes' FROM t0)) s
  ON s.dimension = l.dimension AND s.key IS NOT DISTINCT FROM l.key AND s.bucket_start IS NOT DISTINCT FROM l.bucket_start
WHERE l.dimension = 'total';

-- Retention: day partitions older than two days go once rolled up; the counts stay.
SET shortlink.click_retention = '2d';
SHOW shortlink.click_retention;
SELECT m->'partitions_dropped' AS dropped, m->'partitions_kept_by_lock_timeout' AS kept
FROM shortlink.maintain() m;
SELECT count(*) AS raw_events_left FROM shortlink.click_events WHERE link_id = shortlink.link_id('rollup-demo');
SELECT raw_from = date_trunc('day', now(), 'UTC') - interval '2 days' AS raw_from_two_days_ago FROM shortlink.rollup_state;
(TABLE by_hour EXCEPT ALL SELECT * FROM shortlink.click_stats('rollup-demo', bucket => 'hour'))
UNION ALL (SELECT * FROM shortlink.click_stats('rollup-demo', bucket => 'hour') EXCEPT ALL TABLE by_hour);
SELECT unique_visitors, clicks, bot_clicks FROM shortlink.get_link('rollup-demo');
-- Minutes only where the raw events are: rolled-up hours show as their first minute.
SELECT s.bucket_start - t0.day0 AS after_day0, s.clicks
FROM shortlink.click_stats('rollup-demo', bucket => 'minute') s, t0 WHERE s.dimension = 'time' ORDER BY 1;
RESET shortlink.click_retention;

-- Row-level security: an application role of another workspace sees none of these
-- rollups, nor the link's statistics; one of the link's workspace sees them.
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
CREATE ROLE sl_rollup_outsider;
CREATE ROLE sl_rollup_insider;
SELECT shortlink.add_workspace('rollup-other') > 0 AS added;
SELECT shortlink.grant_app('sl_rollup_outsider', 'rollup-other'),
       shortlink.grant_app('sl_rollup_insider', 'default');
SET ROLE sl_rollup_outsider;
SELECT count(*) AS rollups_seen FROM shortlink.click_rollups;
SELECT clicks FROM shortlink.click_stats('rollup-demo') WHERE dimension = 'total';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE sl_rollup_insider;
SELECT count(*) > 0 AS rollups_seen FROM shortlink.click_rollups;
SELECT clicks, unique_visitors, bot_clicks FROM shortlink.click_stats('rollup-demo') WHERE dimension = 'total';
-- click_totals of some dimensions: those rows only, the same as in the whole set (and
-- a total row only when asked for).
SELECT t.dimension, count(*) AS keys FROM shortlink.click_totals(shortlink.link_id('rollup-demo'), NULL, NULL, ARRAY['country', 'device']) t GROUP BY 1 ORDER BY 1;
SELECT (SELECT array_agg(t::text ORDER BY t.dimension, t.key) FROM shortlink.click_totals(shortlink.link_id('rollup-demo'), NULL, NULL, ARRAY['country', 'total']) t)
     = (SELECT array_agg(t::text ORDER BY t.dimension, t.key) FROM shortlink.click_totals(shortlink.link_id('rollup-demo'), NULL, NULL) t
        WHERE t.dimension IN ('country', 'total')) AS same_as_all;
SELECT count(*) AS rows_of_no_dimension FROM shortlink.click_totals(shortlink.link_id('rollup-demo'), NULL, NULL, '{}');
-- The total alone (a time series) is summed from the raw events without click_hours'
-- breakdowns: the same hours and figures as with a breakdown beside it.
SELECT (SELECT array_agg(h::text ORDER BY h.bucket_start) FROM shortlink.click_hour_rows(shortlink.link_id('rollup-demo'), NULL, NULL, ARRAY['total']) h)
     = (SELECT array_agg(h::text ORDER BY h.bucket_start) FROM shortlink.click_hour_rows(shortlink.link_id('rollup-demo'), NULL, NULL, ARRAY['total', 'country']) h
        WHERE h.dimension = 'total') AS total_alone_same,
       (SELECT count(*) FROM shortlink.click_hour_rows(shortlink.link_id('rollup-demo'), NULL, NULL, ARRAY['total'])) > 1 AS hours;
SELECT shortlink.maintain();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ROLLBACK;
\set ON_ERROR_ROLLBACK off
\set SHOW_CONTEXT errors

-- Errors.
SET shortlink.click_retention = '-1';
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT shortlink.maintain();
ROLLBACK;

-- Deleting a link takes its rollups along.
CREATE TEMP TABLE gone AS SELECT shortlink.link_id('rollup-demo') AS id;
SELECT count(*) AS rollups_before FROM shortlink.click_rollups r, gone WHERE r.link_id = gone.id;
SELECT shortlink.delete_link('rollup-demo');
SELECT count(*) AS rollups_left FROM shortlink.click_rollups r, gone WHERE r.link_id = gone.id;
