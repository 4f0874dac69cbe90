-- Click analytics that stay fast as click events pile up: day partitions of click_events,
-- rollups per link and UTC hour and day, retention, and shortlink.maintain(), which keeps
-- all three.
--
-- What "exact" means here. clicks and bot_clicks are sums and stay exact through rollups.
-- A visitor is one visitor hash (IP and user agent) within one UTC hour: someone who
-- clicks five times in ten minutes is one visitor, someone who clicks in the morning and
-- in the evening is two. That is what lets a year of statistics be summed from 8,760
-- hours instead of counted from every click, and it is the same before and after an hour
-- is rolled up.

-- Click events of one link (or all) in [since, until) summed per UTC hour, for the total and each
-- breakdown: the rows of shortlink.click_rollups (period 'hour') that they will become.
-- These three functions are PL/pgSQL for its plan cache and custom plans: a plan made
-- with the actual bounds prunes click_events to the day partitions they cover, where a
-- generic one would plan a scan of every partition. plan_cache_mode keeps them custom:
-- left to choose, the plan cache tries a generic plan at a statement's sixth run (in each
-- backend), and planning one over a year of day partitions took 80 ms of a request.
CREATE FUNCTION shortlink.click_hours(link bigint, since timestamptz, until timestamptz)
RETURNS TABLE (link_id bigint, bucket_start timestamptz, dimension text, key text,
               clicks bigint, bot_clicks bigint, visitors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    -- The bounds as variables, not coalesce() in the conditions: see click_hour_rows.
    lo timestamptz := coalesce(since, '-infinity');
    hi timestamptz := coalesce(until, 'infinity');
BEGIN
    -- link NULL: every link (maintain()). A custom plan folds the test away either way.
    RETURN QUERY
    SELECT e.link_id, e.h,
           CASE WHEN grouping(e.referer_host) = 0 THEN 'referer_host'
                WHEN grouping(e.device) = 0 THEN 'device'
                WHEN grouping(e.os) = 0 THEN 'os'
                WHEN grouping(e.browser) = 0 THEN 'browser'
                WHEN grouping(e.country) = 0 THEN 'country'
                WHEN grouping(e.bot) = 0 THEN 'bot'
                WHEN grouping(e.region) = 0 THEN 'region'
                WHEN grouping(e.city) = 0 THEN 'city'
                WHEN grouping(e.os_version) = 0 THEN 'os_version'
                ELSE 'total' END,
           CASE WHEN grouping(e.referer_host) = 0 THEN e.referer_host
                WHEN grouping(e.device) = 0 THEN e.device
                WHEN grouping(e.os) = 0 THEN e.os
                WHEN grouping(e.browser) = 0 THEN e.browser
                WHEN grouping(e.country) = 0 THEN e.country
                WHEN grouping(e.bot) = 0 THEN e.bot
                WHEN grouping(e.region) = 0 THEN e.region
                WHEN grouping(e.city) = 0 THEN e.city
                WHEN grouping(e.os_version) = 0 THEN e.os_version END,
           count(*) FILTER (WHERE NOT e.is_bot),
           count(*) FILTER (WHERE e.is_bot),
           count(DISTINCT e.visitor_hash) FILTER (WHERE NOT e.is_bot)
    -- Keys that say which one: 'Springfield, Illinois, US' and 'Springfield, Oregon, US'
    -- are two cities, 'iOS 17.4' and 'Android 17.4' two versions.
    FROM (SELECT ce.link_id, date_trunc('hour', ce.clicked_at, 'UTC') AS h, ce.referer_host,
                 ce.device, ce.os, ce.browser, ce.country, ce.is_bot, ce.visitor_hash, ce.bot,
                 CASE WHEN ce.region IS NOT NULL
                      THEN concat_ws(', ', ce.region, ce.country) END AS region,
                 CASE WHEN ce.city IS NOT NULL
                      THEN concat_ws(', ', ce.city, ce.region, ce.country) END AS city,
                 CASE WHEN ce.os_version IS NOT NULL
                      THEN concat_ws(' ', ce.os, ce.os_version) END AS os_version
          FROM shortlink.click_events ce
          WHERE (link IS NULL OR ce.link_id = link)
            AND ce.clicked_at >= lo AND ce.clicked_at < hi) e
    GROUP BY GROUPING SETS ((e.link_id, e.h), (e.link_id, e.h, e.referer_host),
                            (e.link_id, e.h, e.device), (e.link_id, e.h, e.os),
                            (e.link_id, e.h, e.browser), (e.link_id, e.h, e.country),
                            (e.link_id, e.h, e.bot), (e.link_id, e.h, e.region),
                            (e.link_id, e.h, e.city), (e.link_id, e.h, e.os_version));
END
$$;

-- The hours of one link's clicks in [since, until) for the dimensions `dims`: rolled-up
-- hours (hour resolution: since is taken down to its hour) and, from the rollup watermark
-- on, hours summed from the raw events (exact to the microsecond).
-- It and click_totals (and click_stats) run with jit off: they read a bounded number of
-- rows, but under row-level security the planner prices each row's policy check as a
-- look-up in links even where it runs hashed (an EXISTS subplan is costed by its per-row
-- form), and JIT compiled, inlined and optimized plans that run in a few milliseconds:
-- 290 ms of compilation per statement, for one link with 10^7 events (2026-12-07).
CREATE FUNCTION shortlink.click_hour_rows(link bigint, since timestamptz, until timestamptz,
                                          dims text[])
RETURNS TABLE (bucket_start timestamptz, dimension text, key text, clicks bigint,
               bot_clicks bigint, visitors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    -- The bounds are computed here and compared as plain values. Under row-level security
    -- the planner lets only "leakproof" conditions run before a table's policy, and a
    -- condition that calls coalesce() or date_trunc() is not: it would not bound the
    -- index scan, and the policy would be checked on every hour row of the link, of every
    -- day (122 ms for one link's 245,000 hour rows, against 0.3 ms for the 280 asked).
    watermark timestamptz := coalesce((SELECT s.rolled_up_to FROM shortlink.rollup_state s),
                                      '-infinity');
    lo timestamptz := coalesce(date_trunc('hour', since, 'UTC'), '-infinity');
    hi timestamptz := least(coalesce(until, 'infinity'), watermark);
    raw_lo timestamptz := greatest(since, watermark);
    raw_hi timestamptz := coalesce(until, 'infinity');
BEGIN
    IF dims = ARRAY['total'] THEN
        -- The total alone (a time series): the raw events summed as click_hours sums its
        -- 'total' rows, without its nine breakdowns.
        RETURN QUERY
        SELECT r.bucket_start, r.dimension, r.key, r.clicks, r.bot_clicks, r.visitors
        FROM shortlink.click_rollups r
        WHERE r.link_id = link AND r.period = 'hour' AND r.dimension = 'total'
          AND r.bucket_start >= lo AND r.bucket_start < hi
        UNION ALL
        SELECT date_trunc('hour', e.clicked_at, 'UTC'), 'total', NULL::text,
               count(*) FILTER (WHERE NOT e.is_bot), count(*) FILTER (WHERE e.is_bot),
               count(DISTINCT e.visitor_hash) FILTER (WHERE NOT e.is_bot)
        FROM shortlink.click_events e
        WHERE e.link_id = link AND e.clicked_at >= raw_lo AND e.clicked_at < raw_hi
        GROUP BY 1;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT r.bucket_start, r.dimension, r.key, r.clicks, r.bot_clicks, r.visitors
    FROM shortlink.click_rollups r
    WHERE r.link_id = link AND r.period = 'hour' AND r.dimension = ANY (dims)
      AND r.bucket_start >= lo AND r.bucket_start < hi
    UNION ALL
    SELECT h.bucket_start, h.dimension, h.key, h.clicks, h.bot_clicks, h.visitors
    FROM shortlink.click_hours(link, raw_lo, until) h
    WHERE h.dimension = ANY (dims);
END
$$;

-- The dimensions of click_rollups.
CREATE FUNCTION shortlink.click_dimensions()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['total', 'referer_host', 'device', 'os', 'browser', 'country', 'bot',
                    'region', 'city', 'os_version'] $$;

-- One link's totals per dimension and key over [since, until), for the dimensions `dims`
-- (NULL: all of them): the whole rolled-up UTC days inside it from their day rows, the
-- hours before and after them from shortlink.click_hour_rows. Time proportional to the
-- days and hours asked for, not to the clicks.
CREATE FUNCTION shortlink.click_totals(link bigint, since timestamptz, until timestamptz,
                                       dims text[])
RETURNS TABLE (dimension text, key text, clicks bigint, bot_clicks bigint, visitors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    wanted text[] := coalesce(dims, shortlink.click_dimensions());
    -- Whole days [first_day, days_end), if any; hours before and after them. Plain values
    -- in the conditions, as in click_hour_rows.
    lo timestamptz := date_trunc('hour', coalesce(since, '-infinity'), 'UTC');
    rolled_until timestamptz := least(coalesce(until, 'infinity'),
                                      coalesce((SELECT s.rolled_up_to FROM shortlink.rollup_state s),
                                               '-infinity'));
    first_day timestamptz := CASE WHEN lo = date_trunc('day', lo, 'UTC') THEN lo
                                  ELSE date_trunc('day', lo, 'UTC') + interval '1 day' END;
    days_end timestamptz := date_trunc('day', rolled_until, 'UTC');
    has_days boolean := first_day < days_end;
BEGIN
    RETURN QUERY
    WITH pieces AS (
        SELECT r.dimension, r.key, r.clicks, r.bot_clicks, r.visitors
        FROM shortlink.click_rollups r
        WHERE has_days AND r.link_id = link AND r.period = 'day'
          AND r.dimension = ANY (wanted)
          AND r.bucket_start >= first_day AND r.bucket_start < days_end
        UNION ALL
        SELECT x.dimension, x.key, x.clicks, x.bot_clicks, x.visitors
        FROM shortlink.click_hour_rows(link, since,
                                       CASE WHEN has_days THEN first_day ELSE until END,
                                       wanted) x
        UNION ALL
        SELECT x.dimension, x.key, x.clicks, x.bot_clicks, x.visitors
        FROM shortlink.click_hour_rows(link,
                                       CASE WHEN has_days THEN days_end ELSE 'infinity' END,
                                       until, wanted) x
        UNION ALL
        -- A total row even without clicks.
        SELECT 'total', NULL, 0, 0, 0 WHERE 'total' = ANY (wanted))
    SELECT p.dimension, p.key, sum(p.clicks)::bigint, sum(p.bot_clicks)::bigint,
           sum(p.visitors)::bigint
    FROM pieces p
    GROUP BY p.dimension, p.key;
END
$$;

-- Every dimension of one link's totals (as above, dims NULL).
CREATE FUNCTION shortlink.click_totals(link bigint, since timestamptz, until timestamptz)
RETURNS TABLE (dimension text, key text, clicks bigint, bot_clicks bigint, visitors bigint)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM shortlink.click_totals(link, since, until, NULL) $$;

-- Day partitions of click_events from today (UTC) to `ahead` days on, and for each day
-- that has clicks in the default partition; those clicks move into it. Returns how many
-- it created.
CREATE FUNCTION shortlink.create_click_partitions(ahead integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day timestamptz;
    part text;
    created integer := 0;
BEGIN
    FOR day IN SELECT d FROM pg_catalog.generate_series(
                       date_trunc('day', pg_catalog.now(), 'UTC'),
                       date_trunc('day', pg_catalog.now(), 'UTC') + pg_catalog.make_interval(days => ahead),
                       interval '1 day') AS d
               UNION
               SELECT date_trunc('day', e.clicked_at, 'UTC') FROM shortlink.click_events_default e
               ORDER BY 1 LOOP
        part := 'click_events_' || pg_catalog.to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD');
        CONTINUE WHEN pg_catalog.to_regclass('shortlink.' || part) IS NOT NULL;
        -- CREATE TABLE ... PARTITION OF would lock click_events against every click;
        -- ATTACH PARTITION lets clicks go on.
        EXECUTE pg_catalog.format('CREATE TABLE shortlink.%I (LIKE shortlink.click_events INCLUDING DEFAULTS)', part);
        IF EXISTS (SELECT 1 FROM shortlink.click_events_default e
                   WHERE e.clicked_at >= day AND e.clicked_at < day + interval '1 day') THEN
            -- Clicks of this day arrived before its partition: move them, holding off new
            -- ones until the partition is attached.
            LOCK TABLE shortlink.click_events_default IN SHARE ROW EXCLUSIVE MODE;
            EXECUTE pg_catalog.format(
                'WITH moved AS (DELETE FROM shortlink.click_events_default e
                                WHERE e.clicked_at >= $1 AND e.clicked_at < $2 RETURNING e.*)
                 INSERT INTO shortlink.%I SELECT * FROM moved', part)
                USING day, day + interval '1 day';
        END IF;
        EXECUTE pg_catalog.format('CREATE INDEX %I ON shortlink.%I (link_id, clicked_at)',
                                  part || '_link_id_clicked_at_idx', part);
        EXECUTE pg_catalog.format('ALTER TABLE shortlink.click_events ATTACH PARTITION shortlink.%I FOR VALUES FROM (%L) TO (%L)',
                                  part, day, day + interval '1 day');
        EXECUTE pg_catalog.format('COMMENT ON TABLE shortlink.%I IS %L', part,
                                  'Click events of ' || pg_catalog.to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' (UTC); made by shortlink.maintain().');
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- The latest instant up to which click events can be rolled up at `at`: the start of the
-- UTC hour of a minute before, and no later than the start of any transaction
-- of this database still running, since a click is stamped with its transaction's start
-- (now()) and could still commit. A session this role cannot see, or a prepared
-- transaction holding click_events, stops rollups where they are.
CREATE FUNCTION shortlink.rollup_horizon(at timestamptz DEFAULT pg_catalog.clock_timestamp())
RETURNS timestamptz
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                     WHERE a.datname = pg_catalog.current_database()
                       AND a.pid <> pg_catalog.pg_backend_pid()
                       -- what pg_stat_activity hides of another role's session
                       AND a.state IS NULL AND a.backend_type IS NULL)
          OR EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                     WHERE l.pid IS NULL AND l.locktype = 'relation'
                       AND l.relation = 'shortlink.click_events'::pg_catalog.regclass)
        THEN NULL
        ELSE least(date_trunc('hour', at - interval '1 minute', 'UTC'),
                   (SELECT date_trunc('hour', min(a.xact_start), 'UTC')
                    FROM pg_catalog.pg_stat_activity a
                    WHERE a.datname = pg_catalog.current_database()
                      AND a.pid <> pg_catalog.pg_backend_pid()
                      AND a.backend_type <> 'autovacuum worker'))
    END
$$;

-- Maintenance, one call for all of it; safe to run concurrently and often (a run that
-- finds another under way returns at once). Schedule it with pg_cron:
--   SELECT cron.schedule('shortlink', '1 minute', 'SELECT shortlink.maintain()');
-- 0. Adds the clicks appended to click_log to click_counts, and deletes them, in one
--    statement: a reader sees them in one place or the other, never both or neither.
-- 1. Creates the day partitions of click_events for today and the next 7 days (UTC).
-- 2. Rolls up the click events of every finished hour into click_rollups.
-- 3. Drops the day partitions older than shortlink.click_retention (0: keep forever), once
--    rolled up. A drop waits at most 100 ms for its lock (clicks queue behind it), else
--    it is left for the next run.
-- 4. Deletes API idempotency records older than 24 hours.
-- Returns what it did, as jsonb.
CREATE FUNCTION shortlink.maintain()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    state shortlink.rollup_state;
    created integer;
    horizon timestamptz;
    rows_hour bigint := 0;
    retention interval;
    bound timestamptz;
    part record;
    dropped integer := 0;
    kept_by_lock integer := 0;
    lock_was text;
    counted bigint;
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'shortlink.maintain() can only run in a READ COMMITTED transaction'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'An older snapshot could miss clicks committed before the rollup.';
    END IF;
    INSERT INTO shortlink.rollup_state (rolled_up_to) VALUES ('-infinity')
    ON CONFLICT (singleton) DO NOTHING;
    SELECT * INTO state FROM shortlink.rollup_state FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('skipped', 'another shortlink.maintain() is running');
    END IF;

    WITH appended AS (DELETE FROM shortlink.click_log RETURNING link_id, clicked_at, is_bot),
    per_link AS (
        SELECT a.link_id, count(*) FILTER (WHERE NOT a.is_bot) AS clicks,
               count(*) FILTER (WHERE a.is_bot) AS bot_clicks,
               max(a.clicked_at) FILTER (WHERE NOT a.is_bot) AS last_clicked_at, count(*) AS n
        FROM appended a GROUP BY a.link_id),
    added AS (
        INSERT INTO shortlink.click_counts AS c (link_id, shard, clicks, bot_clicks, last_clicked_at)
        SELECT p.link_id, 0, p.clicks, p.bot_clicks, p.last_clicked_at FROM per_link p
        ON CONFLICT (link_id, shard) DO UPDATE
        SET clicks = c.clicks + excluded.clicks,
            bot_clicks = c.bot_clicks + excluded.bot_clicks,
            last_clicked_at = greatest(c.last_clicked_at, excluded.last_clicked_at))
    SELECT coalesce(sum(p.n), 0) INTO counted FROM per_link p;

    created := shortlink.create_click_partitions(7);

    PERFORM pg_catalog.pg_stat_clear_snapshot();
    horizon := shortlink.rollup_horizon();
    IF horizon > state.rolled_up_to THEN
        INSERT INTO shortlink.click_rollups AS r (link_id, period, bucket_start, dimension, key,
                                                 clicks, bot_clicks, visitors)
        SELECT h.link_id, 'hour', h.bucket_start, h.dimension, h.key, h.clicks, h.bot_clicks, h.visitors
        FROM shortlink.click_hours(NULL, state.rolled_up_to, horizon) h;
        GET DIAGNOSTICS rows_hour = ROW_COUNT;
        -- The UTC days this completes get a day row: the sum of their hours.
        INSERT INTO shortlink.click_rollups (link_id, period, bucket_start, dimension, key,
                                             clicks, bot_clicks, visitors)
        SELECT r.link_id, 'day', date_trunc('day', r.bucket_start, 'UTC'), r.dimension, r.key,
               sum(r.clicks), sum(r.bot_clicks), sum(r.visitors)
        FROM shortlink.click_rollups r
        WHERE r.period = 'hour'
          AND r.bucket_start >= date_trunc('day', state.rolled_up_to, 'UTC')
          AND r.bucket_start < date_trunc('day', horizon, 'UTC')
        GROUP BY r.link_id, date_trunc('day', r.bucket_start, 'UTC'), r.dimension, r.key;
        UPDATE shortlink.rollup_state SET rolled_up_to = horizon;
        state.rolled_up_to := horizon;
    END IF;

    retention := pg_catalog.make_interval(mins => shortlink.click_retention_minutes());
    IF retention > interval '0' THEN
        -- Never drop what is not rolled up yet; events before `bound` go.
        bound := date_trunc('day', least(state.rolled_up_to, pg_catalog.now() - retention), 'UTC');
        lock_was := pg_catalog.current_setting('lock_timeout');
        FOR part IN
            SELECT c.oid::pg_catalog.regclass AS rel,
                   pg_catalog.to_timestamp(pg_catalog.substr(c.relname, 14), 'YYYYMMDD')::timestamp
                       AT TIME ZONE 'UTC' AS starts
            FROM pg_catalog.pg_inherits i
            JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'shortlink.click_events'::pg_catalog.regclass
              AND c.relname ~ '^click_events_[0-9]{8}$'
            ORDER BY c.relname
        LOOP
            EXIT WHEN part.starts + interval '1 day' > bound;
            BEGIN
                -- A drop locks click_events: give up rather than hold clicks up for long.
                PERFORM pg_catalog.set_config('lock_timeout', '100ms', true);
                EXECUTE pg_catalog.format('DROP TABLE %s', part.rel);
                dropped := dropped + 1;
            EXCEPTION WHEN lock_not_available THEN
                kept_by_lock := kept_by_lock + 1;
                bound := part.starts;
                EXIT;
            END;
        END LOOP;
        PERFORM pg_catalog.set_config('lock_timeout', lock_was, true);
        -- Clicks that landed in the default partition age out by the same rule.
        DELETE FROM shortlink.click_events_default e WHERE e.clicked_at < bound;
        UPDATE shortlink.rollup_state SET raw_from = greatest(raw_from, bound);
    END IF;

    -- Idempotency records of API requests live 24 hours (sql/api_keys.sql).
    DELETE FROM shortlink.api_idempotency i WHERE i.created_at < pg_catalog.now() - interval '24 hours';

    RETURN jsonb_build_object(
        'clicks_counted', counted,
        'partitions_created', created,
        'rollup_rows', rows_hour,
        'rolled_up_to', state.rolled_up_to,
        'rollups_held_back_by', CASE WHEN horizon IS NULL THEN 'a session this role cannot see or a prepared transaction' END,
        'partitions_dropped', dropped,
        'partitions_kept_by_lock_timeout', kept_by_lock);
END
$$;
