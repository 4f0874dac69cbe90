-- Domains and resolve(): codes unique per domain, domain names normalized wherever they
-- are given, add_domain's errors; resolve() counts nothing, and is declared for a
-- read-only path (what it answers for each kind of link: 24_clicks_and_stats). Starts
-- from no links and no domain but localhost; each block is rolled back to its
-- savepoint. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql

-- The same code on two domains is two links; the domain is found in any case.
SAVEPOINT t;
SELECT domain FROM shortlink.add_domain('Go.Example.COM');
SELECT short_url FROM shortlink.shorten('https://a.example/', '{"code": "same"}');
SELECT short_url FROM shortlink.shorten('https://b.example/', '{"code": "same", "domain": "go.example.com"}');
SELECT shortlink.resolve('same') AS on_localhost, shortlink.resolve('same', 'go.example.com') AS on_go,
       shortlink.resolve('same', 'GO.example.com') AS on_go_in_capitals;
ROLLBACK TO SAVEPOINT t;

-- A link on a domain never registered.
SELECT shortlink.shorten('https://example.com/', '{"domain": "nope.example"}');
\echo :LAST_ERROR_SQLSTATE

-- add_domain twice is an error; with if_not_exists it returns the domain as it is.
SAVEPOINT t;
SELECT domain FROM shortlink.add_domain('go.example.com', '{"metadata": {"team": "sms"}}');
SELECT shortlink.add_domain('go.example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT metadata->>'team' AS team FROM shortlink.add_domain('go.example.com', '{"if_not_exists": true}');
SELECT pg_temp.error_of($q$SELECT shortlink.add_domain('https://go.example.com/')$q$);
SELECT pg_temp.error_of($q$SELECT shortlink.add_domain('x.example', '{"colour": 1}')$q$);
ROLLBACK TO SAVEPOINT t;

-- A shortlink.default_domain in capitals still finds its links.
SAVEPOINT t;
SELECT domain FROM shortlink.add_domain('go.example.com');
SET LOCAL shortlink.default_domain = 'Go.Example.COM';
SELECT code AS caps_code FROM shortlink.shorten('https://example.com/caps') \gset
SELECT domain FROM shortlink.links WHERE code = :'caps_code';
SELECT shortlink.resolve(:'caps_code');
SELECT status, http_status, location FROM shortlink.record_click(:'caps_code');
ROLLBACK TO SAVEPOINT t;

-- resolve() counts nothing.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "look"}');
SELECT count(shortlink.resolve('look')) FROM generate_series(1, 5);
SELECT clicks FROM shortlink.stats('look');
ROLLBACK TO SAVEPOINT t;

-- resolve() is STABLE and PARALLEL SAFE.
SELECT provolatile, proparallel FROM pg_proc WHERE oid = 'shortlink.resolve(text, text)'::regprocedure;
ROLLBACK;
