-- Retargeting pixels: a person's click of a link with a Meta pixel or Google tag id is
-- answered 'pixel' (200, the destination as location: the redirect server's page loads the
-- pixels and forwards); a bot's is a plain redirect; link_pixels gives a redirect role the
-- ids (of a protected link too: the server asks once record_click took the password), and
-- nothing for a disabled, expired or unknown link. Self-contained: rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
SELECT code FROM shortlink.shorten('https://example.com/px?a=1', '{"code": "px-both",
    "meta_pixel_id": "1234567890", "google_tag_id": "G-ABC123", "utm_source": "sms"}');
SELECT code FROM shortlink.shorten('https://example.com/px', '{"code": "px-google", "google_tag_id": "AW-123456789"}');
SELECT code FROM shortlink.shorten('https://example.com/px', '{"code": "px-locked", "meta_pixel_id": "1234567890",
    "password": "open sesame"}');
SELECT code FROM shortlink.shorten('https://example.com/px', '{"code": "px-none"}');
-- A person, a crawler, a HEAD (peek), and a plain link.
SELECT c.code, c.who, r.status, r.http_status, r.location
FROM (VALUES (1, 'px-both', 'person'), (2, 'px-both', 'bot'), (3, 'px-google', 'person'), (4, 'px-none', 'person'))
         AS c(n, code, who),
     LATERAL shortlink.record_click(c.code, ip => '203.0.113.9', user_agent => CASE c.who
         WHEN 'bot' THEN 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
         ELSE 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0' END) r
ORDER BY c.n;
SELECT status, http_status FROM shortlink.peek_click('px-both',
    user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
-- Counted as clicks of people (the bot's apart).
SELECT code, clicks, bot_clicks FROM shortlink.get_link('px-both');
-- The password first; then, given, the pixel page.
SELECT status FROM shortlink.record_click('px-locked');
SELECT status FROM shortlink.record_click('px-locked', password => 'open sesame',
    user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
-- What a redirect role reads.
CREATE ROLE sl_px_redirect;
SELECT shortlink.grant_redirect('sl_px_redirect');
SET LOCAL ROLE sl_px_redirect;
SELECT * FROM shortlink.link_pixels('px-both');
SELECT * FROM shortlink.link_pixels('px-google');
SELECT * FROM shortlink.link_pixels('px-locked');
RESET ROLE;
SELECT shortlink.disable('px-google');
SET LOCAL ROLE sl_px_redirect;
SELECT count(*) AS disabled FROM shortlink.link_pixels('px-google');
SELECT count(*) AS unknown FROM shortlink.link_pixels('px-nope');
SELECT * FROM shortlink.link_pixels('px-none');
ROLLBACK;
