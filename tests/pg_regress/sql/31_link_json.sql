-- The JSON of a link just made (api_shorten, shorten_many_links) is written from the row
-- its insert stored, not read back by a statement: it must be, byte for byte, what
-- PostgreSQL's json_build_object writes of that row (escapes, timestamps in the session's
-- time zone, jsonb as its text, arrays), for a plain link (the direct insert), a link
-- with options (the SPI insert), an existing link returned (if_exists) and the bulk path.
-- Self-contained: its workspace, key and links are removed at the end.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

CREATE ROLE sl_json_api;
SELECT shortlink.add_workspace('jsonws') > 0 AS workspace;
SELECT shortlink.grant_api('sl_json_api');
SELECT domain FROM shortlink.add_domain('go.json.example', '{"workspace": "jsonws"}');
SELECT secret AS key FROM shortlink.create_api_key('jsonws', 'json key') \gset

-- What json_build_object writes of a row of links, in link_json's order and names.
CREATE FUNCTION pg_temp.sql_json(l shortlink.links) RETURNS text LANGUAGE sql AS $$
SELECT json_build_object(
    'id', l.id, 'domain', l.domain, 'code', l.code,
    'short_url', shortlink.short_url(l.domain, l.code), 'url', l.url,
    'link_type', l.link_type, 'redirect_type', l.redirect_type::int4,
    'created_at', l.created_at, 'updated_at', l.updated_at, 'expires_at', l.expires_at,
    'expired', coalesce(l.expires_at <= now(), false),
    'max_clicks', l.max_clicks, 'disabled', l.disabled, 'tracking', l.tracking,
    'password_protected', l.password_protected, 'forward_parameters', l.forward_params,
    'block_bots', l.block_bots, 'utm', l.utm, 'title', l.title,
    'description', l.description, 'image', l.image, 'tags', l.tags, 'cloaked', l.cloaked,
    'meta_pixel_id', l.meta_pixel_id, 'google_tag_id', l.google_tag_id,
    'custom_field', l.custom_field, 'dlt_header', l.dlt_header,
    'contact_phone', l.contact_phone, 'callback_url', l.callback_url, 'callback_format', l.callback_format,
    'webhook_urls', l.webhook_urls, 'expired_url', l.expired_url, 'metadata', l.metadata)::text
$$;
CREATE TEMP TABLE made (what text, link text);
GRANT SELECT, INSERT ON made TO sl_json_api;

-- A time zone with a half-hour offset: timestamps are written in the session's zone.
SET TimeZone = 'Asia/Kolkata';
SET ROLE sl_json_api;
-- Plain: the direct insert (generated code, no options).
INSERT INTO made SELECT 'plain', link::text
FROM shortlink.api_shorten(:'key', 'https://json.example/plain', '{"domain": "go.json.example"}');
-- Every kind of value, with characters JSON must escape.
INSERT INTO made SELECT 'options', link::text
FROM shortlink.api_shorten(:'key', 'https://json.example/opts?q=1', $${
    "domain": "go.json.example", "code": "json-opts", "title": "Say \"hi\" \\ é ✓ </script>",
    "tags": ["b", "a \"q\""], "metadata": {"campaign": "x", "n": [1, 2.5, null], "nested": {"z": true}},
    "utm_source": "sms", "expire_in": 3600, "max_clicks": 5, "password": "s3cret pass",
    "redirect_type": 301, "block_bots": true, "forward_params": true,
    "webhook_urls": ["https://hooks.example/a"], "custom_field": "a/b\\c",
    "callback_url": "https://hooks.example/cb", "callback_format": "exotel",
    "description": "", "expired_url": "https://json.example/gone"}$$);
-- Options refuse control characters; a row written by hand may hold them. The existing
-- link returned (if_exists): not inserted by this statement, found by its id.
RESET ROLE;
SELECT code FROM shortlink.shorten('https://json.example/hand', '{"domain": "go.json.example", "code": "json-hand"}');
UPDATE shortlink.links SET description = E'line1\nline2\ttab\r\u0001\u001f\b\f end'
WHERE code = 'json-hand';
SET ROLE sl_json_api;
INSERT INTO made SELECT 'existing', link::text
FROM shortlink.api_shorten(:'key', 'https://json.example/hand',
    '{"domain": "go.json.example", "code": "json-hand", "if_exists": "return"}');
SELECT count(*) AS made FROM made;
-- No domain: shortlink.default_domain (localhost) is not this key's workspace's, so the
-- link goes on the workspace's first domain the key may use.
SELECT link->>'domain' AS default_for_key FROM shortlink.api_shorten(:'key', 'https://json.example/nodomain');
RESET ROLE;

-- Byte for byte as json_build_object writes them.
SELECT m.what, m.link = pg_temp.sql_json(l) AS same_text,
       m.link::jsonb = pg_temp.sql_json(l)::jsonb AS same_value,
       json_typeof(m.link::json) AS type, m.link::jsonb ? 'password_hash' AS has_hash
FROM made m JOIN shortlink.links l ON l.id = (m.link::jsonb->>'id')::bigint
ORDER BY m.what;
SELECT link::jsonb->'title' AS title, link::jsonb->'tags' AS tags, link::jsonb->'metadata' AS metadata,
       link::jsonb->'password_protected' AS password_protected, link::jsonb->'redirect_type' AS redirect_type,
       (link::jsonb->>'created_at') LIKE '%+05:30' AS in_session_zone
FROM made WHERE what = 'options';
-- A link whose expiry has passed: expired true (as expires_at <= now()).
UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE code = 'json-opts';
BEGIN;
SET LOCAL ROLE sl_json_api;
SELECT key_id > 0 AS key FROM shortlink.api_begin(:'key');
-- NULL secret: the key api_begin presented in this transaction.
SELECT link::jsonb->'expired' AS expired, link::jsonb->>'code' AS code
FROM shortlink.api_shorten(NULL, 'https://json.example/opts?q=1&utm_source=sms',
    '{"domain": "go.json.example", "code": "json-opts", "if_exists": "return"}');
COMMIT;
-- NULL secret and no key presented: 42501, nothing made.
SET ROLE sl_json_api;
SELECT key_id FROM shortlink.api_shorten(NULL, 'https://json.example/nokey', '{"domain": "go.json.example"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS nokey_links FROM shortlink.links WHERE url = 'https://json.example/nokey';

-- shorten_many_links: each item made (the set-wise path for plain ones, one by one for
-- the others) or refused on its own, each link as json_build_object writes its row; an
-- existing link returned (if_exists) under the API role, which has no right on ctid.
TRUNCATE made;
BEGIN;
SET LOCAL ROLE sl_json_api;
SELECT key_id > 0 AS key FROM shortlink.api_begin(:'key');
INSERT INTO made SELECT 'bulk ' || idx, coalesce(link::text, sqlstate || ' ' || error)
FROM shortlink.shorten_many_links($$[
    {"url": "https://json.example/b0", "domain": "go.json.example"},
    {"url": "https://json.example/b1", "domain": "go.json.example", "code": "json-b1", "tags": ["t"]},
    {"url": "not a url", "domain": "go.json.example"},
    {"url": "https://json.example/b3", "domain": "go.json.example", "utm_campaign": "spring"},
    {"url": "https://json.example/b4", "domain": "go.json.example", "code": "json-b1"},
    {"url": "https://json.example/hand", "domain": "go.json.example", "code": "json-hand", "if_exists": "return"}
]$$);
COMMIT;
SELECT m.what, m.link = pg_temp.sql_json(l) AS same_text, l.code IS NOT NULL AS made
FROM made m LEFT JOIN shortlink.links l
    ON l.id = CASE WHEN m.link LIKE '{%' THEN (m.link::jsonb->>'id')::bigint END
ORDER BY m.what;
SELECT what, link FROM made WHERE link NOT LIKE '{%' ORDER BY what;
-- Without links:write, as shorten_many: 42501.
SELECT secret AS ro_key FROM shortlink.create_api_key('jsonws', 'json ro', '{"scopes": ["links:read"]}') \gset
-- Prefixes are random: renamed to read the message.
UPDATE shortlink.api_keys SET prefix = 'jsonRead' WHERE name = 'json ro';
BEGIN;
SET LOCAL ROLE sl_json_api;
SELECT key_id > 0 AS key FROM shortlink.api_begin(:'ro_key');
SELECT idx FROM shortlink.shorten_many_links('[{"url": "https://json.example/ro"}]');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET TimeZone;

-- Clean up.
DELETE FROM shortlink.links WHERE domain = 'go.json.example';
DELETE FROM shortlink.api_keys WHERE name IN ('json key', 'json ro');
DELETE FROM shortlink.domains WHERE domain = 'go.json.example';
DELETE FROM shortlink.workspaces WHERE name = 'jsonws';
DROP TABLE made;
DROP OWNED BY sl_json_api;
DROP ROLE sl_json_api;
