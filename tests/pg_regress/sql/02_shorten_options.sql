-- Every option of shorten(url, opts), and the errors of bad input.
\set SHOW_CONTEXT never

-- expire_in: seconds from now. expires_at: an ISO 8601 timestamp in the future.
SELECT code, expires_at BETWEEN now() + interval '3599 seconds' AND now() + interval '3601 seconds' AS in_an_hour
FROM shortlink.shorten('https://example.com/flash', '{"code": "flash", "expire_in": 3600}');
SELECT code, expires_at = '2100-01-01T00:00:00Z'::timestamptz AS as_given
FROM shortlink.shorten('https://example.com/y2100', '{"code": "y2100", "expires_at": "2100-01-01T00:00:00Z"}');

-- max_clicks: the link stops after that many clicks. tracking: false keeps no click events.
SELECT code, max_clicks FROM shortlink.shorten('https://example.com/vip', '{"code": "vip", "max_clicks": 100, "tracking": false}');
SELECT tracking FROM shortlink.links WHERE code = 'vip';

-- length: a longer generated code for this link only.
SELECT length(code) FROM shortlink.shorten('https://example.com/', '{"length": 12}');

-- Settings shape generated codes: shortlink.code_length and shortlink.alphabet.
SET shortlink.code_length = 10;
SET shortlink.alphabet = '0123456789';
SELECT code ~ '^[0-9]{10}$' AS ten_digits FROM shortlink.shorten('https://example.com/');
RESET shortlink.code_length;
RESET shortlink.alphabet;

-- Each call makes a new link, even for the same URL.
SELECT count(DISTINCT code) FROM generate_series(1, 3) g,
       LATERAL shortlink.shorten('https://example.com/same#' || g);

-- Errors: bad input is SQLSTATE 22023 with a message that names the field and the rule.
SELECT shortlink.shorten(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('ftp://example.com/file');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://user:secret@bank.example/login');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('example.com/no-scheme');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"max_click": 5}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"max_clicks": 0}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"expire_in": "1h"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"expires_at": "2001-01-01T00:00:00Z"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"code": "no spaces"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"code": "ab"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.shorten('https://example.com/', '{"domain": "unknown.example"}');
\echo :LAST_ERROR_SQLSTATE

-- A custom code that is taken: 23505.
SELECT shortlink.shorten('https://example.com/other', '{"code": "flash"}');
\echo :LAST_ERROR_SQLSTATE

-- if_exists "return" gives back a link only when the URL and every option given match;
-- otherwise the detail names what differs.
SELECT code, max_clicks FROM shortlink.shorten('https://example.com/flash', '{"code": "flash", "if_exists": "return"}');
SELECT shortlink.shorten('https://example.com/flash', '{"code": "flash", "if_exists": "return", "password": "s3cret", "max_clicks": 1, "title": "x"}');
\echo :LAST_ERROR_SQLSTATE

-- A bad alphabet is refused where it is set, naming the rule it breaks.
SET shortlink.alphabet = 'aa';
\echo :LAST_ERROR_SQLSTATE
SET shortlink.alphabet = 'ab.';
\echo :LAST_ERROR_SQLSTATE
SELECT pg_catalog.current_setting('shortlink.alphabet') = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789' AS unchanged;
RESET shortlink.alphabet;

-- shorten returns one shortlink.short_link: one row in FROM, one value in a select list.
SELECT pg_catalog.pg_get_function_result('shortlink.shorten'::regproc) AS result, p.proretset, p.prosecdef
FROM pg_catalog.pg_proc p WHERE p.oid = 'shortlink.shorten'::regproc;
SELECT (shortlink.shorten('https://example.com/row-value', '{"code": "row-value"}')).short_url;
SELECT l.code, l.max_clicks, l.metadata
FROM shortlink.shorten('https://example.com/row-value', '{"code": "row-value-2", "max_clicks": 5, "metadata": {"k": 1}}') l;
-- A result type altered under the C function is refused, and nothing is left behind.
BEGIN;
ALTER TYPE shortlink.short_link DROP ATTRIBUTE metadata;
SELECT code FROM shortlink.shorten('https://example.com/row-value', '{"code": "row-value-3"}');
ROLLBACK;
SELECT count(*) FROM shortlink.links WHERE code = 'row-value-3';
