-- Destinations and input: private hosts in every spelling, loops, the host blocklist,
-- size and depth caps, exact numbers, invisible characters, per-item batch errors.
-- Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
-- Loopback, private, link-local, carrier-grade NAT and unspecified addresses, in the
-- spellings a WHATWG parser reads as such, and localhost names: 22023 naming the rule.
CREATE TEMP TABLE attempts (field text, value text);
INSERT INTO attempts (field, value) VALUES
    ('url', 'http://127.0.0.1/'), ('url', 'http://2130706433/'), ('url', 'http://0x7f000001/'),
    ('url', 'http://127.1/'), ('url', 'http://0177.0.0.1/'), ('url', 'http://[::1]/'),
    ('url', 'http://[::ffff:127.0.0.1]/'), ('url', 'http://[0:0:0:0:0:0:0:1]/'),
    ('url', 'http://169.254.169.254/latest/meta-data/'), ('url', 'http://10.1.2.3/'),
    ('url', 'http://172.16.0.1/'), ('url', 'http://192.168.1.1/'), ('url', 'http://100.64.0.1/'),
    ('url', 'http://0.0.0.0/'), ('url', 'http://[fd00::1]/'), ('url', 'http://[fe80::1]/'),
    ('url', 'http://localhost/'), ('url', 'http://LOCALHOST./'), ('url', 'http://api.localhost/'),
    ('expired_url', 'http://10.0.0.1/'), ('image', 'http://[::1]/a.png'),
    ('callback_url', 'http://169.254.169.254/'), ('webhook_urls', 'http://127.0.0.1:9000/hook');
SELECT a.field, a.value, r.sqlstate, r.error
FROM attempts a,
     LATERAL shortlink.shorten_many(jsonb_build_array(
         CASE a.field
             WHEN 'url' THEN jsonb_build_object('url', a.value)
             WHEN 'webhook_urls' THEN jsonb_build_object('url', 'https://example.com/', a.field, jsonb_build_array(a.value))
             ELSE jsonb_build_object('url', 'https://example.com/', a.field, a.value) END)) r;
-- Public addresses pass.
SELECT url FROM shortlink.shorten('http://8.8.8.8/');
SELECT url FROM shortlink.shorten('http://[2606:4700::1111]/');
SELECT url FROM shortlink.shorten('https://localhost.example.com/');
-- A superuser-only setting lets an intranet install accept private hosts.
SET shortlink.allow_private_destinations = on;
SELECT url FROM shortlink.shorten('http://10.1.2.3/intranet');
RESET shortlink.allow_private_destinations;

-- A registered short domain as a destination is a loop or a chain.
SELECT domain FROM shortlink.add_domain('go.example');
SELECT code FROM shortlink.shorten('https://go.example/abc');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://example.com/', '{"expired_url": "https://GO.example./x"}');
\echo :LAST_ERROR_SQLSTATE

-- The host blocklist: a host and its subdomains; existing links are disabled.
SELECT code FROM shortlink.shorten('https://cdn.evil.example/x', '{"code": "was-fine"}');
SELECT shortlink.block_host('Evil.Example') AS disabled_links;
SELECT host FROM shortlink.blocked_hosts;
SELECT status, http_status FROM shortlink.record_click('was-fine');
-- It stays disabled while the block lasts, however it is enabled.
SELECT shortlink.enable('was-fine');
\echo :LAST_ERROR_SQLSTATE
UPDATE shortlink.links SET disabled = false WHERE code = 'was-fine';
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://evil.example/');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://a.b.evil.example/');
\echo :LAST_ERROR_SQLSTATE
SELECT code IS NOT NULL AS other_hosts_pass FROM shortlink.shorten('https://notevil.example/');
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "to-update"}');
SELECT code FROM shortlink.update_link('to-update', '{"url": "https://evil.example/"}');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('to-update', '{"webhook_urls": ["https://x.evil.example/h"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('to-update', '{"callback_url": "http://192.168.0.10/"}');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.unblock_host('evil.example') AS unblocked;
SELECT code IS NOT NULL AS allowed_again FROM shortlink.shorten('https://evil.example/');
SELECT shortlink.enable('was-fine');
SELECT status FROM shortlink.record_click('was-fine');
SELECT shortlink.block_host('not a host');
\echo :LAST_ERROR_SQLSTATE
-- The blocklist matches a destination's domain host and its parents, as shorten checks it:
-- an IP address is not a host it can block.
SELECT shortlink.block_host('203.0.113.9');
\echo :LAST_ERROR_SQLSTATE
SELECT shortlink.url_host_suffixes('https://A.B.Example./x') AS suffixes,
       shortlink.url_host('http://203.0.113.9/') IS NULL AS ip_has_no_host,
       shortlink.short_url('go.example.com', 'abc') AS short_url;

-- Every destination is at most 8192 bytes, of every link type.
SELECT code FROM shortlink.shorten('mailto:a@example.com?body=' || repeat('x', 9000), '{"link_type": "mailto"}');
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('sms:+14155550123?body=' || repeat('x', 9000), '{"link_type": "sms"}');
\echo :LAST_ERROR_SQLSTATE
-- forward_params: a merge past the cap redirects without the extra query.
SELECT code FROM shortlink.shorten('https://example.com/p?id=7', '{"code": "fwd-cap", "forward_params": true}');
SELECT status, location FROM shortlink.record_click('fwd-cap', query => 'q=' || repeat('y', 9000));
SELECT status, location FROM shortlink.record_click('fwd-cap', query => 'q=1');

-- metadata and template_vars: at most 65536 bytes serialized and 32 levels deep.
SELECT code FROM shortlink.shorten('https://example.com/', jsonb_build_object('metadata', jsonb_build_object('blob', repeat('x', 70000))));
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://example.com/', jsonb_build_object('template_vars', jsonb_build_object('blob', repeat('x', 70000))));
\echo :LAST_ERROR_SQLSTATE
SELECT code IS NOT NULL AS depth_32_is_fine FROM shortlink.shorten('https://example.com/', ('{"metadata": ' || repeat('{"a": ', 32) || '1' || repeat('}', 32) || '}')::jsonb);
SELECT code FROM shortlink.shorten('https://example.com/', ('{"metadata": ' || repeat('{"a": ', 33) || '1' || repeat('}', 33) || '}')::jsonb);
\echo :LAST_ERROR_SQLSTATE
-- Nested far past serde_json's own limit: still 22023 naming the field, never XX000.
SELECT code FROM shortlink.shorten('https://example.com/', ('{"metadata": ' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.update_link('to-update', ('{"template_vars": ' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT domain FROM shortlink.add_domain('deep.example', ('{"metadata": ' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb);
\echo :LAST_ERROR_SQLSTATE
-- Numbers in metadata are stored exactly as given.
SELECT metadata FROM shortlink.shorten('https://example.com/',
    '{"metadata": {"big": 123456789012345678901234567890, "fine": 0.1000000000000000055511151231257827}}');

-- title and description refuse bidirectional overrides and other invisible characters.
SELECT code FROM shortlink.shorten('https://example.com/', jsonb_build_object('title', 'Pay ' || chr(8238) || 'gpj.exe'));
\echo :LAST_ERROR_SQLSTATE
SELECT code FROM shortlink.shorten('https://example.com/', jsonb_build_object('description', 'a' || chr(8203) || 'b'));
\echo :LAST_ERROR_SQLSTATE
SELECT code IS NOT NULL AS emoji_sequences_pass FROM shortlink.shorten('https://example.com/', jsonb_build_object('title', 'Family ' || chr(128104) || chr(8205) || chr(128105)));

-- shorten_many: every item fails or succeeds on its own, whatever the error.
SELECT idx, ok, sqlstate, error FROM shortlink.shorten_many(
    ('[{"url": "https://example.com/1"},
       {"url": "https://example.com/2", "expires_at": "2030-01-01T00:00:60.5Z"},
       {"url": "https://example.com/3", "metadata": ' || repeat('[', 3000) || repeat(']', 3000) || '},
       {"url": "http://169.254.169.254/"},
       {"url": "https://example.com/5", "title": "x' || chr(8238) || '"},
       {"url": "https://example.com/6", "code": "dup"}, {"url": "https://example.com/7", "code": "dup"},
       "not an object",
       {"url": "https://example.com/9"}]')::jsonb);
ROLLBACK;

-- A link that is not there is named with its domain normalized, as shorten stores it.
SELECT shortlink.get_link('no-such-link', 'Bücher.DE');
\echo :LAST_ERROR_SQLSTATE
