-- record_click(), stats() and click_stats(): each status with its HTTP status, what a
-- click event keeps (and what it never keeps), bots counted apart, the outbox event of a
-- link with callbacks, clicks refused in a read-only transaction, and purge_expired().
-- Starts from no links and no domain but localhost; each block is rolled back to its
-- savepoint. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql
\set iphone 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'
\set android 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36'
\set whatsapp 'WhatsApp/2.23.20.0 A'

-- Each status, its HTTP status and location; only clicks that redirect are counted.
-- resolve() gives the destination of a link that would redirect, NULL for any other.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/ok', '{"code": "okay"}');
SELECT code FROM shortlink.shorten('https://example.com/e', '{"code": "gone"}');
UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE code = 'gone';
SELECT code FROM shortlink.shorten('https://example.com/d', '{"code": "off"}');
UPDATE shortlink.links SET disabled = true WHERE code = 'off';
SELECT code FROM shortlink.shorten('https://example.com/m', '{"code": "twice", "max_clicks": 2}');
SELECT code, shortlink.resolve(code) FROM (VALUES ('okay'), ('nope'), ('gone'), ('off'), ('twice')) v(code);
SELECT status, http_status, location FROM shortlink.record_click('okay');
SELECT status, http_status, location FROM shortlink.record_click('nope');
SELECT status, http_status, location FROM shortlink.record_click('gone');
SELECT status, http_status, location FROM shortlink.record_click('off');
SELECT status, http_status, location FROM shortlink.record_click('twice');
SELECT status, http_status, location FROM shortlink.record_click('twice');
SELECT status, http_status, location FROM shortlink.record_click('twice');
SELECT (SELECT clicks FROM shortlink.stats('twice')) AS twice, (SELECT clicks FROM shortlink.stats('gone')) AS gone;
SELECT shortlink.resolve('twice') IS NULL AS exhausted, shortlink.resolve(NULL) IS NULL AS null_code,
       shortlink.resolve('okay', 'not a domain') IS NULL AS not_a_domain;
ROLLBACK TO SAVEPOINT t;

-- A tracked click stores an event: the IP anonymised (unless shortlink.anonymize_ip is
-- off), the user agent, the referer.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "tracked"}');
SELECT status FROM shortlink.record_click('tracked', NULL, '203.0.113.9', 'Mozilla/5.0', 'https://ref.example/');
SELECT e.ip, e.user_agent, e.referer FROM shortlink.click_events e
JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'tracked';
SET LOCAL shortlink.anonymize_ip = off;
SELECT status FROM shortlink.record_click('tracked', NULL, '2001:db8:abcd:12::1');
SELECT host(ip) FROM shortlink.click_events e ORDER BY e.id;
ROLLBACK TO SAVEPOINT t;

-- tracking false: the clicks are counted, no event is kept.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "quiet", "tracking": false}');
SELECT count(shortlink.record_click('quiet', NULL, '203.0.113.9')) FROM generate_series(1, 3);
SELECT clicks FROM shortlink.stats('quiet');
SELECT count(*) AS events FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'quiet';
ROLLBACK TO SAVEPOINT t;

-- stats(): clicks and the last click; no row for an unknown code.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/s', '{"code": "counted"}');
SELECT clicks, last_clicked_at IS NULL AS never_clicked FROM shortlink.stats('counted');
SELECT count(shortlink.record_click('counted')) FROM generate_series(1, 4);
SELECT clicks, url, last_clicked_at IS NOT NULL AS clicked FROM shortlink.stats('counted');
SELECT count(*) AS unknown_rows FROM shortlink.stats('unknown');
ROLLBACK TO SAVEPOINT t;

-- Clicks from before a limit was set count against it.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "mixed"}');
SELECT count(shortlink.record_click('mixed')) FROM generate_series(1, 3);
UPDATE shortlink.links SET max_clicks = 5 WHERE code = 'mixed';
SELECT status, http_status, location FROM shortlink.record_click('mixed');
SELECT status, http_status, location FROM shortlink.record_click('mixed');
SELECT status, http_status, location FROM shortlink.record_click('mixed');
SELECT clicks FROM shortlink.stats('mixed');
ROLLBACK TO SAVEPOINT t;

-- click_stats(): clicks, unique visitors and bot clicks, in total and per referer host,
-- device, OS, browser and country, and per time bucket; never the raw IP.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "stats"}');
SELECT count(*) FROM (VALUES ('203.0.113.1', :'iphone', 'https://t.co/a', 'US'),
                             ('203.0.113.1', :'iphone', 'https://t.co/b', 'US'),
                             ('203.0.113.2', :'android', 'https://www.facebook.com/', 'DE'),
                             ('203.0.113.3', :'whatsapp', NULL, NULL)) v(ip, ua, referer, country),
     LATERAL shortlink.record_click('stats', NULL, v.ip::inet, v.ua, v.referer, v.country);
SELECT dimension, key, clicks, unique_visitors, bot_clicks FROM shortlink.click_stats('stats')
WHERE (dimension, coalesce(key, '')) IN (('total', ''), ('referer_host', 't.co'), ('device', 'mobile'),
                                          ('os', 'Android'), ('browser', 'Safari'), ('country', 'DE'))
ORDER BY dimension;
SELECT clicks, bucket_start = date_trunc('hour', now()) AS this_hour
FROM shortlink.click_stats('stats', bucket => 'hour') WHERE dimension = 'time';
SELECT count(*) AS from_tomorrow FROM shortlink.click_stats('stats', since => now() + interval '1 day') WHERE dimension = 'time';
SELECT shortlink.click_stats('stats', bucket => 'fortnight');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.click_stats('nope');
\echo :LAST_ERROR_SQLSTATE
-- Visitors are a salted hash; the stored address is anonymised.
SELECT count(*) AS raw_ip_kept FROM shortlink.click_events WHERE visitor_hash LIKE '%203.0.113%' OR host(ip) <> '203.0.113.0';
ROLLBACK TO SAVEPOINT t;

-- tracking false stores no event, and no IP in the outbox event; without tracking or
-- callbacks the user agent is still classified.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "private", "tracking": false, "callback_url": "https://hooks.example/"}');
SELECT status FROM shortlink.record_click('private', NULL, '203.0.113.9', :'iphone');
SELECT count(*) AS events FROM shortlink.click_events;
SELECT coalesce(payload->>'ip', 'none') AS ip FROM shortlink.outbox;
SELECT clicks FROM shortlink.stats('private');
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "bare", "tracking": false}');
SELECT status FROM shortlink.record_click('bare', user_agent => :'whatsapp');
SELECT status FROM shortlink.record_click('bare', user_agent => :'iphone');
SELECT clicks, bot_clicks FROM shortlink.stats('bare');
ROLLBACK TO SAVEPOINT t;

-- Bots are counted apart, and never against max_clicks.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/b', '{"code": "botty", "max_clicks": 1}');
SELECT v.ua, c.status, c.http_status, c.location
FROM (VALUES (1, :'whatsapp'), (2, 'TelegramBot (like TwitterBot)'),
             (3, 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'), (4, 'facebookexternalhit/1.1'),
             (5, 'Twitterbot/1.0'), (6, 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)'),
             (7, 'LinkedInBot/1.0'), (8, 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
             (9, 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)')) v(n, ua),
     LATERAL shortlink.record_click('botty', user_agent => v.ua) c ORDER BY v.n;
SELECT clicks, bot_clicks FROM shortlink.stats('botty');
SELECT status, http_status, location FROM shortlink.record_click('botty', user_agent => :'iphone');
SELECT status, http_status, location FROM shortlink.record_click('botty', user_agent => :'iphone');
SELECT clicks, bot_clicks FROM shortlink.stats('botty');
SELECT count(*) AS bot_events FROM shortlink.click_events WHERE is_bot;
ROLLBACK TO SAVEPOINT t;

-- block_bots answers 403 to bots; people go through.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/h', '{"code": "humans", "block_bots": true}');
SELECT status, http_status, location FROM shortlink.record_click('humans', user_agent => :'whatsapp');
SELECT status, http_status, location FROM shortlink.record_click('humans', user_agent => :'iphone');
SELECT clicks, bot_clicks FROM shortlink.stats('humans');
ROLLBACK TO SAVEPOINT t;

-- Callbacks: one outbox event per click, written in the clicking transaction, for every
-- target; links without callbacks write none.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/cb',
    '{"code": "hooked", "callback_url": "https://hooks.example/exotel", "webhook_urls": ["https://a.example/h", "https://b.example/h"]}');
SELECT code FROM shortlink.shorten('https://example.com/plain', '{"code": "plain"}');
SELECT status FROM shortlink.record_click('hooked', NULL, '203.0.113.9', :'iphone', 'https://t.co/x', 'de');
SELECT status FROM shortlink.record_click('plain');
SELECT count(*) AS events FROM shortlink.outbox;
SELECT targets FROM shortlink.outbox;
SELECT payload->>'code' AS code, payload->>'short_url' AS short_url, payload->>'long_url' AS long_url,
       payload->>'total_clicks' AS total_clicks, payload->>'ip' AS ip, payload->>'referer' AS referer,
       payload->>'device' AS device, payload->>'os' AS os, payload->>'browser' AS browser,
       payload->>'country' AS country, (payload->>'clicked_at')::timestamptz = now() AS clicked_now
FROM shortlink.outbox;
SELECT shortlink.shorten('https://example.com/', '{"callback_url": "ftp://x.example/"}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- purge_expired() removes links expired longer ago than its argument (30 days by
-- default), with their clicks.
SAVEPOINT t;
SELECT count(*) FROM (VALUES ('old'), ('recent'), ('forever')) v(code),
     LATERAL shortlink.shorten('https://example.com/', jsonb_build_object('code', v.code));
SELECT count(*) FROM (VALUES ('old'), ('recent'), ('forever')) v(code), LATERAL shortlink.record_click(v.code);
UPDATE shortlink.links SET expires_at = now() - interval '40 days' WHERE code = 'old';
UPDATE shortlink.links SET expires_at = now() - interval '1 day' WHERE code = 'recent';
SELECT shortlink.purge_expired();
SELECT string_agg(code, ',' ORDER BY code) AS left FROM shortlink.links;
SELECT (SELECT count(*) FROM shortlink.click_events) AS events, (SELECT count(*) FROM shortlink.click_log) AS logged;
SELECT shortlink.purge_expired(interval '0');
SELECT shortlink.purge_expired(interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.purge_expired(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- record_click is VOLATILE: it sees what its own statement wrote before it, as a SQL or
-- PL/pgSQL function does: a link made earlier in the same statement, and the clicks
-- before it in the same statement (a limit of 2 lets 2 of 3 through).
SAVEPOINT t;
WITH l AS (SELECT * FROM shortlink.shorten('https://example.com/same', '{"code": "same-statement"}'))
SELECT (shortlink.record_click(l.code)).status FROM l;
SELECT code FROM shortlink.shorten('https://example.com/two', '{"code": "two-of-three", "max_clicks": 2}');
SELECT string_agg((shortlink.record_click('two-of-three')).status, ' ' ORDER BY g) AS statuses
FROM generate_series(1, 3) g;
SELECT (SELECT clicks FROM shortlink.stats('same-statement')) AS same_statement,
       (SELECT clicks FROM shortlink.stats('two-of-three')) AS two_of_three;
ROLLBACK TO SAVEPOINT t;

-- A click in a read-only transaction is refused with 25006; reading is fine (what a hot
-- standby answers). Last: the transaction stays read-only. (Not under psql's savepoints:
-- a subtransaction's end restores its parent's read-write mode.)
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "ro-link"}');
\set ON_ERROR_ROLLBACK off
SET LOCAL transaction_read_only = on;
SELECT pg_temp.error_of($q$SELECT shortlink.record_click('ro-link')$q$);
SELECT status FROM shortlink.peek_click('ro-link');
SELECT shortlink.resolve('ro-link');
ROLLBACK;
