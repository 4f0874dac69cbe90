-- Domains: codes are unique per domain; a link's domain must be registered.
\set SHOW_CONTEXT never
SELECT domain, metadata FROM shortlink.add_domain('Go.Example.COM', '{"metadata": {"team": "sms"}}');
SELECT domain FROM shortlink.add_domain('go.example.com', '{"if_not_exists": true}');
SELECT shortlink.add_domain('go.example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.add_domain('https://go.example.com/path');
\echo :LAST_ERROR_SQLSTATE

-- The same code on two domains is two links.
SELECT short_url FROM shortlink.shorten('https://example.com/on-go', '{"code": "spring", "domain": "go.example.com"}');
SELECT shortlink.resolve('spring') AS on_localhost, shortlink.resolve('spring', 'go.example.com') AS on_go;

-- shortlink.default_domain decides where links go when opts has no domain.
SET shortlink.default_domain = 'go.example.com';
SELECT short_url FROM shortlink.shorten('https://example.com/', '{"code": "summer"}');
RESET shortlink.default_domain;

-- A domain with links cannot be removed.
DELETE FROM shortlink.domains WHERE domain = 'go.example.com';
\echo :LAST_ERROR_SQLSTATE

-- purge_expired(older_than): links expired for longer than older_than go, with their clicks.
SELECT code FROM shortlink.shorten('https://example.com/p1', '{"code": "purge-long-ago"}');
SELECT code FROM shortlink.shorten('https://example.com/p2', '{"code": "purge-yesterday"}');
SELECT status FROM shortlink.record_click('purge-long-ago');
UPDATE shortlink.links SET expires_at = now() - interval '90 days' WHERE code = 'purge-long-ago';
UPDATE shortlink.links SET expires_at = now() - interval '1 day' WHERE code = 'purge-yesterday';
SELECT shortlink.purge_expired();
SELECT code FROM shortlink.links WHERE code LIKE 'purge-%';
SELECT shortlink.purge_expired('1 hour');
SELECT count(*) FROM shortlink.links WHERE code LIKE 'purge-%';
SELECT count(*) AS orphan_events FROM shortlink.click_events e
WHERE NOT EXISTS (SELECT 1 FROM shortlink.links l WHERE l.id = e.link_id);
SELECT shortlink.purge_expired('-1 day');
\echo :LAST_ERROR_SQLSTATE
