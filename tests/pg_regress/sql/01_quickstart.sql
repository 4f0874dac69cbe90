-- shortlink in five statements: create a link, resolve it, click it, read its stats.
-- (IF NOT EXISTS: tests/upgrade.sh runs this suite on an install upgraded in place.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS shortlink;
RESET client_min_messages;

-- A link with a custom code. The destination is stored in its WHATWG serialization.
SELECT domain, code, short_url, url, max_clicks, metadata
FROM shortlink.shorten('HTTP://Example.COM/spring sale?src=sms',
                       '{"code": "spring", "metadata": {"campaign": "spring-26"}}');

-- A generated code: 7 random characters of the 62 letters and digits by default.
SELECT length(code) AS length, code ~ '^[A-Za-z0-9]+$' AS alphanumeric,
       short_url = 'https://localhost/' || code AS short_url_ok
FROM shortlink.shorten('https://example.com/docs');

-- resolve() is what a read-only redirect path (or a hot standby) calls: it counts nothing.
SELECT shortlink.resolve('spring');
SELECT shortlink.resolve('no-such-code') IS NULL AS unknown_is_null;

-- record_click() is what a redirect proxy calls once per request.
SELECT * FROM shortlink.record_click('spring', ip => '203.0.113.7',
                                     user_agent => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
                                     referer => 'https://news.example/');
SELECT * FROM shortlink.record_click('no-such-code');

SELECT code, domain, url, max_clicks, clicks, last_clicked_at IS NOT NULL AS clicked
FROM shortlink.stats('spring');

-- The click event keeps time, IP (anonymised to its /24 by default), user agent and referer.
SELECT e.ip, e.user_agent, e.referer
FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id
WHERE l.code = 'spring';
