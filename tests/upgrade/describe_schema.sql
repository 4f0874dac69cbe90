-- One line per fact of the shortlink extension's schema, sorted: what a fresh install and
-- an upgraded install must have alike. pg_dump leaves extension members out, so this reads
-- the catalogs: every member object; each member relation's columns (in order, with types,
-- defaults, identity, generation, collation), constraints, indexes, triggers, policies,
-- options and privileges; each member function's definition, owner and privileges; the
-- extension's configuration tables. Objects that functions create later (day partitions)
-- are data, not schema: they are not members and are left out.
\pset format unaligned
\pset tuples_only on
WITH ext AS (
    SELECT oid, extconfig, extcondition FROM pg_catalog.pg_extension WHERE extname = 'shortlink'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
    FROM pg_catalog.pg_depend d, ext
    WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
      AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
    SELECT c.oid::pg_catalog.regclass::text AS name, c.*
    FROM pg_catalog.pg_class c
    WHERE c.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass)
       -- composite types' relations belong to their member type
       OR c.reltype IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
), acl(kind, name, acl) AS (
    SELECT 'relation', r.name, r.relacl FROM rels r
    UNION ALL
    SELECT 'function', p.oid::pg_catalog.regprocedure::text, p.proacl
    FROM pg_catalog.pg_proc p
    WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)
    UNION ALL
    SELECT 'schema', n.nspname::text, n.nspacl FROM pg_catalog.pg_namespace n WHERE n.nspname = 'shortlink'
    UNION ALL
    SELECT 'type', t.oid::pg_catalog.regtype::text, t.typacl
    FROM pg_catalog.pg_type t
    WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
)
SELECT line FROM (
    SELECT 'member ' || pg_catalog.pg_describe_object(classid, objid, objsubid) FROM members
    UNION ALL
    SELECT 'config ' || cfg::pg_catalog.regclass::text || ' ' || coalesce(cond, '')
    FROM ext, LATERAL unnest(ext.extconfig, ext.extcondition) AS u(cfg, cond)
    UNION ALL
    SELECT pg_catalog.format('relation %s kind=%s persistence=%s rls=%s force_rls=%s owner=%s options=%s replica_identity=%s partkey=%s bound=%s',
                             r.name, r.relkind, r.relpersistence, r.relrowsecurity, r.relforcerowsecurity,
                             pg_catalog.pg_get_userbyid(r.relowner), r.reloptions, r.relreplident,
                             pg_catalog.pg_get_partkeydef(r.oid), pg_catalog.pg_get_expr(r.relpartbound, r.oid))
    FROM rels r
    UNION ALL
    SELECT pg_catalog.format('column %s #%s %s %s not_null=%s default=%s identity=%s generated=%s collation=%s acl=%s',
                             r.name, pg_catalog.row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
                             a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                             pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                             co.collname, a.attacl)
    FROM rels r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
    UNION ALL
    SELECT pg_catalog.format('constraint %s %s %s', r.name, c.conname, pg_catalog.pg_get_constraintdef(c.oid))
    FROM rels r JOIN pg_catalog.pg_constraint c ON c.conrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('index %s %s', r.name, pg_catalog.pg_get_indexdef(i.indexrelid))
    FROM rels r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('trigger %s %s enabled=%s', r.name, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled)
    FROM rels r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT pg_catalog.format('event trigger %s on %s tags=%s function=%s enabled=%s owner=%s', e.evtname,
                             e.evtevent, e.evttags, e.evtfoid::pg_catalog.regprocedure, e.evtenabled,
                             pg_catalog.pg_get_userbyid(e.evtowner))
    FROM pg_catalog.pg_event_trigger e
    WHERE e.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass)
    UNION ALL
    SELECT pg_catalog.format('policy %s %s cmd=%s permissive=%s roles=%s using=%s check=%s',
                             r.name, p.polname, p.polcmd, p.polpermissive,
                             (SELECT pg_catalog.string_agg(CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END, ',' ORDER BY 1)
                              FROM unnest(p.polroles) AS x),
                             pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
    FROM rels r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('sequence %s type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s',
                             r.name, s.seqtypid::pg_catalog.regtype, s.seqstart, s.seqincrement, s.seqmin,
                             s.seqmax, s.seqcache, s.seqcycle)
    FROM rels r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('function %s owner=%s %s', p.oid::pg_catalog.regprocedure,
                             pg_catalog.pg_get_userbyid(p.proowner),
                             CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_catalog.pg_get_functiondef(p.oid) END)
    FROM pg_catalog.pg_proc p
    WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)
    UNION ALL
    SELECT pg_catalog.format('type %s kind=%s owner=%s labels=%s', t.oid::pg_catalog.regtype, t.typtype,
                             pg_catalog.pg_get_userbyid(t.typowner),
                             (SELECT pg_catalog.string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder)
                              FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_catalog.pg_type t
    WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
    UNION ALL
    -- Privileges, one grant a line, whatever order they were granted in.
    SELECT pg_catalog.format('grant %s %s to %s by %s: %s%s', a.kind, a.name,
                             CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END,
                             pg_catalog.pg_get_userbyid(x.grantor), x.privilege_type,
                             CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END)
    FROM (SELECT * FROM acl WHERE pg_catalog.cardinality(acl.acl) > 0) AS a, LATERAL pg_catalog.aclexplode(a.acl) AS x
    UNION ALL
    SELECT 'acl_is_' || CASE WHEN a.acl IS NULL THEN 'default ' ELSE 'empty ' END || a.kind || ' ' || a.name
    FROM acl a WHERE a.acl IS NULL OR pg_catalog.cardinality(a.acl) = 0
    UNION ALL
    SELECT pg_catalog.format('comment %s %s', pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
    FROM pg_catalog.pg_description d JOIN members m ON m.classid = d.classoid AND m.objid = d.objoid
) AS facts(line)
ORDER BY line COLLATE "C";
