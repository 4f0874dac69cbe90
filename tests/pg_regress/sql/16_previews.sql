-- What a redirect server shows instead of a redirect: a preview card to bots and link
-- preview fetchers of a link with a title, description or image (a bot click, never a
-- click), and a framing page for cloaked links. Self-contained: rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
SELECT code FROM shortlink.shorten('https://example.com/spring', '{"code": "pv-card",
    "title": "Spring sale", "description": "Up to 50% off", "image": "https://img.example/s.png", "max_clicks": 1}');
SELECT code FROM shortlink.shorten('https://example.com/framed', '{"code": "pv-cloaked", "cloaked": true, "title": "Framed"}');
SELECT code FROM shortlink.shorten('https://example.com/plain', '{"code": "pv-plain"}');
-- A messenger's preview fetcher gets the card, as often as it asks; the link's one click
-- is still there for the person.
SELECT * FROM shortlink.record_click('pv-card', user_agent => 'WhatsApp/2.23.20.0 A');
SELECT * FROM shortlink.record_click('pv-card', user_agent => 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)');
SELECT * FROM shortlink.record_click('pv-card', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/120.0');
SELECT * FROM shortlink.record_click('pv-card', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/120.0');
SELECT clicks, bot_clicks FROM shortlink.stats('pv-card');
-- A bot on a link without a card is redirected, as before.
SELECT * FROM shortlink.record_click('pv-plain', user_agent => 'Slackbot-LinkExpanding 1.0');
-- A cloaked link: a page framing the destination, a counted click.
SELECT * FROM shortlink.record_click('pv-cloaked', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SELECT * FROM shortlink.peek_click('pv-cloaked');
SELECT clicks FROM shortlink.stats('pv-cloaked');
-- link_card: what the page shows; nothing for unknown, protected or disabled links.
SELECT * FROM shortlink.link_card('pv-card');
SELECT * FROM shortlink.link_card('pv-cloaked');
SELECT count(*) AS cards FROM shortlink.link_card('pv-nope');
SELECT code FROM shortlink.shorten('https://example.com/secret', '{"code": "pv-secret", "password": "pw", "title": "Secret"}');
SELECT count(*) AS cards FROM shortlink.link_card('pv-secret');
ROLLBACK;
