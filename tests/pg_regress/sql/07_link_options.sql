-- The options of today's link APIs (Cellcast, Trackly, Dub-style APIs, Exotel), as
-- shorten() options.
\set SHOW_CONTEXT never

-- redirect_type: 301 or 302 (the default); record_click returns it as http_status.
SELECT code FROM shortlink.shorten('https://example.com/moved', '{"code": "perm", "redirect_type": 301}');
SELECT * FROM shortlink.record_click('perm');

-- link_type: mailto, tel and sms destinations, checked (E.164 numbers) and normalized.
SELECT code, url FROM shortlink.shorten('tel:+1 (415) 555-0123', '{"code": "call-us", "link_type": "tel"}');
SELECT code, url FROM shortlink.shorten('sms:+447700900123?body=STOP', '{"code": "text-us", "link_type": "sms"}');
SELECT code, url FROM shortlink.shorten('mailto:sales@example.com?subject=Hello', '{"code": "mail-us", "link_type": "mailto"}');
SELECT shortlink.shorten('tel:555-0123', '{"link_type": "tel"}');
\echo :LAST_ERROR_SQLSTATE

-- password: kept only as an argon2id hash; record_click answers 401 without it.
SELECT code FROM shortlink.shorten('https://example.com/vault', '{"code": "vault", "password": "open sesame"}');
SELECT password_hash LIKE '$argon2id$%' AS hashed FROM shortlink.links WHERE code = 'vault';
SELECT * FROM shortlink.record_click('vault');
SELECT * FROM shortlink.record_click('vault', password => 'open sesame');
SELECT shortlink.resolve('vault') IS NULL AS resolve_hides_protected_links;

-- utm_*: put into the destination's query, replacing parameters of the same name.
SELECT url FROM shortlink.shorten('https://shop.example/p?utm_source=old&id=7',
    '{"utm_source": "sms", "utm_medium": "text", "utm_campaign": "spring"}');

-- forward_params: the short URL's own query is merged into the location.
SELECT code FROM shortlink.shorten('https://shop.example/p?id=7', '{"code": "fwd", "forward_params": true}');
SELECT * FROM shortlink.record_click('fwd', query => 'ref=sms&id=8');

-- Bots and link-preview fetchers are counted apart, never as clicks or against max_clicks.
SELECT code FROM shortlink.shorten('https://example.com/limited', '{"code": "preview", "max_clicks": 1}');
SELECT status FROM shortlink.record_click('preview', user_agent => 'WhatsApp/2.23.20.0 A');
SELECT status FROM shortlink.record_click('preview', user_agent => 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)');
SELECT status FROM shortlink.record_click('preview', user_agent => 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)');
SELECT clicks, bot_clicks FROM shortlink.stats('preview');
-- block_bots: 403 for them instead.
SELECT code FROM shortlink.shorten('https://example.com/humans', '{"code": "humans-only", "block_bots": true}');
SELECT * FROM shortlink.record_click('humans-only', user_agent => 'TelegramBot (like TwitterBot)');

-- Social preview, tracking pixels, CRM and DLT fields: stored, returned by get_link.
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "rich",
    "title": "Spring sale", "description": "Shoes at half price", "image": "https://img.example/spring.png",
    "tags": ["sms", "spring"], "cloaked": true, "meta_pixel_id": "123456789012345",
    "google_tag_id": "GTM-ABC123", "custom_field": "crm-id:42", "dlt_header": "ACMEIN",
    "contact_phone": "+91 98765 43210"}');
SELECT title, description, image, tags, cloaked, meta_pixel_id, google_tag_id, custom_field,
       dlt_header, contact_phone
FROM shortlink.get_link('rich');
SELECT shortlink.shorten('https://example.com/', '{"contact_phone": "98765"}');
\echo :LAST_ERROR_SQLSTATE

-- template_vars: {{macros}} in the destination, filled at creation.
SELECT url FROM shortlink.shorten('https://shop.example/o?to={{contact.phone}}&c={{link.code}}',
    '{"code": "macro", "template_vars": {"contact": {"phone": "+14155550123"}}}');
SELECT shortlink.shorten('https://shop.example/{{contact.name}}', '{"template_vars": {}}');
\echo :LAST_ERROR_SQLSTATE

-- callback_url / webhook_urls: each ok click writes an outbox event, in the clicking
-- transaction, and NOTIFYs shortlink_events (LISTEN shortlink_events). A dispatcher
-- outside the database delivers it.
SELECT code FROM shortlink.shorten('https://example.com/cb', '{"code": "hooked",
    "callback_url": "https://crm.example/exotel-callback", "webhook_urls": ["https://hooks.example/a"]}');
SELECT status FROM shortlink.record_click('hooked', ip => '203.0.113.7',
    user_agent => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    referer => 'https://t.co/x', country => 'us');
SELECT targets, (SELECT array_agg(d.state ORDER BY d.target) FROM shortlink.deliveries d WHERE d.event_id = o.id) AS deliveries FROM shortlink.outbox o;
SELECT jsonb_pretty(payload - 'clicked_at' - 'user_agent') AS payload FROM shortlink.outbox;

-- expired_url: expired and exhausted links send there instead of a bare 410.
SELECT code FROM shortlink.shorten('https://example.com/once', '{"code": "once", "max_clicks": 1, "expired_url": "https://example.com/sold-out"}');
SELECT * FROM shortlink.record_click('once');
SELECT * FROM shortlink.record_click('once');

-- if_exists: "return" gives back the link a custom code already has for the same URL.
SELECT code, url FROM shortlink.shorten('https://example.com/once', '{"code": "once", "if_exists": "return"}');
SELECT shortlink.shorten('https://example.com/other', '{"code": "once", "if_exists": "return"}');
\echo :LAST_ERROR_SQLSTATE
