-- shorten_many(): many links in one call; one bad item never aborts the rest.
SELECT idx, ok, code, short_url, error, sqlstate
FROM shortlink.shorten_many('[
  {"url": "https://example.com/a", "code": "batch-a"},
  {"url": "notaurl"},
  {"url": "https://example.com/b", "code": "batch-a"},
  {"url": "https://example.com/c", "code": "batch-c", "max_clicks": 5, "metadata": {"row": 3}},
  {"code": "batch-d"},
  {"url": "https://example.com/e", "colour": "red"}
]');
SELECT code, url, max_clicks, metadata FROM shortlink.links WHERE code LIKE 'batch-%' ORDER BY code;

-- Problems PostgreSQL itself would find stay on their item too: a timestamp its parser
-- refuses (a 300-digit fraction), one in the past, an expiry too far away.
SELECT idx, ok, code, error, sqlstate
FROM shortlink.shorten_many(pg_catalog.jsonb_build_array(
  pg_catalog.jsonb_build_object('url', 'https://example.com/t1', 'code', 'batch-t1',
      'expires_at', '2030-01-31T12:00:00.' || pg_catalog.repeat('9', 300)),
  pg_catalog.jsonb_build_object('url', 'https://example.com/t2', 'code', 'batch-t2',
      'expires_at', '2001-01-01T00:00:00Z'),
  pg_catalog.jsonb_build_object('url', 'https://example.com/t3', 'code', 'batch-t3',
      'expire_in', 1e300),
  pg_catalog.jsonb_build_object('url', 'https://example.com/t4', 'code', 'batch-t4',
      'expires_at', '2030-01-31T12:00:00.123456789Z'),
  pg_catalog.jsonb_build_object('url', 'https://example.com/t5', 'code', 'batch-a',
      'if_exists', 'return', 'max_clicks', 9)
));
SELECT code, expires_at FROM shortlink.links WHERE code LIKE 'batch-t%' ORDER BY code;

-- Plain items (a URL, UTM parameters, a domain) are made together, in one statement; each
-- still fails alone: a blocked host, a destination on a short domain (a loop), an
-- unregistered domain. Items with other options are made one by one, in the same call.
SELECT shortlink.add_domain('batch.example') IS NOT NULL AS added;
SELECT shortlink.block_host('blocked.example');
SELECT idx, ok, code ~ '^[A-Za-z0-9]{7}$' AS generated, split_part(short_url, '/', 3) AS domain,
       error, sqlstate
FROM shortlink.shorten_many('[
  {"url": "https://example.com/p1", "utm_source": "sms"},
  {"url": "https://www.blocked.example/x"},
  {"url": "https://example.com/p2", "domain": "batch.example"},
  {"url": "https://batch.example/loop"},
  {"url": "https://example.com/p3", "domain": "nope.example"},
  {"url": "https://example.com/p4", "code": "batch-custom"},
  {"url": "https://example.com/p5"}
]');
SELECT domain, url FROM shortlink.links WHERE url LIKE 'https://example.com/p_%' ORDER BY url;
DELETE FROM shortlink.links WHERE domain = 'batch.example';
DELETE FROM shortlink.domains WHERE domain = 'batch.example';
SELECT shortlink.unblock_host('blocked.example');

-- autolink(): a trigger that gives each new campaign row a short link, in the same
-- transaction.
CREATE TABLE campaigns (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    landing_url text,
    short_url   text
);
CREATE TRIGGER campaigns_autolink
    BEFORE INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url', '{"expire_in": 86400}');

-- Its arguments are checked when the trigger is created, not at the first INSERT.
\set SHOW_CONTEXT never
CREATE TRIGGER campaigns_after AFTER INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url');
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER campaigns_typo BEFORE INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing', 'short_url');
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER campaigns_id BEFORE INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'id');
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER campaigns_opts BEFORE INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url', '{"expire_in": "1 day"}');
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors

INSERT INTO campaigns (name, landing_url) VALUES ('spring', 'https://shop.example/spring');
INSERT INTO campaigns (name, landing_url) VALUES ('no landing page', NULL);
INSERT INTO campaigns (name, landing_url, short_url) VALUES ('given', 'https://shop.example/x', 'https://sho.rt/given');
SELECT name, short_url ~ '^https://localhost/[A-Za-z0-9]{7}$' AS generated,
       CASE WHEN short_url LIKE 'https://localhost/%' THEN '(a new link)' ELSE short_url END AS short_url
FROM campaigns ORDER BY id;
SELECT l.url, l.expires_at > now() AS expires
FROM campaigns c JOIN shortlink.links l ON c.short_url = 'https://localhost/' || l.code
WHERE c.name = 'spring';

-- A rollback takes the link with it.
SELECT count(*) AS links_before FROM shortlink.links \gset
BEGIN;
INSERT INTO campaigns (name, landing_url) VALUES ('rolled back', 'https://shop.example/rb');
ROLLBACK;
SELECT count(*) - :links_before AS links_added FROM shortlink.links;

-- A bad landing URL fails the insert with the shorten error.
\set SHOW_CONTEXT never
INSERT INTO campaigns (name, landing_url) VALUES ('bad', 'javascript:alert(1)');
\echo :LAST_ERROR_SQLSTATE
