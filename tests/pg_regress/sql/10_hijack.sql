-- No hijacking: a role that owns a schema first on another role's search_path (here a
-- schema named after the victim, on the default "$user", public path) shadows every
-- operator and function shortlink uses with look-alikes of more exact argument types.
-- Each look-alike raises: were any of them run, with the victim's rights or a
-- superuser's, the call would fail. Every call below gives what it gives without them.
-- Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
CREATE ROLE sl_attacker;
CREATE ROLE sl_victim;
SELECT shortlink.grant_app('sl_victim');
SELECT shortlink.grant_redirect('sl_victim');
CREATE SCHEMA sl_victim AUTHORIZATION sl_attacker;
GRANT USAGE ON SCHEMA sl_victim TO PUBLIC;

SET ROLE sl_attacker;
CREATE FUNCTION sl_victim.hijacked() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'HIJACKED: shortlink ran code of role sl_attacker';
END
$$;
-- Operators: every operator name shortlink's SQL uses, for every pair of the types its
-- tables and parameters have where pg_catalog has no operator of exactly those types.
DO $$
DECLARE
    types text[] := ARRAY['bigint', 'integer', 'smallint', 'numeric', 'double precision',
        'text', 'name', 'boolean', 'timestamptz', 'interval', 'jsonb', 'text[]', 'integer[]',
        'inet', 'oid', 'regrole', 'regclass', 'bytea', '"char"', 'anyelement', 'anyarray'];
    ops text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', '+', '-', '||', '?', '@>', '->',
        '->>', '~', '!~', '~~'];
    l text; r text; op text; n integer := 0; fn text;
BEGIN
    FOREACH l IN ARRAY types LOOP
        FOREACH r IN ARRAY types LOOP
            fn := format('sl_victim.op_%s', n);
            EXECUTE format('CREATE FUNCTION %s(%s, %s) RETURNS boolean LANGUAGE sql AS %L',
                           fn, l, r, 'SELECT sl_victim.hijacked()');
            n := n + 1;
            FOREACH op IN ARRAY ops LOOP
                CONTINUE WHEN EXISTS (
                    SELECT 1 FROM pg_operator o
                    WHERE o.oprname = op AND o.oprnamespace = 'pg_catalog'::regnamespace
                      AND o.oprleft = l::regtype AND o.oprright = r::regtype);
                BEGIN
                    EXECUTE format('CREATE OPERATOR sl_victim.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s)',
                                   op, l, r, fn);
                EXCEPTION WHEN OTHERS THEN NULL;  -- a combination PostgreSQL refuses
                END;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;
-- Functions: for every pg_catalog function of a name shortlink calls, look-alikes whose
-- polymorphic or numeric arguments are replaced by concrete types (the attack on
-- jsonb_populate_record(NULL::shortlink.links, …) and cardinality(text[])).
DO $$
DECLARE
    names text[] := ARRAY['now', 'sum', 'max', 'min', 'count', 'lower', 'upper', 'btrim',
        'rtrim', 'encode', 'sha256', 'convert_to', 'jsonb_populate_record',
        'jsonb_build_object', 'cardinality', 'array_remove', 'array_prepend', 'make_interval',
        'date_trunc', 'to_jsonb', 'pg_notify', 'current_setting', 'jsonb_typeof',
        'jsonb_object_keys', 'format', 'substring', 'right', 'length', 'pg_has_role',
        'string_agg', 'quote_ident', 'coalesce', 'array_length', 'gen_random_uuid',
        'char_length', 'nextval', 'jsonb_set', 'jsonb_strip_nulls', 'array_agg',
        'unnest', 'exists', 'greatest', 'least', 'date_part', 'extract', 'position',
        'array_position', 'starts_with', 'split_part', 'md5', 'inet_out', 'host', 'text',
        'set_masklen', 'network', 'abbrev', 'timezone', 'row_to_json', 'jsonb_agg',
        'jsonb_each_text', 'regexp_match', 'regexp_replace', 'translate', 'replace'];
    concrete text[] := ARRAY['text', 'bigint', 'integer', 'numeric', 'jsonb', 'text[]',
        'bigint[]', 'boolean', 'timestamptz', 'shortlink.links', 'inet', 'unknown'];
    p record; c text; args text; made integer := 0;
BEGIN
    FOR p IN
        SELECT f.proname, f.proargtypes::regtype[] AS argtypes
        FROM pg_proc f
        WHERE f.pronamespace = 'pg_catalog'::regnamespace AND f.proname = ANY (names)
          AND f.prokind = 'f' AND f.pronargs BETWEEN 1 AND 4
    LOOP
        FOREACH c IN ARRAY concrete LOOP
            SELECT string_agg(CASE
                       WHEN t::text LIKE 'any%' THEN CASE WHEN t::text LIKE '%array' THEN c || '[]' ELSE c END
                       WHEN t::text IN ('numeric', 'double precision', 'real') AND c IN ('bigint', 'integer') THEN c
                       WHEN t::text = 'text' AND c = 'unknown' THEN 'name'
                       ELSE t::text END, ', ')
            INTO args FROM unnest(p.argtypes) t;
            CONTINUE WHEN args = (SELECT string_agg(t::text, ', ') FROM unnest(p.argtypes) t);
            BEGIN
                EXECUTE format('CREATE FUNCTION sl_victim.%I(%s) RETURNS boolean LANGUAGE sql AS %L',
                               p.proname, args, 'SELECT sl_victim.hijacked()');
                made := made + 1;
            EXCEPTION WHEN OTHERS THEN NULL;  -- a duplicate, or a type that cannot be
            END;
        END LOOP;
    END LOOP;
    RAISE NOTICE 'look-alike functions: more than 100: %', made > 100;
END
$$;
RESET ROLE;
SELECT count(*) > 1000 AS many_operators_planted FROM pg_operator WHERE oprnamespace = 'sl_victim'::regnamespace;

-- A superuser with the attacker's schema first on its search_path.
SET search_path = sl_victim, public;
-- The look-alikes work: a query without a pinned search_path runs them.
SELECT 1::bigint + sum(1::bigint) AS sum_plus_bigint;
SELECT 3::numeric < 2::bigint AS numeric_lt_bigint;
SELECT cardinality('{a}'::text[]);
SELECT (jsonb_populate_record(NULL::shortlink.links, '{}')).id;
SELECT shortlink.add_domain('hijack.example') IS NOT NULL AS added;
SELECT code, url, max_clicks, metadata FROM shortlink.shorten('https://example.com/h?a=1',
    '{"code": "h-limited", "max_clicks": 2, "metadata": {"n": 1}, "tags": ["t"], "expire_in": 3600,
      "utm_source": "sms", "callback_url": "https://hooks.example/cb", "title": "T"}');
SELECT code, url FROM shortlink.shorten('https://example.com/p', '{"code": "h-pw", "password": "pw", "domain": "hijack.example"}');
-- A generated code: the direct insert (src/direct_write/link_insert.rs), with an expiry.
SELECT length(code), url, expires_at > now() AS expires FROM shortlink.shorten('https://example.com/g', '{"expire_in": 60}');
SELECT idx, ok, code, error FROM shortlink.shorten_many('[{"url": "https://example.com/m", "code": "h-many"}, {"url": "nope"}]');
SELECT shortlink.resolve('h-limited');
SELECT status, location, http_status FROM shortlink.record_click('h-limited', ip => '198.51.100.7',
    user_agent => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
    referer => 'https://news.example/a', country => 'de', query => 'x=1');
SELECT status FROM shortlink.record_click('h-limited', user_agent => 'WhatsApp/2.23.20.0 A');
SELECT status FROM shortlink.record_click('h-limited');
SELECT status FROM shortlink.record_click('h-limited');
SELECT shortlink.resolve('h-limited');
SELECT status, location FROM shortlink.record_click('h-pw', 'hijack.example', password => 'pw');
SELECT clicks, bot_clicks, max_clicks FROM shortlink.stats('h-limited');
SELECT code, clicks, bot_clicks, unique_visitors, tags, utm, title FROM shortlink.get_link('h-limited');
SELECT dimension, key, clicks, unique_visitors, bot_clicks FROM shortlink.click_stats('h-limited');
SELECT code, url, max_clicks FROM shortlink.update_link('h-limited', '{"max_clicks": 3, "url": "https://example.com/h2"}');
SELECT status FROM shortlink.record_click('h-limited');
SELECT status FROM shortlink.record_click('h-limited');
SELECT shortlink.disable('h-many');
SELECT status FROM shortlink.record_click('h-many');
SELECT shortlink.enable('h-many');
SELECT code FROM shortlink.list_links('{"tag": "t", "metadata": {"n": 1}, "expired": false, "disabled": false}');
SELECT shortlink.purge_expired();
SELECT shortlink.block_host('blocked.example');
SELECT shortlink.delete_link('h-many');
SELECT shortlink.visible_workspaces(), shortlink.current_workspace();
SELECT status, http_status FROM shortlink.peek_click('h-pw', 'hijack.example');
SELECT title FROM shortlink.link_card('h-limited');
SELECT count(*) > 0 AS claimed FROM shortlink.claim_deliveries(10, '1 minute');
SELECT shortlink.finish_delivery(d.event_id, d.target, 500, 'HTTP 500') FROM shortlink.deliveries d
JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'h-limited' LIMIT 1;
SELECT pending > 0 AS backlog FROM shortlink.delivery_backlog();

-- The victim itself, on its default "$user", public path: its own schema is the attacker's.
RESET search_path;
SET ROLE sl_victim;
SHOW search_path;
SELECT code, max_clicks FROM shortlink.shorten('https://example.com/v', '{"code": "h-victim", "max_clicks": 1, "metadata": {"big": 12345678901234567890}}');
SELECT status FROM shortlink.record_click('h-victim', ip => '198.51.100.8', user_agent => 'curl/8.0');
SELECT status FROM shortlink.record_click('h-victim');
SELECT status FROM shortlink.record_click('h-victim');
SELECT clicks, bot_clicks FROM shortlink.stats('h-victim');
SELECT code, metadata, clicks FROM shortlink.get_link('h-victim');
SELECT dimension, clicks, bot_clicks FROM shortlink.click_stats('h-victim');
SELECT code FROM shortlink.update_link('h-victim', '{"title": "V"}');
SELECT code FROM shortlink.list_links('{"metadata": {"big": 12345678901234567890}}');
SELECT shortlink.delete_link('h-victim');
SELECT shortlink.visible_workspaces(), shortlink.current_workspace();
CREATE TEMP TABLE campaign (landing text, short_url text);
CREATE TRIGGER link_it BEFORE INSERT ON campaign
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing', 'short_url', '{"max_clicks": 1}');
INSERT INTO campaign (landing) VALUES ('https://example.com/auto');
CREATE TEMP TABLE campaign_plain (landing text, short_url text);
CREATE TRIGGER link_it BEFORE INSERT ON campaign_plain
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing', 'short_url');
INSERT INTO campaign_plain (landing) VALUES ('https://example.com/auto-plain');
SELECT short_url IS NOT NULL AS linked FROM campaign;
SELECT short_url IS NOT NULL AS linked FROM campaign_plain;
RESET ROLE;
ROLLBACK;
