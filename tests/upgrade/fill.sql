-- Data of every kind, written through the previous release's own library and schema:
-- links with every option, clicks counted in every way (click_log appends, click_counts
-- after maintain(), limited links, untracked links, bots, passwords), events in day
-- partitions and in the default one, rollups, outbox rows and deliveries in each state,
-- workspaces and their domains, the host blocklist, bot rules, a database setting, and an
-- autolink trigger on an application's own table. Runs after roles.sql, as a superuser.
\set ON_ERROR_STOP on
SELECT shortlink.add_domain('go.example.com');
SELECT shortlink.add_domain('go.acme.example', '{"workspace": "acme"}');
SELECT shortlink.block_host('blocked.example');
INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('^upgrade-probe/', 'Upgrade probe');
INSERT INTO shortlink.bot_rules (pattern, is_bot, note) VALUES ('FriendlyApp/', false, 'a person''s in-app browser');

-- Links with every option.
SELECT code FROM shortlink.shorten('https://example.com/plain', '{"code": "up-plain"}');
SELECT code FROM shortlink.shorten('https://example.com/generated');
SELECT code FROM shortlink.shorten('https://example.com/limited', '{"code": "up-limited", "max_clicks": 3}');
SELECT code FROM shortlink.shorten('https://example.com/untracked', '{"code": "up-untracked", "tracking": false}');
SELECT code FROM shortlink.shorten('https://example.com/expires',
    '{"code": "up-expires", "expires_at": "2099-01-31T12:00:00Z", "expired_url": "https://example.com/over"}');
SELECT code FROM shortlink.shorten('https://example.com/expire-in', '{"code": "up-expire-in", "expire_in": 86400, "length": 12}');
SELECT code FROM shortlink.shorten('https://example.com/moved', '{"code": "up-301", "redirect_type": 301}');
SELECT code FROM shortlink.shorten('tel:+1 (415) 555-0123', '{"code": "up-tel", "link_type": "tel"}');
SELECT code FROM shortlink.shorten('sms:+447700900123?body=STOP', '{"code": "up-sms", "link_type": "sms"}');
SELECT code FROM shortlink.shorten('mailto:sales@example.com?subject=Hi', '{"code": "up-mail", "link_type": "mailto"}');
SELECT code FROM shortlink.shorten('https://example.com/report', '{"code": "up-password", "password": "s3cret"}');
SELECT code FROM shortlink.shorten('https://shop.example/p?utm_source=old&id=7',
    '{"code": "up-utm", "utm_source": "sms", "utm_medium": "text", "utm_campaign": "spring", "utm_term": "t", "utm_content": "c"}');
SELECT code FROM shortlink.shorten('https://shop.example/p?id=7', '{"code": "up-forward", "forward_params": true}');
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "up-rich",
    "title": "Spring sale", "description": "Shoes at half price", "image": "https://img.example/s.png",
    "tags": ["sms", "spring"], "cloaked": true, "meta_pixel_id": "123456789012345",
    "google_tag_id": "GTM-ABC123", "custom_field": "crm-id:42", "dlt_header": "ACMEIN",
    "contact_phone": "+91 98765 43210", "metadata": {"campaign": "spring", "n": 12345678901234567890}}');
SELECT code FROM shortlink.shorten('https://shop.example/o?to={{contact.phone}}&c={{link.code}}',
    '{"code": "up-template", "template_vars": {"contact": {"phone": "+14155550123"}}}');
SELECT code FROM shortlink.shorten('https://example.com/hooked', '{"code": "up-hooked",
    "callback_url": "https://crm.example/exotel-callback", "webhook_urls": ["https://hooks.example/a", "https://hooks.example/b"]}');
SELECT code FROM shortlink.shorten('https://example.com/disabled', '{"code": "up-disabled"}');
SELECT shortlink.disable('up-disabled');
SELECT code FROM shortlink.shorten('https://example.com/deleted', '{"code": "up-deleted"}');
SELECT shortlink.delete_link('up-deleted');
SELECT code FROM shortlink.shorten('https://example.com/go', '{"code": "up-go", "domain": "go.example.com"}');
SELECT code FROM shortlink.shorten('https://acme.example/', '{"code": "up-acme", "domain": "go.acme.example"}');
SELECT idx, ok, sqlstate FROM shortlink.shorten_many(
    '[{"url": "https://example.com/b1"}, {"url": "https://example.com/b2", "utm_source": "batch"},
      {"url": "https://example.com/b3", "max_clicks": 5}, {"url": "ftp://bad.example/"}]');

-- An application's own table, linked on insert.
CREATE TABLE public.upgrade_campaigns (id serial PRIMARY KEY, landing_url text, short_url text);
CREATE TRIGGER upgrade_campaigns_autolink BEFORE INSERT ON public.upgrade_campaigns
    FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url', '{"expire_in": 604800}');
INSERT INTO public.upgrade_campaigns (landing_url) VALUES ('https://example.com/c1'), ('https://example.com/c2');

-- Events that no day partition takes yet land in click_events_default; maintain() then
-- makes those days' partitions and moves them in, counts click_log and rolls up ended hours.
INSERT INTO shortlink.click_events (link_id, clicked_at, ip, user_agent, location, device, os, browser, country)
SELECT l.id, pg_catalog.now() - (h || ' hours')::interval, '198.51.100.0', 'Mozilla/5.0', l.url, 'desktop', 'Linux', 'Firefox', 'DE'
FROM shortlink.links l, pg_catalog.generate_series(2, 50, 6) AS h WHERE l.code = 'up-plain';
SELECT * FROM shortlink.record_click('up-plain', ip => '203.0.113.7',
    user_agent => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    referer => 'https://news.example/', country => 'FR');
SELECT * FROM shortlink.record_click('up-limited', ip => '203.0.113.8');
SELECT maintain IS NOT NULL AS maintained FROM shortlink.maintain();

-- Clicks after maintain(): click_log rows not counted up yet, and an event of a day that
-- has no partition (in click_events_default).
SELECT * FROM shortlink.record_click('up-plain', ip => '203.0.113.9', user_agent => 'curl/8.5.0');
SELECT * FROM shortlink.record_click('up-plain', user_agent => 'upgrade-probe/1.0');
SELECT * FROM shortlink.record_click('up-plain', user_agent => 'FriendlyApp/2.0 (Linux; Android 14)');
SELECT * FROM shortlink.record_click('up-limited');
SELECT * FROM shortlink.record_click('up-untracked', ip => '203.0.113.10');
SELECT * FROM shortlink.record_click('up-untracked');
SELECT status FROM shortlink.record_click('up-password');
SELECT status FROM shortlink.record_click('up-password', password => 's3cret');
SELECT status FROM shortlink.record_click('up-disabled');
SELECT status, location FROM shortlink.record_click('up-forward', query => 'ref=sms&id=8');
SELECT status FROM shortlink.record_click('up-go', 'go.example.com');
SELECT status FROM shortlink.record_click('up-acme', 'go.acme.example');
SELECT status FROM shortlink.record_click('up-hooked', ip => '203.0.113.11', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
SELECT status FROM shortlink.record_click('up-hooked');
SELECT status FROM shortlink.record_click('up-hooked');
INSERT INTO shortlink.click_events (link_id, clicked_at, location)
SELECT l.id, pg_catalog.now() + interval '40 days', l.url FROM shortlink.links l WHERE l.code = 'up-plain';

-- Deliveries in every state: delivered, gone, waiting for a retry, dead, pending.
SELECT count(*) AS claimed FROM (SELECT * FROM shortlink.claim_deliveries(4)) c;
SELECT shortlink.finish_delivery(d.event_id, d.target, s.status, s.error, s.give_up)
FROM (SELECT event_id, target, pg_catalog.row_number() OVER (ORDER BY event_id, target) AS n
      FROM shortlink.deliveries WHERE state = 'pending') d
JOIN (VALUES (1, 200, NULL, false), (2, 410, NULL, false), (3, 500, 'upstream error', false), (4, NULL, 'timeout', true))
     AS s(n, status, error, give_up) ON s.n = d.n
ORDER BY d.n;

-- A database setting (outside the extension: DROP EXTENSION leaves it too).
SELECT pg_catalog.current_database() AS db \gset
ALTER DATABASE :"db" SET shortlink.code_length = 9;
