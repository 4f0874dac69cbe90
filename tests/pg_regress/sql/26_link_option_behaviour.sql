-- What the options of today's link APIs do once a link is made: redirect_type, link_type,
-- password, utm_*, forward_params, preview and tracking fields, template_vars and
-- expired_url. Starts from no links and no domain but localhost; each block is rolled
-- back to its savepoint. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql

-- redirect_type 301 is returned by record_click; 307 is refused.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/p', '{"code": "perm", "redirect_type": 301}');
SELECT status, http_status, location FROM shortlink.record_click('perm');
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/', '{"redirect_type": 307}')$q$);
ROLLBACK TO SAVEPOINT t;

-- link_type validates (and normalizes) its destination.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('tel:+1 (415) 555-0123', '{"code": "call", "link_type": "tel"}');
SELECT url FROM shortlink.links WHERE code = 'call';
SELECT code FROM shortlink.shorten('sms:+447700900123?body=hi', '{"code": "text", "link_type": "sms"}');
SELECT code FROM shortlink.shorten('mailto:sales@example.com?subject=Hi', '{"code": "mail", "link_type": "mailto"}');
SELECT status, http_status, location FROM shortlink.record_click('mail');
SELECT url, type, pg_temp.error_of(format('SELECT shortlink.shorten(%L, %L)', url, jsonb_build_object('link_type', type)))
FROM (VALUES ('tel:12345', 'tel'), ('https://example.com/', 'tel'), ('mailto:nobody', 'mailto'),
             ('sms:+0123', 'sms'), ('tel:+14155550123', 'url')) v(url, type);
ROLLBACK TO SAVEPOINT t;

-- A password (stored as an argon2id hash, never as given) protects record_click and
-- resolve.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/secret', '{"code": "locked", "password": "open sesame"}');
SELECT password_hash LIKE '$argon2id$%' AS argon2id, strpos(password_hash, 'open sesame') = 0 AS not_as_given
FROM shortlink.links WHERE code = 'locked';
SELECT status, http_status, location FROM shortlink.record_click('locked');
SELECT status, http_status, location FROM shortlink.record_click('locked', password => 'wrong');
SELECT status, http_status, location FROM shortlink.record_click('locked', password => 'open sesame');
SELECT shortlink.resolve('locked') IS NULL AS resolve_is_null;
SELECT clicks FROM shortlink.stats('locked');
ROLLBACK TO SAVEPOINT t;

-- utm_* options replace the parameters of the same name, and keep the fragment.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://shop.example/p?utm_source=old&x=1#top',
    '{"code": "utm", "utm_source": "sms", "utm_medium": "text", "utm_campaign": "spring", "utm_term": "shoes", "utm_content": "v2"}');
SELECT url FROM shortlink.links WHERE code = 'utm';
ROLLBACK TO SAVEPOINT t;

-- forward_params merges the request's query into the destination's.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://shop.example/p?a=1&b=2', '{"code": "fwd", "forward_params": true}');
SELECT code FROM shortlink.shorten('https://shop.example/p?a=1', '{"code": "nofwd"}');
SELECT status, http_status, location FROM shortlink.record_click('fwd', query => 'b=3&c=4');
SELECT status, http_status, location FROM shortlink.record_click('nofwd', query => 'b=3');
ROLLBACK TO SAVEPOINT t;

-- Preview and tracking fields are stored and returned by get_link; too long a
-- custom_field, or a phone number that is not one, is 22023.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/',
    '{"code": "rich", "title": "Spring sale", "description": "All shoes", "image": "https://img.example/s.png",
      "tags": ["sms", "spring"], "cloaked": true, "meta_pixel_id": "123456789012345", "google_tag_id": "G-ABC123",
      "custom_field": "crm:42", "dlt_header": "ACMEIN", "contact_phone": "+91 98765 43210"}');
SELECT title, description, image, tags, cloaked, meta_pixel_id, google_tag_id, custom_field, dlt_header, contact_phone
FROM shortlink.get_link('rich');
SELECT left(pg_temp.error_of(format('SELECT shortlink.shorten(%L, %L)', 'https://example.com/',
                                    jsonb_build_object('custom_field', repeat('x', 1025)))), 5) AS sqlstate;
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://example.com/', '{"contact_phone": "12345"}')$q$);
ROLLBACK TO SAVEPOINT t;

-- template_vars fill macros at creation, escaped for where they stand; an unknown macro
-- is named.
SAVEPOINT t;
SELECT code AS tpl_code FROM shortlink.shorten('https://shop.example/o?phone={{contact.phone}}&c={{link.code}}',
    '{"template_vars": {"contact": {"phone": "+14155550123"}}}') \gset
SELECT replace(url, :'tpl_code', '<code>') AS url FROM shortlink.links WHERE code = :'tpl_code';
SELECT pg_temp.error_of($q$SELECT shortlink.shorten('https://shop.example/{{nope}}')$q$);
SELECT shortlink.shorten('https://shop.example/{{nope}}', '{"template_vars": {"yes": 1}}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- expired_url receives the clicks of expired and exhausted links.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/x', '{"code": "late", "expired_url": "https://example.com/over"}');
UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE code = 'late';
SELECT status, http_status, location FROM shortlink.record_click('late');
SELECT code FROM shortlink.shorten('https://example.com/x', '{"code": "full", "max_clicks": 1, "expired_url": "https://example.com/over"}');
SELECT status, http_status, location FROM shortlink.record_click('full');
SELECT status, http_status, location FROM shortlink.record_click('full');
ROLLBACK TO SAVEPOINT t;
ROLLBACK;
