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

-- Trigger function: BEFORE INSERT (or UPDATE) ... FOR EACH ROW EXECUTE FUNCTION
-- shortlink.autolink('source_column', 'target_column' [, '{"opts": ...}']) fills
-- target_column with the short URL of a new link to source_column's value, in the
-- inserting transaction. A row whose source is NULL, or whose target is already set,
-- is left as it is.
CREATE FUNCTION shortlink.autolink()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rec  jsonb;
    src  text;
    dst  text;
    opts jsonb := '{}';
    link_url text;
BEGIN
    IF TG_LEVEL <> 'ROW' OR TG_WHEN <> 'BEFORE' OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
        RAISE EXCEPTION 'shortlink.autolink() must be a BEFORE INSERT or UPDATE ... FOR EACH ROW trigger'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_NARGS NOT IN (2, 3) THEN
        RAISE EXCEPTION 'shortlink.autolink() takes 2 or 3 arguments, not %', TG_NARGS
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'' [, ''{"expire_in": 86400}''])';
    END IF;
    src := TG_ARGV[0];
    dst := TG_ARGV[1];
    rec := to_jsonb(NEW);
    IF NOT rec ? src THEN
        RAISE EXCEPTION 'shortlink.autolink(): table %.% has no column "%"', TG_TABLE_SCHEMA, TG_TABLE_NAME, src
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT rec ? dst THEN
        RAISE EXCEPTION 'shortlink.autolink(): table %.% has no column "%"', TG_TABLE_SCHEMA, TG_TABLE_NAME, dst
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_NARGS = 3 THEN
        BEGIN
            opts := TG_ARGV[2]::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'shortlink.autolink(): the third argument must be a JSON object of shorten options'
                USING ERRCODE = 'invalid_parameter_value';
        END;
    END IF;
    IF rec ->> src IS NULL OR rec ->> dst IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) -> src) IS NOT DISTINCT FROM (rec -> src) THEN
        RETURN NEW;
    END IF;
    SELECT s.short_url INTO link_url FROM shortlink.shorten(rec ->> src, opts) s;
    RETURN jsonb_populate_record(NEW, jsonb_build_object(dst, link_url));
END
$$;
