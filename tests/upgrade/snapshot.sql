-- Every row of every table of shortlink (each partition on its own) and of the
-- application's linked table: its count and a digest of its rows, one line a table.
-- (\gexec, not query_to_xml: some PostgreSQL builds have no libxml.)
\pset format unaligned
\pset tuples_only on
SELECT pg_catalog.format(
           'SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text COLLATE "C"), '''')) FROM %s t',
           c.oid::pg_catalog.regclass::text, c.oid::pg_catalog.regclass)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND (n.nspname = 'shortlink' OR c.oid = 'public.upgrade_campaigns'::pg_catalog.regclass)
ORDER BY c.oid::pg_catalog.regclass::text COLLATE "C"
\gexec
