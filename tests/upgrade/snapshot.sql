-- Every row of every table of shortlink (each partition on its own) and of the
-- application's linked table: its count and a digest of its rows, one line a table.
-- (\gexec, not query_to_xml: some PostgreSQL builds have no libxml.) A row is digested as
-- its JSON without NULL fields, so that a column an update adds (NULL in the rows it
-- finds) changes no digest, while any value changed, lost or moved does.
\pset format unaligned
\pset tuples_only on
SELECT pg_catalog.format(
           'SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(r.j, E''\n'' ORDER BY r.j COLLATE "C"), '''')) FROM (SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.to_jsonb(t))::text AS j FROM %s t) r',
           c.oid::pg_catalog.regclass::text, c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND (n.nspname = 'shortlink' OR c.oid = 'public.upgrade_campaigns'::pg_catalog.regclass)
ORDER BY c.oid::pg_catalog.regclass::text COLLATE "C"
\gexec
