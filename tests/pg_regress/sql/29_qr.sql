-- QR codes: shortlink.qr_svg(code, domain) is the QR code of a link's short URL as an SVG
-- document, byte for byte what shortlink-server's GET /{code}/qr answers without
-- parameters (tests/server/run.sh compares the two; tests/qr/run.sh decodes such images
-- with zbar). Every link that exists has one, whatever its state; an unknown code is
-- P0002; nothing is counted; the domain is found as everywhere else; application roles
-- may call it, within their workspaces. Starts from no links and no domain but
-- localhost. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql
SELECT code FROM shortlink.shorten('https://example.com/qr', '{"code": "qr-one"}');

-- The document: 300 by 300 pixels, a view box of the code's 25 modules and a quiet zone of
-- 4 on each side, a white square, then one path of the dark modules.
SELECT split_part(shortlink.qr_svg('qr-one'), ' d="', 1) AS head;
SELECT left(split_part(shortlink.qr_svg('qr-one'), ' d="', 2), 8) AS path_starts,
       right(shortlink.qr_svg('qr-one'), 9) AS tail,
       (length(shortlink.qr_svg('qr-one')) - length(replace(shortlink.qr_svg('qr-one'), '<path', ''))) / 5 AS paths;
-- Its bytes follow from the short URL (https://localhost/qr-one) and shortlink-qr alone:
-- the same on every call, with the domain named or not.
SELECT length(shortlink.qr_svg('qr-one')), md5(shortlink.qr_svg('qr-one'));
SELECT shortlink.qr_svg('qr-one') = shortlink.qr_svg('qr-one', 'localhost') AS same_with_domain,
       shortlink.qr_svg('qr-one') = shortlink.qr_svg('qr-one', 'LocalHost') AS same_normalized;

-- A link's QR code is its address, not its destination: disabled, expired, password
-- protected and exhausted links have one too.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/off', '{"code": "qr-off"}');
SELECT shortlink.disable('qr-off');
SELECT code FROM shortlink.shorten('https://example.com/old', '{"code": "qr-old", "expire_in": 60}');
UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE code = 'qr-old';
SELECT code FROM shortlink.shorten('https://example.com/pw', '{"code": "qr-pw", "password": "open sesame"}');
SELECT code FROM shortlink.shorten('https://example.com/once', '{"code": "qr-once", "max_clicks": 1}');
SELECT status FROM shortlink.record_click('qr-once');
SELECT c.code, (shortlink.peek_click(c.code)).status, md5(shortlink.qr_svg(c.code))
FROM unnest(ARRAY['qr-off', 'qr-old', 'qr-pw', 'qr-once']) AS c(code);
ROLLBACK TO SAVEPOINT t;

-- It counts nothing.
SELECT count(shortlink.qr_svg('qr-one')) FROM generate_series(1, 5);
SELECT clicks, bot_clicks FROM shortlink.stats('qr-one');

-- An unknown code is P0002, as for get_link; so is a NULL code, and a code on another
-- domain than the one it is on.
SELECT shortlink.qr_svg('qr-nope');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.qr_svg(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.qr_svg('qr-one', 'go.example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.qr_svg('qr-one', 'not a domain');
\echo :LAST_ERROR_SQLSTATE

-- The domain: the link's own, found in any case, or shortlink.default_domain when NULL.
SAVEPOINT t;
SELECT domain FROM shortlink.add_domain('go.example.com');
SELECT short_url FROM shortlink.shorten('https://example.com/go', '{"code": "qr-go", "domain": "go.example.com"}');
SELECT md5(shortlink.qr_svg('qr-go', 'GO.Example.com'));
SELECT split_part(shortlink.qr_svg('qr-go', 'go.example.com'), '<rect', 1) AS larger_code;
SET LOCAL shortlink.default_domain = 'go.example.com';
SELECT shortlink.qr_svg('qr-go') = shortlink.qr_svg('qr-go', 'go.example.com') AS default_domain;
SELECT shortlink.qr_svg('qr-one');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- Declared as stats is: STABLE, PARALLEL SAFE, not strict (a NULL domain is the default
-- one), in its caller's name, with a pinned search_path.
SELECT provolatile, proparallel, proisstrict, prosecdef, proconfig
FROM pg_proc WHERE oid = 'shortlink.qr_svg(text, text)'::regprocedure;

-- Who may call it: application roles (grant_app), within their workspaces; not the
-- redirect role, which needs no QR code to redirect (shortlink-server draws its own).
SAVEPOINT t;
CREATE ROLE sl_qr_app;
CREATE ROLE sl_qr_edge;
SELECT shortlink.grant_app('sl_qr_app');
SELECT shortlink.grant_redirect('sl_qr_edge');
SELECT shortlink.add_workspace('qrother') > 0 AS added;
SELECT domain FROM shortlink.add_domain('qr.example', '{"workspace": "qrother"}');
SELECT code FROM shortlink.shorten('https://example.com/w', '{"code": "qr-w", "domain": "qr.example"}');
SELECT md5(shortlink.qr_svg('qr-w', 'qr.example')) AS as_the_owner;
SET ROLE sl_qr_app;
SELECT md5(shortlink.qr_svg('qr-one')) AS as_the_app;
-- A link of a workspace the role does not act in is not found.
SELECT shortlink.qr_svg('qr-w', 'qr.example');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE sl_qr_edge;
SELECT shortlink.qr_svg('qr-one');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ROLLBACK TO SAVEPOINT t;

ROLLBACK;
