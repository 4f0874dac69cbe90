-- Managing links after they are made.
\set SHOW_CONTEXT never

SELECT code FROM shortlink.shorten('https://example.com/v1', '{"code": "manage-me", "tags": ["q4"], "metadata": {"team": "growth"}}');
SELECT status FROM shortlink.record_click('manage-me', ip => '198.51.100.20', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36');

-- update_link: a new destination or options; the code stays; null clears an option.
SELECT code, url, max_clicks FROM shortlink.update_link('manage-me', '{"url": "https://example.com/v2", "max_clicks": 10, "title": "Q4"}');
SELECT status, location FROM shortlink.record_click('manage-me', ip => '198.51.100.21');
-- Each click event keeps the destination it was sent to: the history of the link.
SELECT e.location, e.ip FROM shortlink.click_events e WHERE e.link_id = shortlink.link_id('manage-me') ORDER BY e.id;
SELECT code FROM shortlink.update_link('manage-me', '{"title": null}');
SELECT title IS NULL AS title_cleared FROM shortlink.get_link('manage-me');
SELECT shortlink.update_link('manage-me', '{"domain": "elsewhere.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.update_link('no-such-link', '{"title": "x"}');
\echo :LAST_ERROR_SQLSTATE

-- get_link: every stored field and counter.
SELECT code, url, link_type, redirect_type, max_clicks, disabled, tracking, password_protected,
       title, tags, metadata, clicks, bot_clicks, unique_visitors, updated_at IS NOT NULL AS updated
FROM shortlink.get_link('manage-me');

-- disable / enable / delete_link.
SELECT shortlink.disable('manage-me');
SELECT status, http_status FROM shortlink.record_click('manage-me');
SELECT shortlink.enable('manage-me');
SELECT status, http_status FROM shortlink.record_click('manage-me');

-- list_links: keyset paging and filters (domain, tag, created range, expired, disabled, metadata).
SELECT code, tags FROM shortlink.list_links('{"tag": "q4"}');
SELECT code FROM shortlink.list_links('{"metadata": {"team": "growth"}, "expired": false}');
SELECT count(*) > 0 AS has_more FROM shortlink.list_links('{}', 5, (SELECT max(id) FROM shortlink.list_links('{}', 5)));
SELECT shortlink.list_links('{"owner": "me"}');
\echo :LAST_ERROR_SQLSTATE

-- click_stats: clicks, unique visitors and bot clicks, per bucket and by referer host,
-- device, OS, browser and country. Buckets depend on the clock, so count them here.
SELECT code FROM shortlink.shorten('https://example.com/stats', '{"code": "stats-demo"}');
SELECT count(*) FROM (VALUES
    ('203.0.113.1', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1', 'https://t.co/a', 'US'),
    ('203.0.113.1', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1', 'https://t.co/b', 'US'),
    ('203.0.113.2', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', 'https://www.facebook.com/', 'DE'),
    ('203.0.113.3', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', NULL, NULL)
) v(ip, ua, ref, country), LATERAL shortlink.record_click('stats-demo', ip => v.ip::inet, user_agent => v.ua, referer => v.ref, country => v.country);
SELECT dimension, key, clicks, unique_visitors, bot_clicks
FROM shortlink.click_stats('stats-demo') WHERE dimension <> 'time';
SELECT count(*) AS day_buckets, sum(clicks) AS clicks FROM shortlink.click_stats('stats-demo') WHERE dimension = 'time';
SELECT shortlink.click_stats('stats-demo', bucket => 'fortnight');
\echo :LAST_ERROR_SQLSTATE

-- IPs are stored anonymised (/24, /48) unless shortlink.anonymize_ip = off.
SELECT DISTINCT host(ip) FROM shortlink.click_events WHERE link_id = shortlink.link_id('stats-demo');
SET shortlink.anonymize_ip = off;
SELECT status FROM shortlink.record_click('stats-demo', ip => '2001:db8:abcd:12::1');
RESET shortlink.anonymize_ip;
SELECT status FROM shortlink.record_click('stats-demo', ip => '2001:db8:abcd:12::1');
SELECT host(ip) FROM shortlink.click_events
WHERE link_id = shortlink.link_id('stats-demo') AND family(ip) = 6 ORDER BY id;

SELECT shortlink.delete_link('stats-demo');
SELECT shortlink.get_link('stats-demo');
\echo :LAST_ERROR_SQLSTATE

-- list_links' timestamp filters are read as timestamptz input is (PostgreSQL's parser,
-- without catching an error); one that does not parse is 22023 naming the filter.
SELECT count(*) > 0 AS listed FROM shortlink.list_links('{"created_after": "2000-01-01"}');
SELECT count(*) FROM shortlink.list_links('{"created_before": "2000-01-01T00:00:00Z"}');
SELECT count(*) FROM shortlink.list_links('{"created_after": "infinity"}');
SELECT count(*) > 0 AS listed FROM shortlink.list_links('{"created_before": "infinity", "created_after": "epoch"}');
SELECT count(*) FROM shortlink.list_links('{"created_after": "not a date"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.list_links('{"created_before": "2026-02-30"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM shortlink.list_links('{"created_before": "2026-01-01 25:00"}');
\echo :LAST_ERROR_SQLSTATE
-- A time zone name PostgreSQL does not know: its own message, the same 22023.
SELECT count(*) FROM shortlink.list_links('{"created_before": "2026-01-01 12:00 Nowhere/City"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.filter_timestamp('created_after', '2026-05-01 12:00:00+02') AS parsed;
