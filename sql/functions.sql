-- SQL-language parts of shortlink: maintenance and the campaign trigger.

-- Deletes links expired for longer than older_than, with their counters and click
-- events (through the links_deleted trigger). Returns how many links went.
CREATE FUNCTION shortlink.purge_expired(older_than interval DEFAULT '30 days')
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    purged bigint;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'invalid older_than: must be a non-negative interval, not %',
            coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM shortlink.links
    WHERE expires_at IS NOT NULL AND expires_at < now() - older_than;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;

-- A new link, as shorten returns it.
CREATE TYPE shortlink.short_link AS (id bigint, domain text, code text, short_url text,
    url text, created_at timestamptz, expires_at timestamptz, max_clicks bigint,
    metadata jsonb);

-- shorten(url [, opts]): creates a short link to url; the options are in docs/reference.md.
-- Not SECURITY DEFINER: the caller's rights and workspace apply. No pinned search_path,
-- deliberately (src/shorten.rs): it looks no name up through it. A C function returning
-- one row value, not a set (src/row_value.rs).
CREATE FUNCTION shortlink.shorten(url text, opts jsonb DEFAULT '{}')
RETURNS shortlink.short_link
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'shortlink_shorten';

-- What record_click and peek_click answer a redirect proxy: status (ok, not_found,
-- expired, exhausted, disabled, password_required, blocked, preview, cloaked), where to
-- send the client, and the HTTP status to send.
CREATE TYPE shortlink.click_answer AS (status text, location text, http_status integer);

-- record_click(code [, domain, ip, user_agent, referer, country, password, query]):
-- one call per redirect. Enforces expiry, limits, passwords and bot blocking, counts the
-- click exactly and stores its event when the link tracks. SECURITY DEFINER: the redirect
-- role has no right on any table, nor on the salt of visitor hashes. No pinned
-- search_path, deliberately: fmgr's save and restore of a function's SET clause is a
-- tenth of a click; it looks no name up through search_path (src/clicks.rs). A C function
-- returning one row value, not a set: see src/clicks.rs.
CREATE FUNCTION shortlink.record_click(code text, domain text DEFAULT NULL,
    ip inet DEFAULT NULL, user_agent text DEFAULT NULL, referer text DEFAULT NULL,
    country text DEFAULT NULL, password text DEFAULT NULL, query text DEFAULT NULL)
RETURNS shortlink.click_answer
LANGUAGE c VOLATILE PARALLEL UNSAFE SECURITY DEFINER
AS 'MODULE_PATHNAME', 'shortlink_record_click';

-- peek_click(...), the same arguments: the answer record_click would give now, counting
-- nothing and storing nothing, for HEAD requests and link checkers.
CREATE FUNCTION shortlink.peek_click(code text, domain text DEFAULT NULL,
    ip inet DEFAULT NULL, user_agent text DEFAULT NULL, referer text DEFAULT NULL,
    country text DEFAULT NULL, password text DEFAULT NULL, query text DEFAULT NULL)
RETURNS shortlink.click_answer
LANGUAGE c STABLE PARALLEL SAFE SECURITY DEFINER
AS 'MODULE_PATHNAME', 'shortlink_peek_click';

-- Trigger function: BEFORE INSERT (or UPDATE) ... FOR EACH ROW EXECUTE FUNCTION
-- shortlink.autolink('source_column', 'target_column' [, '{"opts": ...}']) fills
-- target_column with the short URL of a new link to source_column's value, in the
-- inserting transaction. A row whose source is NULL, or whose target is already set,
-- is left as it is.
-- A C function (src/autolink.rs): no SET search_path, as it looks no name up through it.
CREATE FUNCTION shortlink.autolink()
RETURNS trigger
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'shortlink_autolink';

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
