-- The dashboard's people (sql/dashboard.sql): users, roles, sign-ins as API keys with the
-- role's scopes, attempts limited, sign-out, invitations, members, public statistics
-- pages. Self-contained: the setup is committed and removed at the end.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

CREATE ROLE sl_dash_api;
SELECT shortlink.grant_api('sl_dash_api');
SELECT shortlink.add_workspace('dash_acme') > 0 AS acme, shortlink.add_workspace('dash_globex') > 0 AS globex;
SELECT domain FROM shortlink.add_domain('go.dash-acme.example', '{"workspace": "dash_acme"}');
SELECT domain FROM shortlink.add_domain('go.dash-globex.example', '{"workspace": "dash_globex"}');

-- The first owner, made in SQL by the extension's owner; the role is checked, the
-- workspace must exist.
SELECT shortlink.add_user('Owner@Dash.example', 'correct horse battery', 'dash_acme', 'owner') > 0 AS owner;
SELECT shortlink.add_user('x@dash.example', 'pw', 'dash_acme', 'admin');
SELECT shortlink.add_user('x@dash.example', 'pw', 'no_such_workspace', 'viewer');
SELECT shortlink.add_user('not an address', 'pw', 'dash_acme', 'viewer');
SELECT shortlink.add_user('x@dash.example', '', 'dash_acme', 'viewer');
SELECT shortlink.add_user('globex@dash.example', 'globex pass', 'dash_globex', 'owner') > 0 AS globex_owner;
-- Only the owner's hash is kept, never the password.
SELECT email, password_hash LIKE '$argon2id$%' AS argon2id, failed_sign_ins FROM shortlink.users ORDER BY id;
-- The server's role reads none of it.
SET ROLE sl_dash_api;
SELECT count(*) FROM shortlink.users;
SELECT shortlink.add_user('y@dash.example', 'pw', 'dash_acme', 'owner');
RESET ROLE;

-- Signing in (as the server's role): the e-mail in any case; the session is an API key of
-- the workspace with the role's scopes, made by the user, expiring.
SET ROLE sl_dash_api;
SELECT secret AS owner_session, workspace_name, role, expires_at > now() + interval '11 hours' AS expires,
       refused IS NULL AS not_refused
FROM shortlink.sign_in(' owner@DASH.example', 'correct horse battery') \gset
SELECT :'workspace_name' AS workspace_name, :'role' AS role, :'expires' AS expires, :'not_refused' AS not_refused;
-- Refusals name no reason an attacker could use: a wrong password, an unknown e-mail and
-- a workspace the user is not a member of read the same.
SELECT secret IS NULL AS no_secret, refused, retry_after FROM shortlink.sign_in('owner@dash.example', 'wrong');
SELECT secret IS NULL AS no_secret, refused FROM shortlink.sign_in('nobody@dash.example', 'wrong');
SELECT secret IS NULL AS no_secret, refused FROM shortlink.sign_in('owner@dash.example', 'correct horse battery', 'dash_globex');
RESET ROLE;
SELECT k.name, k.scopes, k.created_by, k.user_id IS NOT NULL AS of_user,
       k.expires_at BETWEEN now() + interval '11 hours 59 minutes' AND now() + interval '12 hours' AS twelve_hours
FROM shortlink.api_keys k JOIN shortlink.workspaces w ON w.id = k.workspace_id
WHERE w.name = 'dash_acme';
SELECT failed_sign_ins FROM shortlink.users WHERE email = 'Owner@Dash.example';

-- Attempts limited: the fifth refusal in a row locks the account for a second, then two,
-- four… (at most 15 minutes); while locked, even the right password is refused unheard.
-- In one transaction, whose now() stands still: however long a hash takes, the second
-- of the lock has not passed within it.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT (shortlink.sign_in('owner@dash.example', 'wrong')).refused FROM generate_series(1, 3);
SELECT refused, retry_after BETWEEN 1 AND 2 AS short_wait FROM shortlink.sign_in('owner@dash.example', 'correct horse battery');
RESET ROLE;
SELECT failed_sign_ins, locked_until > now() AS locked FROM shortlink.users WHERE email = 'Owner@Dash.example';
COMMIT;
-- Once the lock is over, the right password signs in and resets the count.
UPDATE shortlink.users SET locked_until = now() - interval '1 second' WHERE email = 'Owner@Dash.example';
SET ROLE sl_dash_api;
SELECT refused IS NULL AS signed_in FROM shortlink.sign_in('owner@dash.example', 'correct horse battery');
RESET ROLE;
SELECT failed_sign_ins, locked_until FROM shortlink.users WHERE email = 'Owner@Dash.example';
-- The lock grows, and stops at 15 minutes.
UPDATE shortlink.users SET failed_sign_ins = 30 WHERE email = 'Owner@Dash.example';
SET ROLE sl_dash_api;
SELECT refused FROM shortlink.sign_in('owner@dash.example', 'wrong');
RESET ROLE;
SELECT locked_until BETWEEN now() + interval '899 seconds' AND now() + interval '900 seconds' AS fifteen_minutes
FROM shortlink.users WHERE email = 'Owner@Dash.example';
UPDATE shortlink.users SET failed_sign_ins = 0, locked_until = NULL WHERE email = 'Owner@Dash.example';

-- A session presented: who is signed in; API keys lists leave sign-ins out of its rows
-- only in the server (they are keys of the workspace).
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT email, workspace, role, workspaces FROM shortlink.session_info();
SELECT short_url FROM shortlink.shorten('https://example.com/spring', '{"code": "dash1", "domain": "go.dash-acme.example"}');
COMMIT;

-- An API key is no session.
SELECT secret AS plain_key FROM shortlink.create_api_key('dash_acme', 'plain') \gset
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'plain_key');
SELECT email FROM shortlink.session_info();
ROLLBACK;

-- Invitations: an owner's session invites (the token shown once, its hash kept); a
-- viewer accepts with a password of its own and is signed in with a viewer's scopes.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT token AS invite, expires_at > now() + interval '6 days' AS week FROM shortlink.invite_user('Viewer@Dash.example', 'viewer') \gset
SELECT :'week' AS week, length(:'invite') AS token_length;
SELECT shortlink.invite_user('v2@dash.example', 'boss');
COMMIT;
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT shortlink.invite_user('not-an-address', 'viewer');
ROLLBACK;
SELECT email, role, invited_by, accepted_at IS NULL AS pending, length(token_hash) AS hash_bytes
FROM shortlink.invitations;
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT email, role, pending FROM shortlink.members();
COMMIT;
SET ROLE sl_dash_api;
SELECT shortlink.accept_invitation('no-such-token', 'pw');
SELECT secret AS viewer_session, workspace_name, role FROM shortlink.accept_invitation(:'invite', 'viewer pass') \gset
SELECT :'workspace_name' AS workspace_name, :'role' AS role;
-- An invitation is used once.
SELECT shortlink.accept_invitation(:'invite', 'viewer pass');
-- The viewer now signs in with its own password.
SELECT role, refused FROM shortlink.sign_in('viewer@dash.example', 'viewer pass');
RESET ROLE;
-- Prefixes are random: named here, to read the messages.
UPDATE shortlink.api_keys SET prefix = 'viewer00' WHERE name = 'signed in: Viewer@Dash.example' AND revoked_at IS NULL
  AND created_at = (SELECT min(created_at) FROM shortlink.api_keys WHERE name = 'signed in: Viewer@Dash.example');

-- A viewer sees but does not change: links read, analytics read; shorten, disable,
-- sharing, inviting and keys refused by the database (42501).
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'viewer_session');
SELECT role, email FROM shortlink.session_info();
SELECT code, domain FROM shortlink.links ORDER BY code;
SELECT email, role, pending FROM shortlink.members();
SAVEPOINT s;
SELECT shortlink.shorten('https://example.com/no');
ROLLBACK TO s;
SELECT shortlink.disable('dash1', 'go.dash-acme.example');
ROLLBACK TO s;
SELECT shortlink.share_stats((SELECT id FROM shortlink.links WHERE code = 'dash1'), true);
ROLLBACK TO s;
SELECT shortlink.invite_user('z@dash.example', 'owner');
ROLLBACK TO s;
SELECT shortlink.create_api_key('dash_acme', 'mine');
ROLLBACK;

-- Public statistics pages: shared by an owner (or editor), the same token while shared;
-- read by token with no key at all; a link of another workspace cannot be shared.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT shortlink.share_stats(id, true) AS share_token FROM shortlink.links WHERE code = 'dash1' \gset
SELECT shortlink.share_stats(id, true) = :'share_token' AS same_token FROM shortlink.links WHERE code = 'dash1';
COMMIT;
SELECT shortlink.shorten('https://example.com/globex', '{"domain": "go.dash-globex.example"}') IS NOT NULL AS made;
SELECT id AS globex_id FROM shortlink.links WHERE domain = 'go.dash-globex.example' \gset
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
\set VERBOSITY sqlstate
SELECT shortlink.share_stats(:globex_id, true);
\set VERBOSITY default
ROLLBACK;
SELECT shortlink.record_click('dash1', 'go.dash-acme.example', '198.51.100.7', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', NULL, NULL, NULL, NULL) IS NOT NULL AS clicked;
SET ROLE sl_dash_api;
SELECT code, domain FROM shortlink.shared_link(:'share_token');
SELECT dimension, key, clicks, bot_clicks FROM shortlink.shared_click_totals(:'share_token', NULL, NULL, ARRAY['total', 'device']) ORDER BY 1, 2;
SELECT sum(clicks) AS clicks FROM shortlink.shared_click_hours(:'share_token', now() - interval '1 day', NULL);
SELECT count(*) AS unknown FROM shortlink.shared_link('A' || repeat('b', 42));
RESET ROLE;
-- Turned off, the token reads nothing.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT shortlink.share_stats(id, false) FROM shortlink.links WHERE code = 'dash1';
COMMIT;
SELECT count(*) AS after_off FROM shortlink.shared_link(:'share_token');

-- Destination history: each change of a link's url keeps the one before, with who
-- changed it; the rows go with the link, as does its public page.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT url FROM shortlink.update_link('dash1', '{"url": "https://example.com/summer"}', 'go.dash-acme.example');
SELECT url FROM shortlink.update_link('dash1', '{"title": "no url change"}', 'go.dash-acme.example');
SELECT url FROM shortlink.update_link('dash1', '{"url": "https://example.com/autumn"}', 'go.dash-acme.example');
SELECT d.url, d.replaced_by FROM shortlink.link_destinations d ORDER BY d.id;
COMMIT;
SELECT url FROM shortlink.update_link('dash1', '{"url": "https://example.com/winter"}', 'go.dash-acme.example');
SELECT url, replaced_by = current_user AS by_role FROM shortlink.link_destinations ORDER BY id DESC LIMIT 1;
SELECT shortlink.share_stats(id, true) IS NOT NULL AS shared_again FROM shortlink.links WHERE code = 'dash1';
SELECT id AS dash1_id FROM shortlink.links WHERE code = 'dash1' \gset
BEGIN;
SELECT shortlink.delete_link('dash1', 'go.dash-acme.example');
SELECT (SELECT count(*) FROM shortlink.link_destinations WHERE link_id = :dash1_id) AS history_left,
       (SELECT count(*) FROM shortlink.shared_stats WHERE link_id = :dash1_id) AS pages_left;
ROLLBACK;

-- Removing a member ends its sessions; the last owner stays.
BEGIN;
SET LOCAL ROLE sl_dash_api;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT shortlink.remove_member('viewer@dash.example') AS removed;
SAVEPOINT s;
SELECT shortlink.remove_member('owner@dash.example');
ROLLBACK TO s;
SELECT email, role, pending FROM shortlink.members();
COMMIT;
SET ROLE sl_dash_api;
BEGIN;
SELECT name FROM shortlink.api_begin(:'viewer_session');
ROLLBACK;
RESET ROLE;

-- Signing out revokes the session; everywhere, every session of the user. (Refusals by
-- SQLSTATE: their messages name random prefixes.)
\set VERBOSITY sqlstate
SET ROLE sl_dash_api;
SELECT secret AS second_session FROM shortlink.sign_in('owner@dash.example', 'correct horse battery') \gset
BEGIN;
SELECT name FROM shortlink.api_begin(:'owner_session');
SELECT shortlink.sign_out() AS signed_out;
COMMIT;
BEGIN;
SELECT name FROM shortlink.api_begin(:'owner_session');
ROLLBACK;
BEGIN;
SELECT name FROM shortlink.api_begin(:'second_session');
SELECT shortlink.sign_out(everywhere => true) AS signed_out_everywhere;
COMMIT;
BEGIN;
SELECT name FROM shortlink.api_begin(:'second_session');
ROLLBACK;
RESET ROLE;
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS in_force FROM shortlink.api_keys WHERE user_id IS NOT NULL
  AND user_id = (SELECT id FROM shortlink.users WHERE email = 'Owner@Dash.example');

-- Switching workspace: a user of two workspaces gets a session in the other.
SELECT shortlink.add_user('owner@dash.example', 'correct horse battery', 'dash_globex', 'viewer') > 0 AS added;
SET ROLE sl_dash_api;
SELECT secret AS s1 FROM shortlink.sign_in('owner@dash.example', 'correct horse battery', 'dash_acme') \gset
BEGIN;
SELECT name FROM shortlink.api_begin(:'s1');
SELECT workspaces FROM shortlink.session_info();
SELECT secret AS s2, workspace_name, role FROM shortlink.switch_workspace('dash_globex') \gset
COMMIT;
SELECT :'workspace_name' AS workspace_name, :'role' AS role;
BEGIN;
SELECT name FROM shortlink.api_begin(:'s2');
SELECT workspace, role FROM shortlink.session_info();
SELECT shortlink.switch_workspace('default');
ROLLBACK;
BEGIN;
SELECT name FROM shortlink.api_begin(:'s1');
ROLLBACK;
RESET ROLE;

\set VERBOSITY default

-- Clean up.
DELETE FROM shortlink.links WHERE domain IN ('go.dash-acme.example', 'go.dash-globex.example');
DELETE FROM shortlink.domains WHERE domain IN ('go.dash-acme.example', 'go.dash-globex.example');
DELETE FROM shortlink.users;
DELETE FROM shortlink.workspaces WHERE name IN ('dash_acme', 'dash_globex');
SELECT (SELECT count(*) FROM shortlink.api_keys) AS keys_left, (SELECT count(*) FROM shortlink.memberships) AS members_left,
       (SELECT count(*) FROM shortlink.invitations) AS invitations_left;
DELETE FROM shortlink.shared_stats;
DROP OWNED BY sl_dash_api;
DROP ROLE sl_dash_api;
