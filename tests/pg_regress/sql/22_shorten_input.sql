-- shorten(): the destination as stored, generated and custom codes, the errors of bad
-- input (each naming the field and the rule), if_exists, and a crowded or exhausted code
-- space. Starts from no links and no domain but localhost; each block is rolled back to
-- its savepoint. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql

-- The destination is stored in its WHATWG serialization.
SAVEPOINT t;
SELECT url FROM shortlink.shorten('HTTP://Example.COM/a b');
ROLLBACK TO SAVEPOINT t;

-- shorten returns every column; the row stored holds what was asked for.
SAVEPOINT t;
SELECT domain, code, short_url, url, max_clicks, metadata,
       expires_at > now() + interval '59 seconds' AS expires_in_60s
FROM shortlink.shorten('https://example.com/x', '{"code": "every", "max_clicks": 3, "expire_in": 60, "metadata": {"a": 1}}');
SELECT short_url FROM shortlink.shorten('https://example.com/', '{"code": "abc"}');
SELECT domain, code, url, max_clicks, metadata, expires_at > now() + interval '59 seconds' AS expires_in_60s
FROM shortlink.links WHERE code = 'every';
ROLLBACK TO SAVEPOINT t;

-- Generated codes follow shortlink.code_length and shortlink.alphabet, or the length option.
SAVEPOINT t;
SELECT length(code), code ~ '^[A-Za-z0-9]+$' AS alphanumeric FROM shortlink.shorten('https://example.com/');
SET LOCAL shortlink.code_length = 12;
SET LOCAL shortlink.alphabet = 'xyz';
SELECT length(code), code ~ '^[xyz]+$' AS in_alphabet FROM shortlink.shorten('https://example.com/');
SELECT length(code) FROM shortlink.shorten('https://example.com/', '{"length": 20}');
ROLLBACK TO SAVEPOINT t;

-- Each call creates a new link, even for the same destination.
SAVEPOINT t;
SELECT count(*) FROM shortlink.shorten('https://example.com/same');
SELECT count(*) FROM shortlink.shorten('https://example.com/same');
SELECT count(*) AS links FROM shortlink.links WHERE url = 'https://example.com/same';
ROLLBACK TO SAVEPOINT t;

-- A NULL or empty URL, and URLs shortlink refuses: 22023, naming the rule.
SELECT url, pg_temp.error_of(format('SELECT shortlink.shorten(%L)', url))
FROM (VALUES (NULL), (''), ('https://user:pass@bank.example/'), ('ftp://example.com/f'),
             ('javascript:alert(1)'), ('https://user:pass@example.com/'), ('example.com'),
             ('http://exa mple.com/')) v(url);
-- The hint and detail of the first two kinds.
SELECT shortlink.shorten('');
SELECT shortlink.shorten('https://user:pass@bank.example/');

-- Option errors name the option and the rule: 22023.
SELECT opts, pg_temp.error_of(format('SELECT shortlink.shorten(%L, %L)', 'https://example.com/', opts))
FROM (VALUES ('{"max_click": 1}'), ('{"max_clicks": "5"}'), ('{"code": "a b"}'), ('{"code": "ab"}'),
             ('{"length": 2}'), ('{"expire_in": 0}'), ('{"expires_at": "next week"}'),
             ('{"expires_at": "2001-01-01T00:00:00Z"}'), ('{"max_clicks": 0}'), ('{"metadata": "x"}'),
             ('{"tracking": 1}'), ('{"domain": "nope.example"}'), ('[1]')) v(opts);

-- expires_at is stored as given.
SAVEPOINT t;
SELECT expires_at = '2100-01-31T12:00:00Z'::timestamptz AS as_given, expires_at AT TIME ZONE 'UTC' AS utc
FROM shortlink.shorten('https://example.com/', '{"expires_at": "2100-01-31T12:00:00Z"}');
ROLLBACK TO SAVEPOINT t;

-- A custom code taken on its domain: 23505, naming the code and the domain.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "taken"}');
SELECT shortlink.shorten('https://example.com/2', '{"code": "taken"}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- if_exists "return" gives back the same link (same code, same destination), and
-- nothing else: another destination, or no if_exists, is still 23505.
SAVEPOINT t;
SELECT id AS again_id FROM shortlink.shorten('https://example.com/a', '{"code": "again"}') \gset
SELECT id = :again_id AS same_link FROM shortlink.shorten('https://EXAMPLE.com/a', '{"code": "again", "if_exists": "return"}');
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/b', '{"code": "again", "if_exists": "return"}')$q$);
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/a', '{"code": "again"}')$q$);
SELECT count(*) AS links FROM shortlink.links;
ROLLBACK TO SAVEPOINT t;

-- if_exists "return" compares every option given: the same request, or one giving fewer
-- options, returns the link; any option given that the link lacks is 23505, and nothing
-- is changed.
SAVEPOINT t;
SELECT id AS same_id FROM shortlink.shorten('https://example.com/a', '{"code": "same", "max_clicks": 5, "password": "pw-one", "tags": ["x"], "expires_at": "2031-01-01T00:00:00Z"}') \gset
SELECT id = :same_id AS same_link FROM shortlink.shorten('https://example.com/a', '{"code": "same", "if_exists": "return", "max_clicks": 5, "password": "pw-one", "tags": ["x"], "expires_at": "2031-01-01 00:00:00+00"}');
SELECT id = :same_id AS same_link FROM shortlink.shorten('https://example.com/a', '{"code": "same", "if_exists": "return"}');
SELECT opts, left(pg_temp.error_of(format('SELECT shortlink.shorten(%L, %L)', 'https://example.com/a', opts)), 5) AS sqlstate
FROM (VALUES ('{"code": "same", "if_exists": "return", "max_clicks": 1}'),
             ('{"code": "same", "if_exists": "return", "password": "other"}'),
             ('{"code": "same", "if_exists": "return", "tags": ["y"]}'),
             ('{"code": "same", "if_exists": "return", "expires_at": "2032-01-01T00:00:00Z"}'),
             ('{"code": "same", "if_exists": "return", "block_bots": true}')) v(opts);
-- A link without a password is not returned for a request with one.
SELECT code FROM shortlink.shorten('https://example.com/a', '{"code": "open"}');
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/a', '{"code": "open", "if_exists": "return", "password": "s3cret", "max_clicks": 1}')$q$);
SELECT max_clicks, password_hash IS NULL AS no_password FROM shortlink.links WHERE code = 'open';
-- expire_in matches the link it made.
SELECT code FROM shortlink.shorten('https://example.com/a', '{"code": "soon", "expire_in": 3600}');
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/a', '{"code": "soon", "if_exists": "return", "expire_in": 3600}')$q$);
SELECT left(pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/a', '{"code": "soon", "if_exists": "return", "expire_in": 60}')$q$), 5) AS sqlstate;
ROLLBACK TO SAVEPOINT t;

-- A crowded space grows the code: 40 links in a space of 8 codes of 3 letters.
SAVEPOINT t;
SET LOCAL shortlink.alphabet = 'ab';
SET LOCAL shortlink.code_length = 3;
SELECT count(*) AS made FROM generate_series(1, 40) g, LATERAL shortlink.shorten('https://example.com/' || g);
SELECT count(DISTINCT code) AS distinct_codes, max(length(code)) > 3 AS grew,
       count(*) FILTER (WHERE code !~ '^[ab]+$') AS outside_alphabet
FROM shortlink.links;
ROLLBACK TO SAVEPOINT t;

-- A space that may not grow runs out: of 9 calls for 8 codes of 3 letters, at least one
-- fails, and only with 54000.
SAVEPOINT t;
SET LOCAL shortlink.alphabet = 'ab';
SET LOCAL shortlink.code_length = 3;
SET LOCAL shortlink.max_code_length = 3;
CREATE TEMP TABLE states AS
SELECT left(pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/')$q$), 5) AS s
FROM generate_series(1, 9);
SELECT bool_or(s = '54000') AS some_54000, bool_and(s IN ('ok', '54000')) AS only_ok_or_54000,
       (SELECT count(*) FROM shortlink.links) <= 8 AS at_most_8_links
FROM states;
ROLLBACK TO SAVEPOINT t;

-- A bad alphabet is refused at SET with 22023, and never takes: shorten still works.
SELECT bad, pg_temp.error_of(format('SET LOCAL shortlink.alphabet = %L', bad))
FROM (VALUES ('a'), ('ab/'), ('aab'), ('ab.')) v(bad);
SELECT length(code) FROM shortlink.shorten('https://example.com/');
SELECT pg_temp.error_of($q$SET LOCAL shortlink.alphabet = 'a-z'$q$);
ROLLBACK;
