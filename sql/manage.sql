-- Link management in SQL, on top of shortlink.link_id(code, domain), which finds a link
-- the way resolve() does (default domain, normalized names).

-- shortlink.require_link(code, domain), the id of a link or P0002, and
-- shortlink.short_url(domain, code) are the extension's (src/manage.rs).

-- Every stored field and counter of one link. An unknown code is P0002.
CREATE FUNCTION shortlink.get_link(code text, domain text DEFAULT NULL)
RETURNS TABLE (
    id bigint, domain text, code text, short_url text, url text, link_type text,
    redirect_type integer, created_at timestamptz, updated_at timestamptz,
    expires_at timestamptz, expired boolean, max_clicks bigint, disabled boolean,
    tracking boolean, password_protected boolean, forward_params boolean, block_bots boolean,
    utm jsonb, title text, description text, image text, tags text[], cloaked boolean,
    meta_pixel_id text, google_tag_id text, custom_field text, dlt_header text,
    contact_phone text, callback_url text, callback_format text, webhook_urls text[],
    expired_url text, metadata jsonb, clicks bigint, bot_clicks bigint, unique_visitors bigint,
    last_clicked_at timestamptz
)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- The link is looked up once, first: both sides are kept subqueries (OFFSET 0), so
    -- the lateral one is evaluated for the one row of the lookup, which a plan must
    -- therefore run. As a condition of the scan it would run only for the rows a plan
    -- happens to read, and an unknown code could return no row instead of P0002.
    SELECT x.*
    FROM (SELECT shortlink.require_scope('links:read') AS scope, shortlink.require_link($1, $2) AS id OFFSET 0) w
    CROSS JOIN LATERAL (
        SELECT l.id, l.domain, l.code, shortlink.short_url(l.domain, l.code), l.url, l.link_type,
               l.redirect_type::integer, l.created_at, l.updated_at, l.expires_at,
               coalesce(l.expires_at <= now(), false), l.max_clicks, l.disabled, l.tracking,
               l.password_protected, l.forward_params, l.block_bots, l.utm, l.title,
               l.description, l.image, l.tags, l.cloaked, l.meta_pixel_id, l.google_tag_id,
               l.custom_field, l.dlt_header, l.contact_phone, l.callback_url,
               l.callback_format, l.webhook_urls, l.expired_url, l.metadata,
               (l.limited_clicks + c.clicks)::bigint,
               c.bot_clicks,
               coalesce((SELECT t.visitors FROM shortlink.click_totals(l.id, NULL, NULL, ARRAY['total']) t
                         WHERE t.dimension = 'total'), 0),
               greatest(l.limited_last_clicked_at, c.last_clicked_at)
        FROM shortlink.links l
        CROSS JOIN LATERAL shortlink.link_clicks(l.id) c
        -- w.scope is used, so that require_scope() runs: PostgreSQL drops an unused
        -- output of a subquery when it is not volatile.
        WHERE l.id = w.id AND w.scope
        OFFSET 0
    ) x
$$;

CREATE FUNCTION shortlink.set_disabled(code text, domain text, disabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    link bigint;
BEGIN
    PERFORM shortlink.require_scope('links:write');
    -- Looked up once, before the UPDATE: in its WHERE clause the lookup would run per row
    -- scanned and could miss the link once the statement has changed it.
    link := shortlink.require_link($1, $2);
    UPDATE shortlink.links l SET disabled = $3, updated_at = now() WHERE l.id = link;
END
$$;

-- A disabled link answers 410 "disabled" and resolves to NULL; enable() undoes it.
CREATE FUNCTION shortlink.disable(code text, domain text DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT shortlink.set_disabled($1, $2, true) $$;

CREATE FUNCTION shortlink.enable(code text, domain text DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT shortlink.set_disabled($1, $2, false) $$;

-- Deletes a link with its counters, click events and pending outbox events.
CREATE FUNCTION shortlink.delete_link(code text, domain text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    link bigint;
BEGIN
    PERFORM shortlink.require_scope('links:write');
    -- Looked up once, before the DELETE (see set_disabled).
    link := shortlink.require_link($1, $2);
    DELETE FROM shortlink.links l WHERE l.id = link;
END
$$;

-- Keyset-paged listing: rows with id > after, in id order, at most lim (1-1000).
-- filter keys: domain, tag, created_after, created_before, expired, disabled, metadata.
CREATE FUNCTION shortlink.list_links(filter jsonb DEFAULT '{}', lim integer DEFAULT 100, after bigint DEFAULT NULL)
RETURNS TABLE (
    id bigint, domain text, code text, short_url text, url text, title text, tags text[],
    created_at timestamptz, expires_at timestamptz, max_clicks bigint, disabled boolean,
    metadata jsonb
)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f jsonb := coalesce(filter, '{}');
    k text;
    want text;
    f_domain text;
    f_tag text;
    f_after timestamptz;
    f_before timestamptz;
    f_expired boolean;
    f_disabled boolean;
    f_meta jsonb;
BEGIN
    PERFORM shortlink.require_scope('links:read');
    IF jsonb_typeof(f) <> 'object' THEN
        RAISE EXCEPTION 'invalid filter: must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lim IS NULL OR lim < 1 OR lim > 1000 THEN
        RAISE EXCEPTION 'invalid lim: must be 1 to 1000, not %', coalesce(lim::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k IN SELECT jsonb_object_keys(f) LOOP
        want := CASE k
            WHEN 'domain' THEN 'string' WHEN 'tag' THEN 'string'
            WHEN 'created_after' THEN 'string' WHEN 'created_before' THEN 'string'
            WHEN 'expired' THEN 'boolean' WHEN 'disabled' THEN 'boolean'
            WHEN 'metadata' THEN 'object' END;
        IF want IS NULL THEN
            RAISE EXCEPTION 'unknown filter "%"', k USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Known filters: domain, tag, created_after, created_before, expired, disabled, metadata.';
        END IF;
        IF jsonb_typeof(f -> k) <> want THEN
            RAISE EXCEPTION 'invalid filter "%": must be a JSON %, not %', k, want, f -> k
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    f_domain := lower(f ->> 'domain');
    f_tag := f ->> 'tag';
    f_expired := (f ->> 'expired')::boolean;
    f_disabled := (f ->> 'disabled')::boolean;
    f_meta := f -> 'metadata';
    -- Read without catching an error (a subtransaction): src/manage.rs.
    f_after := shortlink.filter_timestamp('created_after', f ->> 'created_after');
    f_before := shortlink.filter_timestamp('created_before', f ->> 'created_before');
    RETURN QUERY
    SELECT l.id, l.domain, l.code, shortlink.short_url(l.domain, l.code), l.url, l.title, l.tags,
           l.created_at, l.expires_at, l.max_clicks, l.disabled, l.metadata
    FROM shortlink.links l
    WHERE (after IS NULL OR l.id > after)
      AND (f_domain IS NULL OR l.domain = f_domain)
      AND (f_tag IS NULL OR l.tags @> ARRAY[f_tag])
      AND (f_after IS NULL OR l.created_at >= f_after)
      AND (f_before IS NULL OR l.created_at < f_before)
      AND (f_expired IS NULL OR coalesce(l.expires_at <= now(), false) = f_expired)
      AND (f_disabled IS NULL OR l.disabled = f_disabled)
      AND (f_meta IS NULL OR l.metadata @> f_meta)
    ORDER BY l.id
    LIMIT lim;
END
$$;

-- Click analytics of one link (links with tracking on): dimension 'total' (one row),
-- 'time' (one row per bucket: bucket set, key NULL), and breakdowns 'referer_host',
-- 'device', 'os', 'browser', 'country', 'region', 'city', 'os_version' (key set, NULL =
-- unknown; a region is keyed 'California, US', a city 'San Francisco, California, US', an
-- OS version 'iOS 17.4.1'), and 'bot': bot clicks
-- by the rule that matched (key the rule's name, NULL for people). clicks and
-- unique_visitors leave bots out; bot_clicks counts them. A unique visitor is one visitor
-- hash within one UTC hour (sql/rollups.sql). Read from click_rollups up to the rollup
-- watermark, which have hour resolution, and from the raw events after it; 'minute'
-- buckets come from the raw events while they are kept (shortlink.click_retention).
CREATE FUNCTION shortlink.click_stats(
    code text, domain text DEFAULT NULL, since timestamptz DEFAULT NULL,
    until timestamptz DEFAULT NULL, bucket text DEFAULT 'day')
RETURNS TABLE (dimension text, bucket_start timestamptz, key text, clicks bigint,
               unique_visitors bigint, bot_clicks bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- as click_hour_rows (sql/rollups.sql)
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    link bigint;
    raw_from timestamptz := coalesce((SELECT s.raw_from FROM shortlink.rollup_state s), '-infinity');
    -- A plain value in the condition on click_events (see click_hour_rows).
    upto timestamptz := coalesce(until, 'infinity');
BEGIN
    PERFORM shortlink.require_scope('analytics:read');
    link := shortlink.require_link($1, $2);
    IF bucket IS NULL OR bucket NOT IN ('minute', 'hour', 'day', 'week', 'month', 'year') THEN
        RAISE EXCEPTION 'invalid bucket: must be minute, hour, day, week, month or year, not %', coalesce(bucket, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT t.dimension, NULL::timestamptz, t.key, t.clicks, t.visitors, t.bot_clicks
    FROM shortlink.click_totals(link, since, until) t
    UNION ALL
    SELECT 'time', b.b, NULL, sum(b.clicks)::bigint, sum(b.visitors)::bigint, sum(b.bot_clicks)::bigint
    FROM (SELECT date_trunc(bucket, h.bucket_start) AS b, h.clicks, h.visitors, h.bot_clicks
          FROM shortlink.click_hour_rows(link, since,
                                         CASE WHEN bucket = 'minute' THEN least(until, raw_from) ELSE until END,
                                         ARRAY['total']) h
          UNION ALL
          -- Minutes, where the raw events still are: a visitor once per minute.
          SELECT date_trunc('minute', ce.clicked_at), count(*) FILTER (WHERE NOT ce.is_bot),
                 count(DISTINCT ce.visitor_hash) FILTER (WHERE NOT ce.is_bot),
                 count(*) FILTER (WHERE ce.is_bot)
          FROM shortlink.click_events ce
          WHERE bucket = 'minute' AND ce.link_id = link
            AND ce.clicked_at >= greatest(since, raw_from)
            AND ce.clicked_at < upto
          GROUP BY 1) b
    GROUP BY b.b
    ORDER BY 1, 2, 3;
END
$$;
