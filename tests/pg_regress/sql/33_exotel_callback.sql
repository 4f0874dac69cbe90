-- Exotel's click callback (core/src/exotel_callback.rs): a link with callback_format
-- "exotel" queues, for its callback_url, exactly the fields Exotel's document lists, with
-- the link's and the click's values; its webhook_urls still get shortlink's event; a link
-- with tracking off sends no address or place. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
SELECT shortlink.add_workspace('exotel_cb') > 0 AS added;
SELECT domain FROM shortlink.add_domain('go.exocb.example', '{"workspace": "exotel_cb"}');
SELECT code FROM shortlink.shorten('https://example.com/order?id=7', '{"domain": "go.exocb.example",
    "code": "exo-cb", "callback_url": "https://hooks.example/exotel", "callback_format": "EXOTEL",
    "custom_field": "{\"order\": 7}", "webhook_urls": ["https://hooks.example/plain"],
    "expires_at": "2099-01-02T03:04:05Z"}');
SELECT code, callback_format FROM shortlink.get_link('exo-cb', 'go.exocb.example');
SELECT code FROM shortlink.shorten('https://example.com/quiet', '{"domain": "go.exocb.example",
    "code": "exo-quiet", "callback_url": "https://hooks.example/exotel", "callback_format": "exotel",
    "tracking": false}');
SELECT code FROM shortlink.shorten('https://example.com/plain', '{"domain": "go.exocb.example",
    "code": "exo-plain", "callback_url": "https://hooks.example/plain"}');
-- Refused: an unknown format.
SELECT code FROM shortlink.shorten('https://example.com/x', '{"domain": "go.exocb.example", "callback_format": "json"}');
\echo :LAST_ERROR_SQLSTATE
SELECT c.code, r.status
FROM unnest(ARRAY['exo-cb', 'exo-cb', 'exo-quiet', 'exo-plain']) WITH ORDINALITY c(code, n),
     LATERAL shortlink.record_click(c.code, 'go.exocb.example', ip => '203.0.113.7',
         user_agent => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1') r
ORDER BY c.n;

-- Exotel's 22 fields, and no other, for the callback_url of an Exotel-format link.
SELECT l.code, o.targets,
       ARRAY(SELECT k FROM jsonb_object_keys(o.payload) k ORDER BY k COLLATE "C") AS fields
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id
WHERE l.domain = 'go.exocb.example'
ORDER BY l.code, o.id;
-- Their values: the link's (sid = its id in 32 hexadecimal digits, the workspace's name as
-- the account), the click's (Total_clicks counts it; times ISO 8601 in UTC).
SELECT o.payload->>'sid' = lpad(to_hex(l.id), 32, '0') AS sid,
       o.payload->>'short_url' AS short_url, o.payload->>'short_code' AS short_code,
       o.payload->>'long_url' AS long_url, o.payload->'Tracking' AS tracking,
       o.payload->>'custom_field' AS custom_field, o.payload->>'Expires_at' AS expires_at,
       o.payload->>'Created_time' = to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created,
       o.payload->>'Date_created' = o.payload->>'Created_time' AS date_created,
       o.payload->>'Last_viewed' = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_viewed,
       o.payload->'Total_clicks' AS total_clicks, o.payload->>'Account_sid' AS account_sid,
       o.payload->>'IP' AS ip, o.payload->>'OS_name' AS os_name, o.payload->>'OS_version' AS os_version,
       o.payload->>'Device_name' AS device_name, o.payload->>'Platform_type' AS platform_type
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id
WHERE l.domain = 'go.exocb.example' AND o.payload ? 'sid'
ORDER BY l.code, o.id;
-- Back to shortlink's event when the option is cleared.
SELECT code FROM shortlink.update_link('exo-cb', '{"callback_format": null}', 'go.exocb.example');
SELECT callback_format FROM shortlink.get_link('exo-cb', 'go.exocb.example');
SELECT status FROM shortlink.record_click('exo-cb', 'go.exocb.example');
SELECT o.payload ? 'sid' AS exotel, o.payload->>'event' AS event, o.payload->'total_clicks' AS total_clicks
FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id
WHERE l.code = 'exo-cb' ORDER BY o.id DESC LIMIT 1;
ROLLBACK;
