-- Tables whose contents every backend keeps in memory: the bot rules (compiled), the
-- domains and the blocked hosts (what a new link was last told about its domain and its
-- destination's host; src/link_row.rs). A statement trigger on each queues a relcache
-- invalidation of the table (src/bot_rules.rs): every other backend receives it when the
-- writing transaction commits, before that transaction's locks are released and before
-- its client hears of the commit, and the writer itself at its next command. So nothing
-- is read per click or per link while these tables do not change.
-- ENABLE ALWAYS: the triggers fire for rows a logical replication subscription applies too.
CREATE FUNCTION shortlink.cached_table_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM shortlink.invalidate_cached_table(TG_RELID);
    RETURN NULL;
END
$$;
CREATE TRIGGER cached_table_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shortlink.bot_rules
    FOR EACH STATEMENT EXECUTE FUNCTION shortlink.cached_table_changed();
CREATE TRIGGER cached_table_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shortlink.domains
    FOR EACH STATEMENT EXECUTE FUNCTION shortlink.cached_table_changed();
CREATE TRIGGER cached_table_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shortlink.blocked_hosts
    FOR EACH STATEMENT EXECUTE FUNCTION shortlink.cached_table_changed();
ALTER TABLE shortlink.bot_rules ENABLE ALWAYS TRIGGER cached_table_changed;
ALTER TABLE shortlink.domains ENABLE ALWAYS TRIGGER cached_table_changed;
ALTER TABLE shortlink.blocked_hosts ENABLE ALWAYS TRIGGER cached_table_changed;
