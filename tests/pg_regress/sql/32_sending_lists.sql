-- Sending lists and offers (sql/sending.sql): per workspace, under row-level security, read
-- by a key with sending:read or links:write, changed by one with sending:write; a list's
-- domain is its own workspace's. Self-contained: the setup is committed and removed at
-- the end.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

CREATE ROLE sl_send_api;
CREATE ROLE sl_send_acme;
SELECT shortlink.add_workspace('send_acme') > 0 AS acme, shortlink.add_workspace('send_globex') > 0 AS globex;
SELECT shortlink.grant_api('sl_send_api'), shortlink.grant_app('sl_send_acme', 'send_acme');
SELECT domain FROM shortlink.add_domain('sms.acme.example', '{"workspace": "send_acme"}');
SELECT domain FROM shortlink.add_domain('sms.globex.example', '{"workspace": "send_globex"}');
SELECT secret AS acme_all FROM shortlink.create_api_key('send_acme', 'all') \gset
SELECT secret AS acme_links FROM shortlink.create_api_key('send_acme', 'links', '{"scopes": ["links:write"]}') \gset
SELECT secret AS acme_read FROM shortlink.create_api_key('send_acme', 'read', '{"scopes": ["sending:read"]}') \gset
SELECT secret AS acme_none FROM shortlink.create_api_key('send_acme', 'none', '{"scopes": ["links:read"]}') \gset
-- Prefixes are random: named here, to read the messages.
UPDATE shortlink.api_keys SET prefix = CASE name
    WHEN 'all' THEN 'sendAll0' WHEN 'links' THEN 'sendLink' WHEN 'read' THEN 'sendRead' WHEN 'none' THEN 'sendNone' END
WHERE workspace_id = shortlink.workspace_id('send_acme');

-- A role of the workspace: lists and offers in its workspace; the number without its
-- separators; replaced by a second call.
SET ROLE sl_send_acme;
SELECT list_id, phone_number, domain, name FROM shortlink.set_sending_list(42, '+1 (800) 555-1234', 'SMS.Acme.Example', 'main');
SELECT list_id, phone_number, domain, updated_at IS NOT NULL AS updated
FROM shortlink.set_sending_list(42, '+18005551234', 'sms.acme.example', 'main');
SELECT list_id, domain FROM shortlink.set_sending_list(43, '+18005551243');
SELECT offer_id, destination, filter_bots, active
FROM shortlink.set_offer('spring', 'https://track.example/c?aff_sub={{contact.phone}}&c={{ link.code }}', true);
-- Refused: a number that is not E.164, a taken number, another workspace's domain, a bad
-- list id, a destination that is not http(s), a broken macro, a bad offer id.
SELECT list_id FROM shortlink.set_sending_list(44, '555-1234');
\echo :LAST_ERROR_SQLSTATE
SELECT list_id FROM shortlink.set_sending_list(44, '+18005551234');
\echo :LAST_ERROR_SQLSTATE
SELECT list_id FROM shortlink.set_sending_list(44, '+18005551244', 'sms.globex.example');
\echo :LAST_ERROR_SQLSTATE
SELECT list_id FROM shortlink.set_sending_list(0, '+18005551244');
\echo :LAST_ERROR_SQLSTATE
SELECT offer_id FROM shortlink.set_offer('bad', 'ftp://track.example/');
\echo :LAST_ERROR_SQLSTATE
SELECT offer_id FROM shortlink.set_offer('bad', 'https://track.example/?p={{contact');
\echo :LAST_ERROR_SQLSTATE
SELECT offer_id FROM shortlink.set_offer('bad id', 'https://track.example/');
\echo :LAST_ERROR_SQLSTATE
-- A direct write cannot put a list on another workspace's domain either (the policy).
INSERT INTO shortlink.sending_lists (workspace_id, list_id, phone_number, domain)
VALUES (shortlink.workspace_id('send_acme'), 45, '+18005551245', 'sms.globex.example');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT list_id FROM shortlink.set_sending_list(42, '+18005559942', 'sms.globex.example', NULL, 'send_globex');

-- The role sees its workspace's rows only.
SET ROLE sl_send_acme;
SELECT list_id, domain FROM shortlink.sending_lists ORDER BY list_id;
RESET ROLE;

-- Keys: read with sending:read or links:write, changed with sending:write.
BEGIN;
SET LOCAL ROLE sl_send_api;
SELECT count(*) AS without_key FROM shortlink.sending_lists;
SELECT name FROM shortlink.api_begin(:'acme_links');
SELECT list_id, domain FROM shortlink.sending_lists ORDER BY list_id;
SELECT offer_id, filter_bots FROM shortlink.offers;
SELECT list_id FROM shortlink.set_sending_list(46, '+18005551246');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL ROLE sl_send_api;
SELECT name FROM shortlink.api_begin(:'acme_none');
SELECT count(*) AS lists FROM shortlink.sending_lists;
SELECT count(*) AS offers FROM shortlink.offers;
ROLLBACK;
BEGIN;
SET LOCAL ROLE sl_send_api;
SELECT name FROM shortlink.api_begin(:'acme_read');
SELECT count(*) AS lists FROM shortlink.sending_lists;
SELECT shortlink.remove_offer('spring');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL ROLE sl_send_api;
SELECT name FROM shortlink.api_begin(:'acme_all');
SELECT list_id, domain FROM shortlink.set_sending_list(46, '+18005551246', 'sms.acme.example');
SELECT shortlink.remove_sending_list(46) AS removed, shortlink.remove_sending_list(46) AS again;
SELECT offer_id, active FROM shortlink.set_offer('spring', 'https://track.example/c', false, false);
COMMIT;

-- Removing a domain leaves its lists without one.
SELECT shortlink.remove_domain('sms.acme.example');
SELECT list_id, domain FROM shortlink.sending_lists
WHERE workspace_id = shortlink.workspace_id('send_acme') ORDER BY list_id;
SELECT shortlink.remove_offer('spring', 'send_acme') AS removed;

-- Clean up: a workspace takes its lists and offers along.
DELETE FROM shortlink.domains WHERE domain IN ('sms.acme.example', 'sms.globex.example');
DELETE FROM shortlink.workspaces WHERE name IN ('send_acme', 'send_globex');
SELECT (SELECT count(*) FROM shortlink.sending_lists) AS lists_left, (SELECT count(*) FROM shortlink.offers) AS offers_left;
DROP OWNED BY sl_send_api, sl_send_acme;
DROP ROLE sl_send_api, sl_send_acme;
