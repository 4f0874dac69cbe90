-- shortlink 0.1.0 → 0.2.0 (ALTER EXTENSION shortlink UPDATE runs it, in one transaction).
\echo Use "ALTER EXTENSION shortlink UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0 adds PostgreSQL 16, 17 and 18, packages and the upgrade path itself, and the
-- changes below. The library of 0.2.0 serves the 0.1.0 schema unchanged until this script
-- runs. tests/upgrade.sh checks that a database updated by this script has the schema of a
-- fresh 0.2.0 install, object by object.

-- autolink triggers checked at CREATE TRIGGER (sql/functions.sql, src/autolink.rs).
CREATE FUNCTION shortlink.autolink_check_trigger("trigger" oid) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'autolink_check_trigger_wrapper';
REVOKE ALL ON FUNCTION shortlink.autolink_check_trigger(oid) FROM PUBLIC;

-- CREATE TRIGGER … EXECUTE FUNCTION shortlink.autolink(…) is checked when it runs, not at
-- the trigger's first INSERT: shortlink.autolink_check_trigger() (src/autolink.rs) refuses
-- with 22023 a trigger that is not BEFORE INSERT or UPDATE FOR EACH ROW, whose columns do
-- not exist or are not of a string type, or whose options do not parse. SECURITY DEFINER:
-- the event trigger runs for whoever creates a trigger, who needs no right on shortlink's
-- functions for it; it reads only catalogs and the trigger just made. The event trigger
-- itself is made last (sql/security.sql), once every function it calls exists.
CREATE FUNCTION shortlink.autolink_check_new_triggers()
RETURNS event_trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    made record;
BEGIN
    FOR made IN
        SELECT c.objid
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
        WHERE c.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
    LOOP
        PERFORM shortlink.autolink_check_trigger(made.objid);
    END LOOP;
END
$$;
CREATE EVENT TRIGGER shortlink_autolink_check ON ddl_command_end
    WHEN TAG IN ('CREATE TRIGGER')
    EXECUTE FUNCTION shortlink.autolink_check_new_triggers();
REVOKE ALL ON FUNCTION shortlink.autolink_check_new_triggers() FROM PUBLIC;

-- set_disabled and delete_link look the link up once, before their UPDATE / DELETE: as a
-- WHERE clause evaluated per row of a sequential scan, the lookup missed the link once
-- the statement had deleted it ("link not found" from delete_link on a small table).
CREATE OR REPLACE FUNCTION shortlink.set_disabled(code text, domain text, disabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Looked up once, before the UPDATE: in its WHERE clause the lookup would run per row
    -- scanned and could miss the link once the statement has changed it.
    link bigint := shortlink.require_link($1, $2);
BEGIN
    UPDATE shortlink.links l SET disabled = $3, updated_at = now() WHERE l.id = link;
END
$$;

CREATE OR REPLACE FUNCTION shortlink.delete_link(code text, domain text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- Looked up once, before the DELETE (see set_disabled).
    link bigint := shortlink.require_link($1, $2);
BEGIN
    DELETE FROM shortlink.links l WHERE l.id = link;
END
$$;

-- Each thing said once (issue 23). The short URL, the "link not found" error and the
-- blocklist's reading of a URL come from the extension's code, which shorten and
-- record_click use too: the SQL functions call it instead of repeating it.
CREATE FUNCTION shortlink.short_url(domain text, code text) RETURNS text
IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'short_url_wrapper';
REVOKE ALL ON FUNCTION shortlink.short_url(text, text) FROM PUBLIC;
-- get_link and list_links call it in their caller's name: every role that may call them
-- (grant_app's) may call it too.
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole
        FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
        WHERE p.oid OPERATOR(pg_catalog.=) 'shortlink.get_link(text, text)'::pg_catalog.regprocedure
          AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
          AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
          AND a.grantee OPERATOR(pg_catalog.<>) 0
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION shortlink.short_url(text, text) TO %s', grantee);
    END LOOP;
END
$$;

CREATE FUNCTION shortlink.url_host_suffixes(url text) RETURNS text[]
IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'url_host_suffixes_wrapper';
REVOKE ALL ON FUNCTION shortlink.url_host_suffixes(text) FROM PUBLIC;

-- Now the extension's: the same normalized domain in the message as everywhere else.
CREATE OR REPLACE FUNCTION shortlink.require_link(code text, domain text DEFAULT NULL)
RETURNS bigint
STABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'require_link_wrapper';

-- WHATWG's host of the URL, as shorten reads it (was a regular expression).
CREATE OR REPLACE FUNCTION shortlink.url_host(url text) RETURNS text
IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'url_host_wrapper';

CREATE OR REPLACE FUNCTION shortlink.get_link(code text, domain text DEFAULT NULL)
RETURNS TABLE (
    id bigint, domain text, code text, short_url text, url text, link_type text,
    redirect_type integer, created_at timestamptz, updated_at timestamptz,
    expires_at timestamptz, expired boolean, max_clicks bigint, disabled boolean,
    tracking boolean, password_protected boolean, forward_params boolean, block_bots boolean,
    utm jsonb, title text, description text, image text, tags text[], cloaked boolean,
    meta_pixel_id text, google_tag_id text, custom_field text, dlt_header text,
    contact_phone text, callback_url text, webhook_urls text[], expired_url text,
    metadata jsonb, clicks bigint, bot_clicks bigint, unique_visitors bigint,
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
    FROM (SELECT shortlink.require_link($1, $2) AS id OFFSET 0) w
    CROSS JOIN LATERAL (
        SELECT l.id, l.domain, l.code, shortlink.short_url(l.domain, l.code), l.url, l.link_type,
               l.redirect_type::integer, l.created_at, l.updated_at, l.expires_at,
               coalesce(l.expires_at <= now(), false), l.max_clicks, l.disabled, l.tracking,
               l.password_protected, l.forward_params, l.block_bots, l.utm, l.title,
               l.description, l.image, l.tags, l.cloaked, l.meta_pixel_id, l.google_tag_id,
               l.custom_field, l.dlt_header, l.contact_phone, l.callback_url, l.webhook_urls,
               l.expired_url, l.metadata,
               (l.limited_clicks + c.clicks)::bigint,
               c.bot_clicks,
               coalesce((SELECT t.visitors FROM shortlink.click_totals(l.id, NULL, NULL) t
                         WHERE t.dimension = 'total'), 0),
               greatest(l.limited_last_clicked_at, c.last_clicked_at)
        FROM shortlink.links l
        CROSS JOIN LATERAL shortlink.link_clicks(l.id) c
        WHERE l.id = w.id
        OFFSET 0
    ) x
$$;

CREATE OR REPLACE FUNCTION shortlink.list_links(filter jsonb DEFAULT '{}', lim integer DEFAULT 100, after bigint DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION shortlink.host_blocked(url text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM shortlink.blocked_hosts b
        WHERE b.host OPERATOR(pg_catalog.=) ANY (shortlink.url_host_suffixes($1)))
$$;

CREATE OR REPLACE FUNCTION shortlink.block_host(host text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h text := pg_catalog.rtrim(pg_catalog.lower(pg_catalog.btrim(host)), '.');
    n bigint;
BEGIN
    -- A host name: the blocklist matches the domain hosts of URLs (an IP address is
    -- refused by the private-address rule or not at all).
    IF h IS NULL OR h OPERATOR(pg_catalog.!~) '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' THEN
        RAISE EXCEPTION 'invalid host "%": a host name such as evil.example is needed', COALESCE(host, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF h OPERATOR(pg_catalog.~) '^[0-9.]+$' THEN
        RAISE EXCEPTION 'invalid host "%": an IP address cannot be blocked', host
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The blocklist matches host names; private addresses are refused already (shortlink.allow_private_destinations).';
    END IF;
    INSERT INTO shortlink.blocked_hosts (host) VALUES (h) ON CONFLICT DO NOTHING;
    UPDATE shortlink.links l SET disabled = true, updated_at = pg_catalog.now()
    WHERE NOT l.disabled
      AND h OPERATOR(pg_catalog.=) ANY (shortlink.url_host_suffixes(l.url));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;


-- grant_app also grants shortlink.short_url, which get_link and list_links call.
CREATE OR REPLACE FUNCTION shortlink.grant_app(role regrole, workspace text DEFAULT 'default')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM shortlink.grant_workspace(workspace, role);
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA shortlink TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION
        shortlink.shorten(text, jsonb), shortlink.shorten_many(jsonb),
        shortlink.update_link(text, jsonb, text), shortlink.get_link(text, text), shortlink.short_url(text, text),
        shortlink.list_links(jsonb, integer, bigint), shortlink.stats(text, text),
        shortlink.click_stats(text, text, timestamptz, timestamptz, text),
        shortlink.click_totals(bigint, timestamptz, timestamptz),
        shortlink.click_hour_rows(bigint, timestamptz, timestamptz, text[]),
        shortlink.click_dimensions(),
        shortlink.click_hours(bigint, timestamptz, timestamptz),
        shortlink.disable(text, text), shortlink.enable(text, text),
        shortlink.delete_link(text, text), shortlink.set_disabled(text, text, boolean),
        shortlink.link_id(text, text), shortlink.require_link(text, text), shortlink.link_clicks(bigint),
        shortlink.autolink(), shortlink.add_domain(text, jsonb),
        shortlink.purge_expired(interval), shortlink.visible_workspaces(),
        shortlink.sees_every_workspace(), shortlink.current_workspace(),
        shortlink.workspace_id(text), shortlink.workspace_granted(text), shortlink.url_host(text), shortlink.host_blocked(text),
        shortlink.filter_timestamp(text, text) TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON shortlink.workspaces, shortlink.workspace_members,
        shortlink.domains, shortlink.click_counts, shortlink.click_log, shortlink.click_events, shortlink.click_rollups,
        shortlink.rollup_state, shortlink.outbox, shortlink.deliveries TO %s', role);
    -- Every column of links but password_hash.
    EXECUTE pg_catalog.format('GRANT SELECT (%s) ON shortlink.links TO %s',
        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) 'shortlink.links'::pg_catalog.regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname OPERATOR(pg_catalog.<>) 'password_hash'),
        role);
    EXECUTE pg_catalog.format('GRANT UPDATE (disabled, updated_at), DELETE ON shortlink.links TO %s', role);
END
$$;

-- A hooked click writes its event and deliveries straight to the heap and indexes
-- (issue 24): deliveries loses its foreign key to outbox (whose check ran a query and
-- locked the event row per delivery) and its CHECK on state, and its partial index
-- becomes a plain one on (state, next_attempt_at); a statement trigger on outbox deletes
-- the deliveries of deleted events, as the foreign key's cascade did.
ALTER TABLE shortlink.deliveries DROP CONSTRAINT deliveries_event_id_fkey;
ALTER TABLE shortlink.deliveries DROP CONSTRAINT deliveries_state_check;
DROP INDEX shortlink.deliveries_due_idx;
CREATE INDEX deliveries_due_idx ON shortlink.deliveries (state, next_attempt_at);
CREATE FUNCTION shortlink.outbox_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM shortlink.deliveries d USING gone g WHERE d.event_id OPERATOR(pg_catalog.=) g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_deleted AFTER DELETE ON shortlink.outbox
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION shortlink.outbox_deleted();
REVOKE ALL ON FUNCTION shortlink.outbox_deleted() FROM PUBLIC;

-- 0.2.0: where a click came from and on what (issue 25). click_events gains the place
-- shortlink.geoip_database gives its address and the OS version and device model its user
-- agent gives; click_stats breaks clicks down by region, city and OS version too.
ALTER TABLE shortlink.click_events
    ADD COLUMN region text,
    ADD COLUMN city text,
    ADD COLUMN postal_code text,
    ADD COLUMN accuracy_radius_km integer,
    ADD COLUMN os_version text,
    ADD COLUMN device_model text;
ALTER TABLE shortlink.click_rollups
    DROP CONSTRAINT click_rollups_dimension_check,
    ADD CONSTRAINT click_rollups_dimension_check
        CHECK (dimension IN ('total', 'referer_host', 'device', 'os', 'browser', 'country', 'bot',
                             'region', 'city', 'os_version'));
CREATE OR REPLACE FUNCTION shortlink.click_hours(link bigint, since timestamptz, until timestamptz)
RETURNS TABLE (link_id bigint, bucket_start timestamptz, dimension text, key text,
               clicks bigint, bot_clicks bigint, visitors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
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
            AND ce.clicked_at >= coalesce(since, '-infinity')
            AND ce.clicked_at < coalesce(until, 'infinity')) e
    GROUP BY GROUPING SETS ((e.link_id, e.h), (e.link_id, e.h, e.referer_host),
                            (e.link_id, e.h, e.device), (e.link_id, e.h, e.os),
                            (e.link_id, e.h, e.browser), (e.link_id, e.h, e.country),
                            (e.link_id, e.h, e.bot), (e.link_id, e.h, e.region),
                            (e.link_id, e.h, e.city), (e.link_id, e.h, e.os_version));
END
$$;

CREATE OR REPLACE FUNCTION shortlink.click_dimensions()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['total', 'referer_host', 'device', 'os', 'browser', 'country', 'bot',
                    'region', 'city', 'os_version'] $$;

-- ---------------------------------------------------------------------------------------
-- QR codes (issue 25): shortlink.qr_svg(code, domain), the QR code of a link's short URL
-- as SVG (src/qr.rs), for applications; found in the caller's name as require_link finds
-- a link, so granted with grant_app, like stats.
CREATE FUNCTION shortlink.qr_svg(code text, domain text DEFAULT NULL) RETURNS text
STABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'qr_svg_wrapper';
REVOKE ALL ON FUNCTION shortlink.qr_svg(text, text) FROM PUBLIC;
-- Every role that grant_app has granted (it may call get_link) may call it too.
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole
        FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
        WHERE p.oid OPERATOR(pg_catalog.=) 'shortlink.get_link(text, text)'::pg_catalog.regprocedure
          AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
          AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
          AND a.grantee OPERATOR(pg_catalog.<>) 0
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION shortlink.qr_svg(text, text) TO %s', grantee);
    END LOOP;
END
$$;
-- grant_app grants qr_svg to the roles it makes from now on.
CREATE OR REPLACE FUNCTION shortlink.grant_app(role regrole, workspace text DEFAULT 'default')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM shortlink.grant_workspace(workspace, role);
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA shortlink TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION
        shortlink.shorten(text, jsonb), shortlink.shorten_many(jsonb),
        shortlink.update_link(text, jsonb, text), shortlink.get_link(text, text), shortlink.short_url(text, text),
        shortlink.list_links(jsonb, integer, bigint), shortlink.stats(text, text),
        shortlink.qr_svg(text, text),
        shortlink.click_stats(text, text, timestamptz, timestamptz, text),
        shortlink.click_totals(bigint, timestamptz, timestamptz),
        shortlink.click_hour_rows(bigint, timestamptz, timestamptz, text[]),
        shortlink.click_dimensions(),
        shortlink.click_hours(bigint, timestamptz, timestamptz),
        shortlink.disable(text, text), shortlink.enable(text, text),
        shortlink.delete_link(text, text), shortlink.set_disabled(text, text, boolean),
        shortlink.link_id(text, text), shortlink.require_link(text, text), shortlink.link_clicks(bigint),
        shortlink.autolink(), shortlink.add_domain(text, jsonb),
        shortlink.purge_expired(interval), shortlink.visible_workspaces(),
        shortlink.sees_every_workspace(), shortlink.current_workspace(),
        shortlink.workspace_id(text), shortlink.workspace_granted(text), shortlink.url_host(text), shortlink.host_blocked(text),
        shortlink.filter_timestamp(text, text) TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON shortlink.workspaces, shortlink.workspace_members,
        shortlink.domains, shortlink.click_counts, shortlink.click_log, shortlink.click_events, shortlink.click_rollups,
        shortlink.rollup_state, shortlink.outbox, shortlink.deliveries TO %s', role);
    -- Every column of links but password_hash.
    EXECUTE pg_catalog.format('GRANT SELECT (%s) ON shortlink.links TO %s',
        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) 'shortlink.links'::pg_catalog.regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname OPERATOR(pg_catalog.<>) 'password_hash'),
        role);
    EXECUTE pg_catalog.format('GRANT UPDATE (disabled, updated_at), DELETE ON shortlink.links TO %s', role);
END
$$;
-- End of QR codes (issue 25).
