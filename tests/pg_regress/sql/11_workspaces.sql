-- Workspaces: two tenants in one database, isolated through every function and every
-- table by the database (row-level security); the redirect role serves both.
-- Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
CREATE ROLE sl_acme;
CREATE ROLE sl_globex;
CREATE ROLE sl_both;
CREATE ROLE sl_edge;
SELECT shortlink.add_workspace('acme') > 0 AS acme, shortlink.add_workspace('globex') > 0 AS globex;
SELECT shortlink.add_workspace('acme');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.add_workspace('no spaces');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.grant_app('sl_acme', 'acme'), shortlink.grant_app('sl_globex', 'globex'),
       shortlink.grant_app('sl_both', 'acme'), shortlink.grant_workspace('globex', 'sl_both'),
       shortlink.grant_redirect('sl_edge');
SELECT shortlink.grant_workspace('initech', 'sl_acme');
\echo :LAST_ERROR_SQLSTATE

-- Each tenant registers its domain; it lands in the tenant's only workspace.
SET ROLE sl_acme;
SELECT domain FROM shortlink.add_domain('go.acme.example');
SELECT code FROM shortlink.shorten('https://acme.example/spring', '{"code": "spring", "domain": "go.acme.example", "max_clicks": 10, "expire_in": 60}');
SELECT code FROM shortlink.shorten('https://acme.example/only', '{"code": "acme-only", "domain": "go.acme.example"}');
SET ROLE sl_globex;
SELECT domain FROM shortlink.add_domain('go.globex.example');
SELECT code FROM shortlink.shorten('https://globex.example/spring', '{"code": "spring", "domain": "go.globex.example", "webhook_urls": ["https://hooks.globex.example/"]}');
-- The default domain "localhost" is in workspace "default", not granted to globex.
SELECT code FROM shortlink.shorten('https://globex.example/x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT w.name, d.domain FROM shortlink.domains d JOIN shortlink.workspaces w ON w.id = d.workspace_id
WHERE d.domain IN ('go.acme.example', 'go.globex.example') ORDER BY 2;

-- The redirect role serves every workspace.
SET ROLE sl_edge;
SELECT status, location FROM shortlink.record_click('spring', 'go.acme.example', ip => '203.0.113.1', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36');
SELECT status, location FROM shortlink.record_click('spring', 'go.globex.example', ip => '203.0.113.2', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36');
SELECT shortlink.resolve('acme-only', 'go.acme.example');
RESET ROLE;

-- acme sees only its own, through every function: another tenant's code is "not found".
SET ROLE sl_acme;
SELECT code, url FROM shortlink.get_link('spring', 'go.acme.example');
SELECT code FROM shortlink.get_link('spring', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code, clicks FROM shortlink.stats('spring', 'go.acme.example');
SELECT count(*) AS rows_for_globex FROM shortlink.stats('spring', 'go.globex.example');
SELECT domain, code FROM shortlink.list_links() ORDER BY domain, code;
SELECT dimension, clicks FROM shortlink.click_stats('spring', 'go.acme.example') WHERE dimension = 'total';
SELECT dimension FROM shortlink.click_stats('spring', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('spring', '{"title": "mine now"}', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.disable('spring', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.enable('spring', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.delete_link('spring', 'go.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.link_id('spring', 'go.globex.example') IS NULL AS not_found;
-- Nor can it create links on the other's domain, nor register a domain into it.
SELECT code FROM shortlink.shorten('https://acme.example/', '{"domain": "go.globex.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT idx, ok, error FROM shortlink.shorten_many('[{"url": "https://acme.example/a", "domain": "go.globex.example"},
                                                    {"url": "https://acme.example/b", "domain": "go.acme.example", "code": "acme-b"}]');
SELECT domain FROM shortlink.add_domain('x.acme.example', '{"workspace": "globex"}');
\echo :LAST_ERROR_SQLSTATE
SELECT domain FROM shortlink.add_domain('go.globex.example', '{"if_not_exists": true}');
\echo :LAST_ERROR_SQLSTATE
-- Direct reads of every table: row-level security.
SELECT domain FROM shortlink.domains ORDER BY 1;
SELECT domain, code FROM shortlink.links ORDER BY 1, 2;
SELECT count(*) AS click_count_rows FROM shortlink.click_counts;
SELECT count(*) AS click_log_rows FROM shortlink.click_log;
SELECT count(*) AS click_events FROM shortlink.click_events;
SELECT count(*) AS outbox_events FROM shortlink.outbox;
SELECT name FROM shortlink.workspaces ORDER BY 1;
RESET ROLE;
SELECT count(*) AS outbox_events_of_globex FROM shortlink.outbox o
JOIN shortlink.links l ON l.id = o.link_id WHERE l.domain = 'go.globex.example';
SET ROLE sl_acme;
SELECT count(*) AS memberships FROM shortlink.workspace_members;
UPDATE shortlink.links SET disabled = true WHERE domain = 'go.globex.example';
DELETE FROM shortlink.links WHERE domain = 'go.globex.example';
-- purge_expired removes its own expired links only.
RESET ROLE;
UPDATE shortlink.links SET expires_at = now() - interval '90 days' WHERE code = 'spring';
SET ROLE sl_acme;
SELECT shortlink.purge_expired() AS purged;
RESET ROLE;
SELECT domain, code FROM shortlink.links WHERE code = 'spring' AND domain LIKE 'go.%.example' ORDER BY 1;

-- SET shortlink.workspace picks one of the role's workspaces; one not granted is refused.
SET ROLE sl_acme;
SET shortlink.workspace = 'globex';
\echo :LAST_ERROR_SQLSTATE
SET shortlink.workspace = 'nowhere';
\echo :LAST_ERROR_SQLSTATE
SHOW shortlink.workspace;
SET ROLE sl_both;
SELECT domain FROM shortlink.add_domain('both.example');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS links_of_both FROM shortlink.links;
SET shortlink.workspace = 'globex';
SELECT domain FROM shortlink.add_domain('both.example');
SELECT domain, code FROM shortlink.list_links() ORDER BY 1, 2;
-- A setting made before SET ROLE is checked again when used.
RESET ROLE;
SET ROLE sl_acme;
SELECT code FROM shortlink.list_links();
\echo :LAST_ERROR_SQLSTATE
RESET shortlink.workspace;
RESET ROLE;

-- The owner sees every workspace.
SELECT count(DISTINCT d.workspace_id) AS workspaces_with_links
FROM shortlink.links l JOIN shortlink.domains d ON d.domain = l.domain
WHERE l.domain IN ('go.acme.example', 'go.globex.example', 'both.example');
ROLLBACK;
