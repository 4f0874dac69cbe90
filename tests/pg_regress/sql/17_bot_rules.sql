-- Bots: which rule matched is kept with the click event and broken down by click_stats;
-- operators add bot patterns and exceptions with SQL (shortlink.bot_rules), in effect at
-- once in their session and at commit in every other backend.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql
\set firefox 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'

DELETE FROM shortlink.bot_rules;
SELECT code FROM shortlink.shorten('https://example.com/rules', '{"code": "br-link"}');

-- Built-in rules name the fetcher.
SELECT status FROM shortlink.record_click('br-link', user_agent => 'WhatsApp/2.23.20.0 A');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)');
SELECT status FROM shortlink.record_click('br-link', user_agent => :'firefox');
SELECT e.is_bot, e.bot, e.device, e.os, e.browser
FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id
WHERE l.code = 'br-link' ORDER BY e.id;

-- An operator's monitor and an in-house app whose HTTP stack looks like a library.
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Acme-Probe/3 (uptime)');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'AcmeShop/5.2 okhttp/4.12.0');
INSERT INTO shortlink.bot_rules (pattern, name, note)
VALUES ('^acme-probe/', 'Acme probe', 'our uptime checks');
INSERT INTO shortlink.bot_rules (pattern, is_bot, note)
VALUES ('^acmeshop/', false, 'our app opens links in its web view: people');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Acme-Probe/3 (uptime)');
SELECT status FROM shortlink.record_click('br-link', user_agent => 'AcmeShop/5.2 okhttp/4.12.0');
SELECT e.user_agent, e.is_bot, e.bot
FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id
WHERE l.code = 'br-link' AND e.user_agent LIKE 'Acme%' ORDER BY e.id;

-- click_stats breaks bot clicks down by rule; people are the row without a key.
SELECT key, clicks, bot_clicks FROM shortlink.click_stats('br-link') WHERE dimension = 'bot';
SELECT clicks, bot_clicks FROM shortlink.stats('br-link');

-- A rule written in another session takes effect here at its commit, without reconnecting.
\! psql -X -q -d shortlink_regress -c "INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('nightlyaudit', 'Nightly audit')"
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 NightlyAudit');
SELECT e.bot FROM shortlink.click_events e WHERE e.user_agent LIKE '%NightlyAudit' ORDER BY e.id DESC LIMIT 1;
\! psql -X -q -d shortlink_regress -c "DELETE FROM shortlink.bot_rules WHERE name = 'Nightly audit'"
SELECT status FROM shortlink.record_click('br-link', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 NightlyAudit');
SELECT e.is_bot, e.bot FROM shortlink.click_events e WHERE e.user_agent LIKE '%NightlyAudit' ORDER BY e.id DESC LIMIT 1;

-- Exceptions win over built-in rules; removing a rule takes effect at once.
SELECT status, location FROM shortlink.record_click('br-link', user_agent => 'curl/8.4.0');
SELECT bot FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
INSERT INTO shortlink.bot_rules (pattern, is_bot) VALUES ('^curl/', false);
SELECT status FROM shortlink.record_click('br-link', user_agent => 'curl/8.4.0');
SELECT is_bot FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
DELETE FROM shortlink.bot_rules WHERE pattern = '^curl/';
SELECT status FROM shortlink.record_click('br-link', user_agent => 'curl/8.4.0');
SELECT is_bot FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
-- A rolled-back rule never took effect.
BEGIN;
INSERT INTO shortlink.bot_rules (pattern, is_bot) VALUES ('^curl/', false);
ROLLBACK;
SELECT status FROM shortlink.record_click('br-link', user_agent => 'curl/8.4.0');
SELECT is_bot FROM shortlink.click_events ORDER BY id DESC LIMIT 1;

-- block_bots and max_clicks follow the operator's rules too.
SELECT code FROM shortlink.shorten('https://example.com/guarded', '{"code": "br-guarded", "block_bots": true, "max_clicks": 1}');
SELECT status FROM shortlink.record_click('br-guarded', user_agent => 'Acme-Probe/3 (uptime)');
SELECT status FROM shortlink.record_click('br-guarded', user_agent => 'AcmeShop/5.2 okhttp/4.12.0');
SELECT status FROM shortlink.record_click('br-guarded', user_agent => :'firefox');

-- Invalid rules are refused with the reason.
INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('(unclosed', 'broken');
INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('(?<!x)y', 'look-behind');
\set VERBOSITY terse
INSERT INTO shortlink.bot_rules (pattern) VALUES ('nameless');
INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('', 'empty');
\set VERBOSITY default
UPDATE shortlink.bot_rules SET pattern = '[' WHERE name = 'Acme probe';
SELECT shortlink.bot_pattern_error('ok.*fine') IS NULL AS valid, shortlink.bot_pattern_error('(') IS NOT NULL AS invalid;
-- TRUNCATE also reaches every backend.
TRUNCATE shortlink.bot_rules;
SELECT status FROM shortlink.record_click('br-link', user_agent => 'AcmeShop/5.2 okhttp/4.12.0');
SELECT is_bot, bot FROM shortlink.click_events ORDER BY id DESC LIMIT 1;

SELECT shortlink.delete_link('br-link'), shortlink.delete_link('br-guarded');
