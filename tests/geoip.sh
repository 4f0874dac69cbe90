#!/usr/bin/env bash
# Geo from a click's address: shortlink.geoip_database against a small GeoLite2-City
# database the test builds itself (tests/geoip/make_db.py, never a real one), on the test
# cluster (which preloads shortlink), in a database of its own. Checks
# - IPv4, IPv6 and IPv4-mapped addresses: country, region, city, postal code, accuracy in
#   click_events, looked up with the full address and stored next to the anonymised one;
# - the proxy's country winning (and the database's region and city of another country
#   left out), an address the database does not know, an address known to its country only;
# - a link with tracking off keeping no place; webhook payloads carrying the place, the OS
#   version and the device model;
# - click_stats by region, city and OS version, before and after maintain() rolls them up;
# - the file mapped once, by the postmaster, and inherited by backends (/proc/PID/maps);
# - the database replaced (rename over it) while a backend runs: the next click a second
#   later sees the new file; a file that is not a database: the old one kept and a LOG
#   line; a path that does not exist: clicks recorded without geo; the setting off;
# - only a superuser may set it.
#   tests/geoip.sh CLUSTER_DIR PORT
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
DIR=$1 PORT=$2 DB=shortlink_geoip
ensure_test_python
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d "$DB" "$@"; }
passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}
IPHONE='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1'
SAMSUNG='Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36'

GEO=$ROOT/target/geoip-test
rm -rf "$GEO" && mkdir -p "$GEO"
python3 tests/geoip/make_db.py "$GEO/a.mmdb" --variant a
python3 tests/geoip/make_db.py "$GEO/b.mmdb" --variant b
cp "$GEO/a.mmdb" "$GEO/current.mmdb"
make_reachable "$GEO"
chmod a+rx "$GEO" && chmod a+r "$GEO"/*.mmdb
LOG=$DIR/server.log
log_from=$(($(wc -l <"$LOG") + 1))

"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
cleanup() {
    "$PG_BIN/psql" -X -q -h "$DIR" -p "$PORT" -U postgres -d postgres \
        -c "ALTER SYSTEM RESET shortlink.geoip_database" -c "SELECT pg_reload_conf()" \
        -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql >/dev/null <<'SQL'
CREATE EXTENSION shortlink;
SELECT code FROM shortlink.shorten('https://example.com/geo', '{"code": "geo"}');
SELECT code FROM shortlink.shorten('https://example.com/off', '{"code": "geo-off", "tracking": false, "webhook_urls": ["https://hooks.example.com/off"]}');
SELECT code FROM shortlink.shorten('https://example.com/hook', '{"code": "geo-hook", "webhook_urls": ["https://hooks.example.com/on"]}');
SQL
# click CODE IP [USER_AGENT] [COUNTRY]: record_click's status
click() {
    psql -c "SELECT status FROM shortlink.record_click('$1', ip => '$2', user_agent => '${3:-$IPHONE}', country => NULLIF('${4:-}', ''))"
}
# last CODE: the place of the link's last event
last() {
    psql -c "SELECT concat_ws('|', host(e.ip), e.country, e.region, e.city, e.postal_code, e.accuracy_radius_km)
             FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id
             WHERE l.code = '$1' ORDER BY e.id DESC LIMIT 1"
}

check "without a database, a click has no place" "ok|81.2.69.0" "$(click geo 81.2.69.161)|$(last geo)"

psql -c "ALTER SYSTEM SET shortlink.geoip_database = '$GEO/current.mmdb'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
postmaster=$(head -1 "$DIR/data/postmaster.pid")
check "the postmaster maps the database at the reload" 1 "$(grep -c "$GEO/current.mmdb" "/proc/$postmaster/maps" | head -c1)"
check "a new backend inherits the mapping, before its first click" t \
    "$(psql -c "SELECT count(*) > 0 FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\\n') m WHERE m LIKE '%$GEO/current.mmdb%'")"

check "IPv4: country, region, city, postal code, accuracy; the address anonymised" \
    "ok|81.2.69.0|GB|England|London|EC1A|10" "$(click geo 81.2.69.161)|$(last geo)"
check "IPv6" "ok|2001:db8:1::|JP|Tokyo|Tokyo|100-0001|50" "$(click geo 2001:db8:1::1234)|$(last geo)"
check "an IPv4-mapped IPv6 address is its IPv4 address" \
    "ok|81.2.69.0|GB|England|London|EC1A|10" "$(click geo ::ffff:81.2.69.161)|$(last geo)"
check "an address known to its country only" "ok|192.0.2.0|DE|200" "$(click geo 192.0.2.5)|$(last geo)"
check "an address the database does not know" "ok|198.51.100.0" "$(click geo 198.51.100.7)|$(last geo)"
check "the proxy's country wins" "ok|203.0.113.0|US|California|San Francisco|94107|5" \
    "$(click geo 203.0.113.9 "$IPHONE" us)|$(last geo)"
check "... and the database's region and city of another country are left out" "ok|81.2.69.0|FR" \
    "$(click geo 81.2.69.161 "$IPHONE" fr)|$(last geo)"
check "the full address is looked up, whatever shortlink.anonymize_ip keeps" "ok|GB|London" \
    "$(click geo 81.2.69.190)|$(psql -c "SELECT concat_ws('|', country, city) FROM shortlink.click_events ORDER BY id DESC LIMIT 1")"
check "tracking off: no event, and the webhook payload has no address or place" \
    "ok|0|null|null|null|null|null" \
    "$(click geo-off 81.2.69.161)|$(psql -c "SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'geo-off'")|$(psql -c "SELECT concat_ws('|', o.payload->'ip', o.payload->'country', o.payload->'region', o.payload->'city', o.payload->'postal_code') FROM shortlink.outbox o ORDER BY o.id DESC LIMIT 1")"
click geo-hook 81.2.69.161 "$SAMSUNG" >/dev/null
check "a webhook payload carries the place and the client" \
    '"GB"|"England"|"London"|"EC1A"|10|"mobile"|"Android"|"14"|"Chrome"|"Samsung SM-S918B"' \
    "$(psql -c "SELECT concat_ws('|', p->'country', p->'region', p->'city', p->'postal_code', p->'accuracy_radius_km', p->'device', p->'os', p->'os_version', p->'browser', p->'device_model') FROM (SELECT o.payload AS p FROM shortlink.outbox o ORDER BY o.id DESC LIMIT 1) x")"
check "the event keeps the OS version and device model" "14|Samsung SM-S918B" \
    "$(psql -c "SELECT concat_ws('|', os_version, device_model) FROM shortlink.click_events ORDER BY id DESC LIMIT 1")"

stats() {
    psql -c "SELECT string_agg(dimension || '=' || coalesce(key, '?') || ':' || clicks, ' ' ORDER BY dimension, coalesce(key, '?'))
             FROM shortlink.click_stats('geo') WHERE dimension IN ('region', 'city', 'os_version')"
}
# Two events of three hours ago, which maintain() rolls up.
psql >/dev/null <<'SQL'
INSERT INTO shortlink.click_events (link_id, clicked_at, visitor_hash, country, region, city, os, os_version)
SELECT l.id, now() - interval '3 hours', v, 'DE', 'Bavaria', 'Munich', 'Android', '14'
FROM shortlink.links l, unnest(ARRAY['v1', 'v2']) v WHERE l.code = 'geo';
SQL
want_stats="city=?:4 city=London, England, GB:3 city=Munich, Bavaria, DE:2 city=San Francisco, California, US:1 city=Tokyo, Tokyo, JP:1 os_version=Android 14:2 os_version=iOS 17.4.1:9 region=?:4 region=Bavaria, DE:2 region=California, US:1 region=England, GB:3 region=Tokyo, JP:1"
check "click_stats by region, city and OS version" "$want_stats" "$(stats)"
psql -c "SELECT shortlink.maintain()" >/dev/null
check "maintain() rolls the new dimensions up" "city=Munich, Bavaria, DE:2 os_version=Android 14:2 region=Bavaria, DE:2" \
    "$(psql -c "SELECT string_agg(dimension || '=' || key || ':' || clicks, ' ' ORDER BY dimension, key) FROM shortlink.click_rollups WHERE period = 'hour' AND dimension IN ('region', 'city', 'os_version')")"
check "... and click_stats is the same after it" "$want_stats" "$(stats)"

# One backend throughout: the file replaced by rename while it runs.
swap=$(psql <<SQL
SELECT status FROM shortlink.record_click('geo', ip => '203.0.113.9');
SELECT city FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
\! cp "$GEO/b.mmdb" "$GEO/next.mmdb" && chmod a+r "$GEO/next.mmdb" && mv "$GEO/next.mmdb" "$GEO/current.mmdb"
SELECT pg_sleep(1.1);
SELECT status FROM shortlink.record_click('geo', ip => '203.0.113.9');
SELECT concat_ws('|', city, postal_code, accuracy_radius_km) FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
\! printf 'this is not a MaxMind DB' > "$GEO/next.mmdb" && chmod a+r "$GEO/next.mmdb" && mv "$GEO/next.mmdb" "$GEO/current.mmdb"
SELECT pg_sleep(1.1);
SELECT status FROM shortlink.record_click('geo', ip => '203.0.113.9');
SELECT city FROM shortlink.click_events ORDER BY id DESC LIMIT 1;
SQL
)
check "a database replaced while a backend runs: the next click a second later reads the new one; a broken replacement keeps the old" \
    "ok San Francisco  ok Los Angeles|90001|20  ok Los Angeles" "$(tr '\n' ' ' <<<"$swap" | sed 's/ *$//')"
check "... and the broken file is reported once in the server log" 1 \
    "$(tail -n +"$log_from" "$LOG" | grep -c "shortlink.geoip_database: cannot open MaxMind DB \"$GEO/current.mmdb\"" || true)"
check "a new backend while the file is broken records its click" ok "$(click geo 203.0.113.9)"
cp "$GEO/b.mmdb" "$GEO/next.mmdb" && chmod a+r "$GEO/next.mmdb" && mv "$GEO/next.mmdb" "$GEO/current.mmdb"
check "a good file renamed over the broken one: a new backend reads it" "ok|203.0.113.0|US|California|Los Angeles|90001|20" \
    "$(click geo 203.0.113.9)|$(last geo)"

psql -c "ALTER SYSTEM SET shortlink.geoip_database = '$GEO/missing.mmdb'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
check "a path with no file: clicks are recorded without geo" "ok|81.2.69.0" "$(click geo 81.2.69.161)|$(last geo)"
cp "$GEO/a.mmdb" "$GEO/missing.mmdb" && chmod a+r "$GEO/missing.mmdb"
sleep 1.1
check "... until the file appears" "ok|81.2.69.0|GB|England|London|EC1A|10" "$(click geo 81.2.69.161)|$(last geo)"
psql -c "ALTER SYSTEM RESET shortlink.geoip_database" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
check "the setting off: no place" "ok|81.2.69.0" "$(click geo 81.2.69.161)|$(last geo)"
check "SET in a session, by a superuser, for that session" "ok|81.2.69.0|GB|England|London|EC1A|10" \
    "$(psql -c "SET shortlink.geoip_database = '$GEO/a.mmdb'" -c "SELECT status FROM shortlink.record_click('geo', ip => '81.2.69.161')")|$(last geo)"
refused=$(psql -c "CREATE ROLE sl_geo_nobody" -c "SET ROLE sl_geo_nobody" \
    -c "SET shortlink.geoip_database = '/etc/passwd'" 2>&1 || true)
psql -c "DROP ROLE sl_geo_nobody" >/dev/null
check "only a superuser may set it" t "$(grep -q 'permission denied to set parameter "shortlink.geoip_database"' <<<"$refused" && echo t || echo "$refused")"

echo "geoip: $passed passed, $failed failed"
[ "$failed" = 0 ]
