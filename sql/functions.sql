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
-- A C function (src/autolink.rs): no SET search_path, as it looks no name up through it.
CREATE FUNCTION shortlink.autolink()
RETURNS trigger
LANGUAGE c VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'shortlink_autolink';
