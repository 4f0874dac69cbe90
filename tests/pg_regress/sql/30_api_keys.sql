-- API keys: an API role (grant_api) sees nothing until a request presents a key in its
-- transaction (api_begin), and then only the key's workspace, domains, links and scopes.
-- A key is valid for the transaction it was presented in. Self-contained: the setup is
-- committed (keys live across transactions) and removed at the end.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

CREATE ROLE sl_api;
CREATE ROLE sl_acme_admin;
SELECT shortlink.add_workspace('acme') > 0 AS acme, shortlink.add_workspace('globex') > 0 AS globex;
SELECT shortlink.grant_api('sl_api'), shortlink.grant_app('sl_acme_admin', 'acme');
SELECT domain FROM shortlink.add_domain('go.acme.example', '{"workspace": "acme"}');
SELECT domain FROM shortlink.add_domain('x.acme.example', '{"workspace": "acme"}');
SELECT domain FROM shortlink.add_domain('go.globex.example', '{"workspace": "globex"}');
SELECT code FROM shortlink.shorten('https://acme.example/1', '{"code": "acme-1", "domain": "go.acme.example"}');
SELECT code FROM shortlink.shorten('https://acme.example/x', '{"code": "acme-x", "domain": "x.acme.example"}');
SELECT code FROM shortlink.shorten('https://globex.example/1', '{"code": "globex-1", "domain": "go.globex.example"}');
SELECT status FROM shortlink.record_click('acme-1', 'go.acme.example', ip => '203.0.113.7',
    user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');

-- Keys: made by the owner, and by a role granted the workspace. The secret is shown once;
-- only its SHA-256 is stored. Prefixes are random: the test renames them to read its
-- messages.
SELECT id AS acme_all_id, secret AS acme_all,
       secret ~ '^sl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$' AS secret_shape,
       substr(secret, 4, 8) = prefix AS secret_has_prefix
FROM shortlink.create_api_key('acme', 'acme all') \gset
SELECT :'secret_shape' AS secret_shape, :'secret_has_prefix' AS secret_has_prefix;
SELECT secret AS globex_all FROM shortlink.create_api_key('globex', 'globex all', '{"rate_limit": 600}') \gset
SELECT name, workspace_id > 0 AS in_workspace, scopes, domains, own_links_only, rate_limit, expires_at,
       created_by = current_user AS by_owner, revoked_at, last_used_at
FROM shortlink.api_keys ORDER BY id;
SET ROLE sl_acme_admin;
SELECT secret AS acme_read FROM shortlink.create_api_key('acme', 'reader', '{"scopes": ["links:read"]}') \gset
SELECT secret AS acme_x FROM shortlink.create_api_key('acme', 'x only', '{"domains": ["X.Acme.Example"]}') \gset
SELECT secret AS acme_own FROM shortlink.create_api_key('acme', 'own links', '{"own_links_only": true}') \gset
SELECT secret AS acme_expired FROM shortlink.create_api_key('acme', 'short-lived', '{"expire_in": 3600}') \gset
SELECT secret AS acme_noscope FROM shortlink.create_api_key('acme', 'keys only', '{"scopes": ["keys:manage"]}') \gset
SELECT name, created_by = 'sl_acme_admin' AS by_role, scopes, domains, own_links_only
FROM shortlink.api_keys ORDER BY id;
-- Not secret_hash: the column is not granted.
SELECT secret_hash FROM shortlink.api_keys;
\echo :LAST_ERROR_SQLSTATE
-- Not another workspace's, nor bad options.
SELECT id FROM shortlink.create_api_key('globex', 'mine');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"scopes": ["links:admin"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"colour": "red"}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"rate_limit": 0}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"own_links_only": "yes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"domains": ["go.globex.example"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'bad', '{"expires_at": "2001-01-01T00:00:00Z"}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', '');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE shortlink.api_keys SET prefix = CASE name
    WHEN 'acme all' THEN 'acmeAll0' WHEN 'globex all' THEN 'globexA0'
    WHEN 'reader' THEN 'acmeRead' WHEN 'x only' THEN 'acmeXonl' WHEN 'own links' THEN 'acmeOwn0'
    WHEN 'short-lived' THEN 'acmeExp0' WHEN 'keys only' THEN 'acmeKeys' END;
UPDATE shortlink.api_keys SET expires_at = now() - interval '1 second' WHERE name = 'short-lived';

-- Without a key, the API role sees no row of any workspace, through every table and
-- function, and the idempotency functions refuse.
SET ROLE sl_api;
SELECT (SELECT count(*) FROM shortlink.workspaces) AS workspaces,
       (SELECT count(*) FROM shortlink.domains) AS domains,
       (SELECT count(*) FROM shortlink.links) AS links,
       (SELECT count(*) FROM shortlink.click_counts) AS click_counts,
       (SELECT count(*) FROM shortlink.click_log) AS click_log,
       (SELECT count(*) FROM shortlink.click_events) AS click_events,
       (SELECT count(*) FROM shortlink.outbox) AS outbox,
       (SELECT count(*) FROM shortlink.api_keys) AS api_keys,
       (SELECT count(*) FROM shortlink.api_key_links) AS api_key_links,
       (SELECT count(*) FROM shortlink.api_idempotency) AS api_idempotency,
       (SELECT count(*) FROM shortlink.list_links()) AS listed,
       (SELECT count(*) FROM shortlink.presented_key()) AS presented,
       shortlink.visible_workspaces() AS visible;
SELECT code FROM shortlink.get_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://acme.example/', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.stats('acme-1', 'go.acme.example');
SELECT claimed FROM shortlink.idempotency_claim('k1', '\x01');
\echo :LAST_ERROR_SQLSTATE
-- api_begin needs a transaction block.
SELECT key_id FROM shortlink.api_begin(:'acme_all');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A wrong, malformed, revoked or expired key: 28000, and the secret is never echoed.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT key_id FROM shortlink.api_begin('sl_AAAAAAAA_' || repeat('a', 43));
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_begin('not a key');
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_begin(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_begin(:'acme_expired');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS presented FROM shortlink.presented_key();
COMMIT;

-- Key of workspace acme: acme's rows only, through every table and function.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix, name, workspace, scopes, domains, own_links_only, rate_limit, expires_at
FROM shortlink.api_begin(:'acme_all');
SELECT workspace_id = (SELECT id FROM shortlink.workspaces WHERE name = 'acme') AS acme, scopes
FROM shortlink.presented_key();
SELECT shortlink.sees_every_workspace() AS sees_every, cardinality(shortlink.visible_workspaces()) AS visible;
SELECT name FROM shortlink.workspaces;
SELECT domain FROM shortlink.domains ORDER BY 1;
SELECT domain, code FROM shortlink.links ORDER BY 1, 2;
SELECT domain, code FROM shortlink.list_links() ORDER BY 1, 2;
SELECT code, url FROM shortlink.get_link('acme-1', 'go.acme.example');
SELECT code, clicks FROM shortlink.stats('acme-1', 'go.acme.example');
SELECT dimension, clicks FROM shortlink.click_stats('acme-1', 'go.acme.example') WHERE dimension = 'total';
SELECT count(*) AS click_events FROM shortlink.click_events;
SELECT length(shortlink.qr_svg('acme-1', 'go.acme.example')) > 0 AS qr;
SELECT prefix FROM shortlink.api_keys ORDER BY 1;
-- Another workspace's link and domain: not found, not registered.
SELECT code FROM shortlink.get_link('globex-1', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT dimension FROM shortlink.click_stats('globex-1', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://acme.example/', '{"domain": "go.globex.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('globex', 'from acme');
\echo :LAST_ERROR_SQLSTATE
-- It writes in acme, through the functions.
SELECT code, short_url FROM shortlink.shorten('https://acme.example/new', '{"code": "acme-new", "domain": "go.acme.example"}');
SELECT code FROM shortlink.update_link('acme-new', '{"title": "new"}', 'go.acme.example');
SELECT shortlink.disable('acme-new', 'go.acme.example'), shortlink.enable('acme-new', 'go.acme.example');
SELECT shortlink.delete_link('acme-new', 'go.acme.example');
SELECT idx, ok FROM shortlink.shorten_many('[{"url": "https://acme.example/b", "domain": "go.acme.example", "code": "acme-b"}]');
SELECT domain FROM shortlink.add_domain('new.acme.example');
SELECT shortlink.remove_domain('new.acme.example');
SELECT shortlink.remove_domain('go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.remove_domain('go.globex.example');
\echo :LAST_ERROR_SQLSTATE
-- The same key again is fine; a second key in the transaction is refused.
SELECT prefix FROM shortlink.api_begin(:'acme_all');
SELECT prefix FROM shortlink.api_begin(:'globex_all');
\echo :LAST_ERROR_SQLSTATE
-- Nor can SET forge a key or a workspace.
SET LOCAL shortlink.workspace = 'globex';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- The key is valid for its transaction only. api_begin sets last_used_at (at most once a
-- minute per key) in the request's transaction, which here commits.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_all');
COMMIT;
BEGIN;
SET LOCAL ROLE sl_api;
SELECT count(*) AS presented FROM shortlink.presented_key();
SELECT count(*) AS links FROM shortlink.links;
COMMIT;
SELECT name, last_used_at IS NOT NULL AS used FROM shortlink.api_keys WHERE prefix IN ('acmeAll0', 'acmeRead') ORDER BY 1;

-- A superuser presenting a key: its workspaces, and the functions that write, narrow to
-- the key's; but a superuser (as the owner) bypasses row-level security, so what it reads
-- through the tables is not narrowed. The API role is an ordinary role (grant_api).
BEGIN;
SELECT prefix FROM shortlink.api_begin(:'globex_all');
SELECT shortlink.sees_every_workspace() AS sees_every, cardinality(shortlink.visible_workspaces()) AS visible;
SELECT count(*) AS links_read FROM shortlink.list_links('{}', 1000) WHERE code IN ('acme-1', 'acme-x', 'globex-1');
SELECT code FROM shortlink.shorten('https://globex.example/', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Scopes: a read-only key reads and writes nothing else (42501 for each family).
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix, scopes FROM shortlink.api_begin(:'acme_read');
SELECT code FROM shortlink.get_link('acme-1', 'go.acme.example');
SELECT count(*) AS links FROM shortlink.links;
SELECT code FROM shortlink.shorten('https://acme.example/', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT idx FROM shortlink.shorten_many('[{"url": "https://acme.example/"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('acme-1', '{"title": "x"}', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.disable('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.enable('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.delete_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.set_disabled('acme-1', 'go.acme.example', true);
\echo :LAST_ERROR_SQLSTATE
SELECT dimension FROM shortlink.click_stats('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS click_events FROM shortlink.click_events;
SELECT domain FROM shortlink.add_domain('y.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.remove_domain('x.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'more');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.revoke_api_key(1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS api_keys FROM shortlink.api_keys;
ROLLBACK;

-- A key with keys:manage alone: no link, domain or analytics; it makes keys only with
-- the scopes it has.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix, scopes FROM shortlink.api_begin(:'acme_noscope');
SELECT count(*) AS domains FROM shortlink.domains;
SELECT count(*) AS links FROM shortlink.links;
SELECT code FROM shortlink.get_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.list_links();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.stats('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.qr_svg('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT name, scopes, own_links_only FROM shortlink.create_api_key('acme', 'made by a key', '{"scopes": ["keys:manage"]}');
SELECT created_by FROM shortlink.api_keys WHERE name = 'made by a key';
SELECT id FROM shortlink.create_api_key('acme', 'wider', '{"scopes": ["keys:manage", "links:write"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM shortlink.create_api_key('acme', 'default scopes');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS api_keys FROM shortlink.api_keys;
ROLLBACK;

-- A key restricted to x.acme.example: that domain only, and the keys it makes too.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix, domains FROM shortlink.api_begin(:'acme_x');
SELECT domain FROM shortlink.domains;
SELECT domain, code FROM shortlink.links;
SELECT code FROM shortlink.shorten('https://acme.example/', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.get_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('acme-1', '{"title": "x"}', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT domain FROM shortlink.add_domain('z.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://acme.example/x2', '{"code": "acme-x2", "domain": "x.acme.example"}');
SELECT name, domains FROM shortlink.create_api_key('acme', 'x child', '{"scopes": ["links:read"]}');
SELECT id FROM shortlink.create_api_key('acme', 'wider', '{"domains": ["go.acme.example"]}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A key restricted to its own links sees only the links it made.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix, own_links_only FROM shortlink.api_begin(:'acme_own');
SELECT count(*) AS links FROM shortlink.links;
SELECT code FROM shortlink.shorten('https://acme.example/mine', '{"code": "acme-mine", "domain": "go.acme.example"}');
SELECT code FROM shortlink.shorten('https://acme.example/mine-too', '{"domain": "go.acme.example"}') \gset mine_
SELECT idx, ok FROM shortlink.shorten_many('[{"url": "https://acme.example/m1", "domain": "go.acme.example"},
                                             {"url": "https://acme.example/m2", "domain": "go.acme.example", "title": "m2"}]');
SELECT count(*) AS links, count(*) FILTER (WHERE code = 'acme-mine') AS named FROM shortlink.links;
SELECT count(*) AS listed FROM shortlink.list_links();
SELECT code FROM shortlink.get_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('acme-1', '{"title": "x"}', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.delete_link('acme-1', 'go.acme.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('acme-mine', '{"title": "mine"}', 'go.acme.example');
SELECT name, own_links_only FROM shortlink.create_api_key('acme', 'own child');
SELECT id FROM shortlink.create_api_key('acme', 'wider', '{"own_links_only": false}');
\echo :LAST_ERROR_SQLSTATE
COMMIT;
-- Deleting its links removes their records.
SELECT count(*) AS records FROM shortlink.api_key_links;
DELETE FROM shortlink.links WHERE url LIKE 'https://acme.example/m%';
SELECT count(*) AS records FROM shortlink.api_key_links;

-- Idempotency: claim, store, replay; a different request under the same key; another
-- API key's records are its own.
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_all');
SELECT * FROM shortlink.idempotency_claim('req-1', '\x0a');
SELECT shortlink.idempotency_store('req-1', 201, '{"code": "abc"}');
SELECT shortlink.idempotency_store('req-2', 201, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.idempotency_claim('', '\x0a');
\echo :LAST_ERROR_SQLSTATE
COMMIT;
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_all');
SELECT * FROM shortlink.idempotency_claim('req-1', '\x0a');
SELECT * FROM shortlink.idempotency_claim('req-1', '\x0b');
SELECT idempotency_key, status FROM shortlink.api_idempotency;
COMMIT;
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'globex_all');
SELECT claimed FROM shortlink.idempotency_claim('req-1', '\x0a');
SELECT count(*) AS own_records FROM shortlink.api_idempotency;
ROLLBACK;
-- Records older than 24 hours count as absent, and maintain() deletes them.
UPDATE shortlink.api_idempotency SET created_at = now() - interval '25 hours';
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_all');
SELECT * FROM shortlink.idempotency_claim('req-1', '\x0b');
ROLLBACK;
SELECT shortlink.maintain() IS NOT NULL AS maintained;
SELECT count(*) AS idempotency_records FROM shortlink.api_idempotency;

-- api_shorten: a key presented and one link made in one statement, in autocommit. The
-- link comes back as link_json shows it (no password hash); the key's workspace, scopes
-- and domains hold as for shorten under api_begin; a refused call makes nothing, and no
-- key stays presented after the statement.
SET ROLE sl_api;
SELECT key_id > 0 AS key, rate_limit, link->>'code' AS code, link->>'domain' AS domain,
       link->>'short_url' AS short_url, link->>'url' AS url, link->>'title' AS title,
       link->'tags' AS tags, link->'redirect_type' AS redirect_type, link->'expired' AS expired,
       link::jsonb ? 'password_hash' AS has_hash, json_typeof(link) AS type
FROM shortlink.api_shorten(:'acme_all', 'https://acme.example/one',
                           '{"code": "acme-one", "domain": "go.acme.example", "title": "One", "tags": ["b", "a"]}');
SELECT rate_limit, link->>'domain' AS globex_default FROM shortlink.api_shorten(:'globex_all', 'https://globex.example/two', '{"domain": "go.globex.example"}');
SELECT key_id FROM shortlink.api_shorten(:'globex_all', 'https://globex.example/one', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_shorten(:'acme_read', 'https://acme.example/ro', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_shorten(:'acme_x', 'https://acme.example/x2', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT link->>'domain' AS x_domain FROM shortlink.api_shorten(:'acme_x', 'https://acme.example/x3', '{"domain": "x.acme.example"}');
SELECT key_id FROM shortlink.api_shorten('sl_AAAAAAAA_' || repeat('a', 43), 'https://acme.example/bad');
\echo :LAST_ERROR_SQLSTATE
SELECT key_id FROM shortlink.api_shorten(:'acme_all', 'not a url', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS presented_after FROM shortlink.presented_key();
SELECT count(*) AS links_seen_after FROM shortlink.links;
RESET ROLE;
SELECT url FROM shortlink.links WHERE url LIKE 'https://acme.example/%' AND url IN
    ('https://acme.example/one', 'https://acme.example/x3', 'https://acme.example/ro', 'https://acme.example/x2',
     'https://acme.example/bad') OR url LIKE 'https://globex.example/%' ORDER BY url;

-- A backend keeps the keys it has presented until api_keys or workspaces change
-- (src/presented_key.rs): a key narrowed, expired, renamed into or revoked after its first
-- use in this session is taken as it is now on its next.
SELECT secret AS acme_kept FROM shortlink.create_api_key('acme', 'kept', '{"scopes": ["links:write"]}') \gset
-- (A fixed prefix for the messages below; the key is found by its secret's hash.)
UPDATE shortlink.api_keys SET prefix = 'acmeKept' WHERE name = 'kept';
SET ROLE sl_api;
SELECT link->>'url' AS kept_made FROM shortlink.api_shorten(:'acme_kept', 'https://acme.example/kept1', '{"domain": "go.acme.example"}');
RESET ROLE;
SELECT last_used_at IS NOT NULL AS kept_marked_used FROM shortlink.api_keys WHERE name = 'kept';
UPDATE shortlink.api_keys SET scopes = '{links:read}' WHERE name = 'kept';
SET ROLE sl_api;
SELECT key_id FROM shortlink.api_shorten(:'acme_kept', 'https://acme.example/kept2', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE shortlink.api_keys SET scopes = '{links:write}', expires_at = now() - interval '1 second' WHERE name = 'kept';
SET ROLE sl_api;
SELECT key_id FROM shortlink.api_shorten(:'acme_kept', 'https://acme.example/kept3', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
UPDATE shortlink.api_keys SET expires_at = NULL WHERE name = 'kept';
UPDATE shortlink.workspaces SET name = 'acme-renamed' WHERE name = 'acme';
SET ROLE sl_api;
BEGIN;
SELECT workspace AS kept_workspace FROM shortlink.api_begin(:'acme_kept');
ROLLBACK;
RESET ROLE;
UPDATE shortlink.workspaces SET name = 'acme' WHERE name = 'acme-renamed';
SELECT shortlink.revoke_api_key(id) AS kept_revoked FROM shortlink.api_keys WHERE name = 'kept';
SET ROLE sl_api;
SELECT key_id FROM shortlink.api_shorten(:'acme_kept', 'https://acme.example/kept4', '{"domain": "go.acme.example"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT url AS kept_links FROM shortlink.links WHERE url LIKE 'https://acme.example/kept%' ORDER BY url;

-- Changing and revoking keys; revocation is effective from the next transaction.
SET ROLE sl_acme_admin;
SELECT name, scopes, rate_limit, expires_at IS NOT NULL AS expires
FROM shortlink.update_api_key((SELECT id FROM shortlink.api_keys WHERE prefix = 'acmeRead'),
                              '{"name": "reader 2", "scopes": ["links:read", "analytics:read"], "rate_limit": 60, "expire_in": 600}');
SELECT id FROM shortlink.update_api_key((SELECT id FROM shortlink.api_keys WHERE prefix = 'acmeRead'), '{"own_links_only": true}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_read');
COMMIT;
SELECT shortlink.revoke_api_key(id) AS revoked FROM shortlink.api_keys WHERE prefix = 'acmeRead';
SELECT shortlink.revoke_api_key(id) AS revoked_again FROM shortlink.api_keys WHERE prefix = 'acmeRead';
SELECT shortlink.revoke_api_key(-1);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL ROLE sl_api;
SELECT prefix FROM shortlink.api_begin(:'acme_read');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS links FROM shortlink.links;
ROLLBACK;

-- Clean up.
DELETE FROM shortlink.links WHERE domain IN ('go.acme.example', 'x.acme.example', 'go.globex.example');
DELETE FROM shortlink.domains WHERE domain IN ('go.acme.example', 'x.acme.example', 'go.globex.example');
DELETE FROM shortlink.workspaces WHERE name IN ('acme', 'globex');
SELECT count(*) AS api_keys_left FROM shortlink.api_keys;
DROP OWNED BY sl_api, sl_acme_admin;
DROP ROLE sl_api, sl_acme_admin;
