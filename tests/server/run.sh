#!/usr/bin/env bash
# End-to-end: shortlink-server on loopback against the test cluster, connected as a role
# that has only shortlink.grant_redirect(), checked with a real HTTP client (curl).
#   run.sh CLUSTER_DIR PORT DBNAME
set -euo pipefail
DIR=$1 PORT=$2 DB=$3
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
LISTEN=127.0.0.1:${SHORTLINK_E2E_PORT:-18080}
ADMIN=127.0.0.1:${SHORTLINK_E2E_ADMIN_PORT:-19090}
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d "$DB" "$@"; }
BROWSER='Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'
# curl -s with a browser's user agent (curl's own is, rightly, a bot), bounded in time.
get() { curl -s -m 10 -A "$BROWSER" -H 'Host: localhost' "$@"; }
status() { get -o /dev/null -w '%{http_code}' "$@"; }
header() { # header NAME ARGS...: the value of response header NAME
    local name=$1; shift
    get -o /dev/null -D - "$@" | tr -d '\r' | sed -n "s/^$name: //Ip" | head -1
}
clicks() { psql -c "SELECT clicks FROM shortlink.stats('$1')"; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}

say "building shortlink-server"
BIN=$(build_server)

psql >/dev/null <<'SQL'
DELETE FROM shortlink.links WHERE code LIKE 'e2e-%';
-- Earlier suites left events for hosts on the internet: the dispatcher must send nothing
-- off this machine.
DELETE FROM shortlink.outbox;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl_e2e_edge') THEN
        CREATE ROLE sl_e2e_edge LOGIN;
    END IF;
END $$;
SELECT shortlink.grant_redirect('sl_e2e_edge');
SELECT shortlink.grant_dispatcher('sl_e2e_edge');
SELECT FROM shortlink.shorten('https://example.com/found?x=1', '{"code": "e2e-found"}');
SELECT FROM shortlink.shorten('https://example.com/moved', '{"code": "e2e-moved", "redirect_type": 301}');
SELECT FROM shortlink.shorten('https://example.com/once', '{"code": "e2e-once", "max_clicks": 1}');
SELECT FROM shortlink.shorten('https://example.com/off', '{"code": "e2e-off"}');
SELECT shortlink.disable('e2e-off');
SELECT FROM shortlink.shorten('https://example.com/old', '{"code": "e2e-old", "expire_in": 60}');
SELECT FROM shortlink.shorten('https://example.com/old', '{"code": "e2e-old-url", "expire_in": 60, "expired_url": "https://example.com/sorry"}');
UPDATE shortlink.links SET expires_at = now() - interval '1 minute' WHERE code IN ('e2e-old', 'e2e-old-url');
SELECT FROM shortlink.shorten('https://example.com/humans', '{"code": "e2e-humans", "block_bots": true}');
SELECT FROM shortlink.shorten('https://example.com/vault', '{"code": "e2e-vault", "password": "open sesame"}');
SELECT FROM shortlink.shorten('https://example.com/fwd?id=7', '{"code": "e2e-fwd", "forward_params": true}');
SELECT FROM shortlink.shorten('https://example.com/load', '{"code": "e2e-load"}');
SELECT FROM shortlink.shorten('https://example.com/sale', '{"code": "e2e-card", "title": "Spring <sale>", "description": "50% off", "image": "https://img.example/s.png"}');
SELECT FROM shortlink.shorten('https://example.com/framed', '{"code": "e2e-cloak", "cloaked": true, "title": "Framed"}');
SQL

SECRET=e2e-webhook-secret
HOOK_PORT=${SHORTLINK_E2E_HOOK_PORT:-18181}
# The second servers (RUST_LOG=trace, json logs, other roles) and their receivers.
EXTRA_LISTEN=127.0.0.1:${SHORTLINK_E2E_EXTRA_PORT:-18480}
EXTRA_ADMIN=127.0.0.1:${SHORTLINK_E2E_EXTRA_ADMIN_PORT:-19480}
HOOK_OK_PORT=${SHORTLINK_E2E_HOOK_OK_PORT:-18482}
HOOK_503_PORT=${SHORTLINK_E2E_HOOK_503_PORT:-18483}
log=$(mktemp) hooks=$(mktemp) xlog=$(mktemp) xhooks=$(mktemp)
server= receiver= xserver= xreceivers=
start_server() {
    "$BIN" --database-url "host=$DIR port=$PORT user=sl_e2e_edge dbname=$DB" --listen "$LISTEN" \
        --admin-listen "$ADMIN" --trusted-proxies 127.0.0.1/32 --country-header CF-IPCountry \
        --pool-size 8 --webhook-secret "$SECRET" --allow-private-webhooks \
        --dispatch-lease-seconds 3 --dispatch-poll-seconds 1 >>"$log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -s -m 1 "http://$ADMIN/healthz" >/dev/null && break; sleep 0.2; done
}
cleanup() {
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true
    [ -n "$receiver" ] && kill -TERM "$receiver" 2>/dev/null || true
    [ -n "$xserver" ] && kill -TERM "$xserver" 2>/dev/null || true
    for r in $xreceivers; do kill -TERM "$r" 2>/dev/null || true; done
    rm -f "$log" "$hooks" "$xlog" "$xhooks"
}
trap cleanup EXIT
start_server
U=http://$LISTEN

say "redirects"
check "GET /code: 302" 302 "$(status "$U/e2e-found")"
check "302 Location is the destination" "https://example.com/found?x=1" "$(header location "$U/e2e-found")"
check "302 is not cached" "no-store" "$(header cache-control "$U/e2e-found")"
check "every answer says noindex" "noindex" "$(header x-robots-tag "$U/e2e-found")"
check "a trailing slash is the same link" 302 "$(status "$U/e2e-found/")"
check "redirect_type 301: 301" 301 "$(status "$U/e2e-moved")"
check "301 is cached privately and briefly" "private, max-age=60" "$(header cache-control "$U/e2e-moved")"
check "forward_params merges the query" "https://example.com/fwd?id=7&ref=sms" "$(header location "$U/e2e-fwd?ref=sms")"
check "unknown code: 404" 404 "$(status "$U/e2e-nope")"
check "404 is an HTML page" "text/html; charset=utf-8" "$(header content-type "$U/e2e-nope")"
check "expired: 410" 410 "$(status "$U/e2e-old")"
check "disabled: 410" 410 "$(status "$U/e2e-off")"
check "expired with expired_url: 302 to it" "https://example.com/sorry" "$(header location "$U/e2e-old-url")"
check "max_clicks 1, first click: 302" 302 "$(status "$U/e2e-once")"
check "max_clicks 1, second click: 410" 410 "$(status "$U/e2e-once")"
check "a bot on a block_bots link: 403" 403 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: localhost' -A 'Googlebot/2.1' "$U/e2e-humans")"
check "a person on a block_bots link: 302" 302 "$(status "$U/e2e-humans")"
check "/robots.txt disallows everything" "Disallow: /" "$(get "$U/robots.txt" | grep -x 'Disallow: /')"
check "/ without --root-redirect: 404" 404 "$(status "$U/")"
check "/favicon.ico: 404" 404 "$(status "$U/favicon.ico")"
check "a path no code has: 404" 404 "$(status "$U/a")"
check "a host that is no domain: 404" 404 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$U/e2e-found")"
check "a domain with a port in Host is still the domain" 302 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -A "$BROWSER" -H 'Host: LOCALHOST:8080' "$U/e2e-found")"

say "previews and cloaking"
FB='facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'
before=$(clicks e2e-card)
check "a link-preview fetcher gets 200" 200 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -A "$FB" -H 'Host: localhost' "$U/e2e-card")"
card=$(curl -s -m 10 -A "$FB" -H 'Host: localhost' "$U/e2e-card")
check "… with Open Graph tags, escaped" 1 "$(grep -c 'property="og:title" content="Spring &lt;sale&gt;"' <<<"$card")"
check "… and a Twitter card" 1 "$(grep -c 'name="twitter:card" content="summary_large_image"' <<<"$card")"
check "… linking to the destination" 1 "$(grep -c '<a href="https://example.com/sale">' <<<"$card")"
check "a preview is never a counted click" "$before" "$(clicks e2e-card)"
check "a person on the same link is redirected" 302 "$(status "$U/e2e-card")"
check "a cloaked link: 200" 200 "$(status "$U/e2e-cloak")"
check "… framing the destination under its title" 2 "$(get "$U/e2e-cloak" | grep -cE '<title>Framed</title>|<iframe src="https://example.com/framed"')"

say "HEAD counts nothing"
before=$(clicks e2e-found)
check "HEAD: the same status" 302 "$(status -I "$U/e2e-found")"
check "HEAD: the same Location" "https://example.com/found?x=1" "$(header location -I "$U/e2e-found")"
check "HEAD counted no click" "$before" "$(clicks e2e-found)"

say "QR codes: GET /{code}/qr, counting nothing"
qrdir=$(mktemp -d)
# decode FILE: the text zbar reads in the image (an SVG rasterised by librsvg first).
decode() {
    local file=$1
    case $file in *.svg) rsvg-convert -o "$file.png" "$file"; file=$file.png ;; esac
    zbarimg -q --raw "$file" 2>/dev/null | tr -d '\n'
}
png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$1"; }
before=$(clicks e2e-found)
check "GET /code/qr: 200" 200 "$(status "$U/e2e-found/qr")"
check "… an SVG by default" "image/svg+xml" "$(header content-type "$U/e2e-found/qr")"
get -o "$qrdir/found.svg" "$U/e2e-found/qr"
check "… that zbar reads as the short URL" "https://localhost/e2e-found" "$(decode "$qrdir/found.svg")"
check "… byte for byte shortlink.qr_svg(code)" "$(psql -c "SELECT md5(shortlink.qr_svg('e2e-found'))")" \
    "$(md5sum <"$qrdir/found.svg" | cut -d' ' -f1)"
check "format=png: a PNG" "image/png" "$(header content-type "$U/e2e-found/qr?format=png")"
get -o "$qrdir/found.png" "$U/e2e-found/qr?format=png&size=256&margin=2&ecc=H"
check "… of the size asked, that zbar reads as the short URL" "256 256|https://localhost/e2e-found" \
    "$(png_size "$qrdir/found.png")|$(decode "$qrdir/found.png")"
check "cached publicly for a day" "public, max-age=86400" "$(header cache-control "$U/e2e-found/qr")"
etag=$(header etag "$U/e2e-found/qr")
check "an ETag, the same on every request" "$etag" "$(header etag "$U/e2e-found/qr")"
check "… another one for other parameters" 1 "$([ -n "$etag" ] && [ "$etag" != "$(header etag "$U/e2e-found/qr?ecc=H")" ] && echo 1 || echo 0)"
check "If-None-Match with it: 304" 304 "$(status -H "If-None-Match: $etag" "$U/e2e-found/qr")"
check "… with no body" 0 "$(get -H "If-None-Match: $etag" -o /dev/null -w '%{size_download}' "$U/e2e-found/qr")"
check "… and the ETag and Cache-Control" "$etag|public, max-age=86400" \
    "$(header etag -H "If-None-Match: $etag" "$U/e2e-found/qr")|$(header cache-control -H "If-None-Match: $etag" "$U/e2e-found/qr")"
check "If-None-Match with another tag: 200" 200 "$(status -H 'If-None-Match: "qr-other"' "$U/e2e-found/qr")"
check "HEAD: 200, an SVG" "200|image/svg+xml" "$(status -I "$U/e2e-found/qr")|$(header content-type -I "$U/e2e-found/qr")"
check "QR codes counted no click" "$before" "$(clicks e2e-found)"
for code in e2e-off e2e-old e2e-vault e2e-once; do
    get -o "$qrdir/$code.png" "$U/$code/qr?format=png"
    check "a $code link has one too (its address, not its destination)" "https://localhost/$code" "$(decode "$qrdir/$code.png")"
done
check "unknown code: 404" 404 "$(status "$U/e2e-nope/qr")"
check "… the 404 page" "text/html; charset=utf-8" "$(header content-type "$U/e2e-nope/qr")"
check "a size out of range: 400" 400 "$(status "$U/e2e-found/qr?size=10")"
check "… saying why" 'invalid QR parameter "size": must be an integer from 64 to 2048, not "10"' "$(get "$U/e2e-found/qr?size=10")"
check "an unknown format: 400" 400 "$(status "$U/e2e-found/qr?format=gif")"
check "an unknown ecc: 400" 400 "$(status "$U/e2e-found/qr?ecc=X")"
check "a margin out of range: 400" 400 "$(status "$U/e2e-found/qr?margin=99")"
check "an unknown parameter: 400" 400 "$(status "$U/e2e-found/qr?colour=red")"
check "/metrics counts the QR codes drawn" 1 \
    "$(curl -s -m 5 "http://$ADMIN/metrics" | grep -c '^shortlink_qr_codes_total{format="png"}')"
rm -rf "$qrdir"

say "passwords"
check "protected link: 401" 401 "$(status "$U/e2e-vault")"
check "401 is the password form" 1 "$(get "$U/e2e-vault" | grep -c 'name="password"')"
check "wrong password: 401 again" 401 "$(status -d password=nope "$U/e2e-vault")"
check "wrong password says so" 1 "$(get -d password=nope "$U/e2e-vault" | grep -c 'Wrong password')"
check "right password: 302" 302 "$(status --data-urlencode 'password=open sesame' "$U/e2e-vault")"
for _ in $(seq 10); do get -o /dev/null -d password=nope "$U/e2e-vault"; done
check "more than 10 attempts a minute: 429" 429 "$(status -d password=nope "$U/e2e-vault")"
check "429 says when to retry" 1 "$([ -n "$(header retry-after -d password=nope "$U/e2e-vault")" ] && echo 1 || echo 0)"

say "client address and country"
get -o /dev/null -H 'X-Forwarded-For: 1.2.3.4, 198.51.100.23' -H 'CF-IPCountry: de' "$U/e2e-found"
check "a trusted proxy's X-Forwarded-For gives the client (anonymised /24), its country header the country" \
    "198.51.100.0|DE" "$(psql -c "SELECT host(e.ip) || '|' || e.country FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'e2e-found' ORDER BY e.id DESC LIMIT 1")"

say "counted clicks equal redirects answered, 400 requests from 16 connections"
before=$(clicks e2e-load)
answered=$(seq 400 | xargs -P 16 -I{} curl -s -m 10 -o /dev/null -w '%{http_code}\n' -A "$BROWSER" -H 'Host: localhost' "$U/e2e-load" | grep -c '^302$' || true)
check "400 redirects answered" 400 "$answered"
check "400 clicks counted" "$((before + 400))" "$(clicks e2e-load)"

say "a click the database refuses fails alone: the others of its batch count once"
psql >/dev/null <<'SQL'
SELECT FROM shortlink.shorten('https://example.com/boom', '{"code": "e2e-boom"}');
CREATE FUNCTION public.e2e_boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.link_id = (SELECT id FROM shortlink.links WHERE code = 'e2e-boom') THEN
        RAISE EXCEPTION 'e2e: refused';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER e2e_boom BEFORE INSERT ON shortlink.click_log
    FOR EACH ROW EXECUTE FUNCTION public.e2e_boom();
SQL
before=$(clicks e2e-load)
codes=$(for i in $(seq 200); do [ $((i % 4)) = 0 ] && echo e2e-boom || echo e2e-load; done)
answers=$(xargs -P 32 -I{} curl -s -m 10 -o /dev/null -w '{} %{http_code}\n' -A "$BROWSER" -H 'Host: localhost' "$U/{}" <<<"$codes")
check "150 good clicks among refused ones: 302" 150 "$(grep -c '^e2e-load 302$' <<<"$answers" || true)"
check "50 refused clicks: 503" 50 "$(grep -c '^e2e-boom 503$' <<<"$answers" || true)"
check "the log gives the refusal's SQLSTATE and message" 1 \
    "$(grep -q 'database unavailable sqlstate="P0001" error=e2e: refused' "$log" && echo 1 || echo 0)"
check "the good clicks counted once each" "$((before + 150))" "$(clicks e2e-load)"
psql -c "DROP TRIGGER e2e_boom ON shortlink.click_log; DROP FUNCTION public.e2e_boom()"
metrics=$(curl -s -m 5 "http://$ADMIN/metrics")
check "/metrics has the click batch sizes" 1 "$(grep -c '^shortlink_click_batch_size_bucket{le="64"}' <<<"$metrics")"
check "/metrics has the open redirect connections" 1 "$(grep -c '^shortlink_redirect_connections{state="open"}' <<<"$metrics")"

say "operations"
check "/healthz" 200 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$ADMIN/healthz")"
check "/readyz with the database up" 200 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$ADMIN/readyz")"
metrics=$(curl -s -m 5 "http://$ADMIN/metrics")
check "/metrics counts requests by status" 1 "$(grep -c '^shortlink_http_requests_total{status="302"}' <<<"$metrics")"
check "/metrics: every metric has a HELP line" "" \
    "$(comm -3 <(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' <<<"$metrics" | sort) <(sed -n 's/^# HELP \([^ ]*\) .*/\1/p' <<<"$metrics" | sort))"
check "/metrics: HELP says what a metric counts" 1 "$(grep -c '^# HELP shortlink_http_requests_total Requests answered' <<<"$metrics")"
VERSION=$(cargo pkgid -q -p shortlink-server | sed "s/.*[@#]//")
check "/metrics: shortlink_build_info names the version" 1 "$(grep -cx "shortlink_build_info{version=\"$VERSION\"} 1" <<<"$metrics")"
check "/metrics has the latency histogram" 1 "$(grep -c '^shortlink_http_request_duration_seconds_bucket{le="0.005"}' <<<"$metrics")"
check "/metrics has the pool's connections" 1 "$(grep -c '^shortlink_db_pool_connections{state="idle"}' <<<"$metrics")"

say "webhooks: every event once by webhook-id, signed, across retries and a kill -9"
# The receiver answers each request after 1 s, and 503 to the first 5 (retried after
# the schedule's first wait, 5 s ± 25%).
python3 tests/server/receiver.py "$HOOK_PORT" "$hooks" "$SECRET" --delay 1 --fail-first 5 &
receiver=$!
for _ in $(seq 50); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$HOOK_PORT/" && break; sleep 0.1; done
psql >/dev/null <<SQL
SET shortlink.allow_private_destinations = on;
SELECT FROM shortlink.shorten('https://example.com/hooked',
    '{"code": "e2e-hook", "webhook_urls": ["http://127.0.0.1:$HOOK_PORT/hook"]}');
SQL
N=30
seq $N | xargs -P 8 -I{} curl -s -m 10 -o /dev/null -A "$BROWSER" -H 'Host: localhost' "$U/e2e-hook"
# Kill it while deliveries are in flight: the receiver has taken some and not answered.
for _ in $(seq 50); do [ -s "$hooks" ] && break; sleep 0.1; done
sleep 0.3
kill -9 "$server"; wait "$server" 2>/dev/null || true
check "the receiver got requests before the kill" 1 "$([ -s "$hooks" ] && echo 1 || echo 0)"
start_server
pending=-1
for _ in $(seq 90); do
    pending=$(psql -c "SELECT count(*) FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-hook' AND d.state = 'pending'")
    [ "$pending" = 0 ] && break; sleep 0.5
done
check "no delivery left pending" 0 "$pending"
check "$N events delivered" "$N" "$(psql -c "SELECT count(*) FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-hook' AND d.state = 'delivered'")"
check "the receiver saw each of the $N events by webhook-id" "$N" "$(awk '$3 == 200 {print $1}' "$hooks" | sort -u | wc -l)"
check "every signature verified" 0 "$(awk '$2 != 1' "$hooks" | wc -l)"
check "the 503 answers were retried" 5 "$(awk '$3 == 503' "$hooks" | wc -l)"
echo "     receiver log: $(wc -l <"$hooks") requests for $N events ($(awk '{print $1}' "$hooks" | sort | uniq -d | wc -l) ids more than once: retries and the kill)"
metrics=$(curl -s -m 5 "http://$ADMIN/metrics")
check "/metrics reports the outbox backlog" 1 "$(grep -c '^shortlink_outbox_pending_deliveries ' <<<"$metrics")"

say "the database goes away and comes back"
# Clicks whose webhooks are in flight when the database stops: delivered after it is back.
K=10
seq $K | xargs -P 4 -I{} curl -s -m 10 -o /dev/null -A "$BROWSER" -H 'Host: localhost' "$U/e2e-hook"
sleep 0.3
stop_cluster "$DIR"
check "database down: 503, never a wrong 404" 503 "$(status "$U/e2e-found")"
check "503 says when to retry" 5 "$(header retry-after "$U/e2e-found")"
check "/readyz with the database down" 503 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$ADMIN/readyz")"
check "… saying so" "database unreachable" "$(curl -s -m 10 "http://$ADMIN/readyz" | cut -d: -f1)"
start_cluster "$DIR" "$PORT"
recovered=000
for _ in $(seq 30); do
    recovered=$(status "$U/e2e-found"); [ "$recovered" = 302 ] && break; sleep 0.5
done
check "the pool reconnects by itself: 302 again" 302 "$recovered"
for _ in $(seq 90); do
    pending=$(psql -c "SELECT count(*) FROM shortlink.deliveries WHERE state = 'pending'")
    [ "$pending" = 0 ] && break; sleep 0.5
done
check "webhooks in flight across the database restart: none left pending" 0 "$pending"
check "the receiver saw each of the $((N + K)) events by webhook-id" "$((N + K))" "$(awk '$3 == 200 {print $1}' "$hooks" | sort -u | wc -l)"

say "SIGTERM: stop accepting, finish, exit"
kill -TERM "$server"
code=0; for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
wait "$server" || code=$?
server=
check "the server exits 0 on SIGTERM" 0 "$code"
check "it logged its stop" 1 "$(grep -cE 'shortlink_server[^ ]*: stopped$' "$log")"

say "without --allow-private-webhooks a loopback target is refused, never contacted"
before=$(wc -l <"$hooks")
psql -c "SELECT status FROM shortlink.record_click('e2e-hook', user_agent => '$BROWSER')" >/dev/null
"$BIN" --database-url "host=$DIR port=$PORT user=sl_e2e_edge dbname=$DB" --no-redirects \
    --admin-listen "$ADMIN" --webhook-secret "$SECRET" --dispatch-poll-seconds 1 >>"$log" 2>&1 &
server=$!
state=
for _ in $(seq 40); do
    state=$(psql -c "SELECT d.state || '|' || d.last_error FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-hook' AND d.state <> 'delivered'")
    [ -n "$state" ] && break; sleep 0.25
done
check "the delivery is dead at once, naming the rule" \
    "dead|target refused: host 127.0.0.1 is a loopback address" "$state"
check "the receiver got nothing" "$before" "$(wc -l <"$hooks")"
kill -TERM "$server"; wait "$server" || true; server=

# A second server on EXTRA_LISTEN / EXTRA_ADMIN, logging to $xlog: xstart ROLE [FLAGS...].
# xstart ROLE [FLAG…]: the second server as ROLE on the test database;
# xstart_url DATABASE_URL [FLAG…]: the same against any connection string.
xstart() {
    local role=$1; shift
    xstart_url "host=$DIR port=$PORT user=$role dbname=$DB" "$@"
}
xstart_url() {
    local url=$1; shift
    : >"$xlog"
    "$BIN" --database-url "$url" --listen "$EXTRA_LISTEN" --admin-listen "$EXTRA_ADMIN" "$@" >>"$xlog" 2>&1 &
    xserver=$!
    for _ in $(seq 50); do curl -s -m 1 "http://$EXTRA_ADMIN/healthz" >/dev/null && break; sleep 0.2; done
}
xstop() {
    kill -TERM "$xserver" 2>/dev/null || true
    wait "$xserver" 2>/dev/null || true
    xserver=
}
xready() { curl -s -m 10 -w '|%{http_code}' "http://$EXTRA_ADMIN/readyz" | tr -d '\n'; }
X=http://$EXTRA_LISTEN

say "RUST_LOG=trace: no password, webhook secret, salt or full client address in any line"
python3 tests/server/receiver.py "$HOOK_OK_PORT" "$xhooks" "$SECRET" &
xreceivers="$xreceivers $!"
python3 tests/server/receiver.py "$HOOK_503_PORT" /dev/null "$SECRET" --fail-first 1000000 &
xreceivers="$xreceivers $!"
for p in "$HOOK_OK_PORT" "$HOOK_503_PORT"; do
    for _ in $(seq 50); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done
GOOD_PASSWORD=e2e-trace-pass-5581 BAD_PASSWORD=e2e-wrong-pass-3318 CLIENT=203.0.113.77
psql >/dev/null <<SQL
SET shortlink.allow_private_destinations = on;
SELECT FROM shortlink.shorten('https://example.com/t', '{"code": "e2e-trace-vault", "password": "$GOOD_PASSWORD"}');
SELECT FROM shortlink.shorten('https://example.com/t', '{"code": "e2e-trace-hook", "webhook_urls": ["http://127.0.0.1:$HOOK_OK_PORT/hook"]}');
SELECT FROM shortlink.shorten('https://example.com/t', '{"code": "e2e-hook-dns", "webhook_urls": ["https://nonexistent.invalid/hook"]}');
SELECT FROM shortlink.shorten('https://example.com/t', '{"code": "e2e-hook-503", "webhook_urls": ["http://127.0.0.1:$HOOK_503_PORT/hook"]}');
SELECT FROM shortlink.shorten('https://example.com/t', '{"code": "e2e-hook-refused", "webhook_urls": ["http://127.0.0.1:9/hook"]}');
SQL
RUST_LOG=trace xstart sl_e2e_edge --trusted-proxies 127.0.0.1/32 --webhook-secret "$SECRET" \
    --allow-private-webhooks --dispatch-poll-seconds 1
xget() { curl -s -m 10 -A "$BROWSER" -H 'Host: localhost' -H "X-Forwarded-For: $CLIENT" "$@"; }
check "trace run: a wrong password is refused" 401 "$(xget -o /dev/null -w '%{http_code}' -d "password=$BAD_PASSWORD" "$X/e2e-trace-vault")"
check "trace run: the right password redirects" 302 "$(xget -o /dev/null -w '%{http_code}' -d "password=$GOOD_PASSWORD" "$X/e2e-trace-vault")"
for code in e2e-trace-hook e2e-hook-dns e2e-hook-503 e2e-hook-refused; do
    check "trace run: $code redirects" 302 "$(xget -o /dev/null -w '%{http_code}' "$X/$code")"
done
last_error() { # last_error CODE: the last_error of the link's delivery once it has one
    local e=
    for _ in $(seq 60); do
        e=$(psql -c "SELECT d.last_error FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = '$1' AND d.last_error IS NOT NULL LIMIT 1")
        [ -n "$e" ] && break; sleep 0.25
    done
    echo "$e"
}
delivered=0
for _ in $(seq 60); do
    delivered=$(psql -c "SELECT count(*) FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-trace-hook' AND d.state = 'delivered'")
    [ "$delivered" = 1 ] && break; sleep 0.25
done
check "trace run: the webhook was delivered, signed" "1|1" "$delivered|$(awk '$3 == 200 {print $2}' "$xhooks" | head -1)"

say "webhook failures say what failed: dns, connect, status"
check "a name that does not resolve: dns" "dns: nonexistent.invalid:" "$(last_error e2e-hook-dns | cut -d' ' -f1-2)"
check "a receiver answering 503: status 503" "status 503: Service Unavailable" "$(last_error e2e-hook-503)"
check "nothing listening: connect" "connect: Connection refused" "$(last_error e2e-hook-refused | cut -d' ' -f1-3)"
check "the log says it too" 1 "$(grep -q 'webhook attempt failed.*error=dns: nonexistent.invalid' "$xlog" && echo 1 || echo 0)"
xstop
SALT=$(psql -c "SELECT value FROM shortlink.secrets WHERE name = 'visitor_salt'")
check "trace run: the access log has the client anonymised" 1 \
    "$(grep -q "shortlink::access: request method=\"POST\" host=\"localhost\" path=\"/e2e-trace-vault\" status=302 outcome=\"ok\" latency_ms=[0-9.]* client=203.0.113.0$" "$xlog" && echo 1 || echo 0)"
check "trace run: the wrong password's outcome" 1 "$(grep -c 'status=401 outcome="wrong_password"' "$xlog")"
for secret in "$GOOD_PASSWORD" "$BAD_PASSWORD" "$SECRET" "$SALT" "$CLIENT"; do
    check "trace run: the log never has ${secret:0:12}…" 0 "$(grep -cF -- "$secret" "$xlog" || true)"
done
check "trace run: the salt was read, so its check means something" 1 "$([ ${#SALT} -gt 20 ] && echo 1 || echo 0)"

say "a burst of hooked clicks: every event delivered, none left for the poll"
# The database wakes the dispatcher once per 50 ms for all the events of that window (the
# extension's wake gate); the dispatcher's round 100 ms after each wake-up finds the events
# that committed after the one that notified. With a poll of an hour, an event left to the
# poll would not arrive. (The debug build delivers about 50 events a second to this
# receiver: 15 s is room for that, not a latency bound.)
psql -c "SET shortlink.allow_private_destinations = on" -c "SELECT FROM shortlink.shorten('https://example.com/t', '{\"code\": \"e2e-burst-hook\", \"webhook_urls\": [\"http://127.0.0.1:$HOOK_OK_PORT/burst\"]}')" >/dev/null
xstart sl_e2e_edge --webhook-secret "$SECRET" --allow-private-webhooks --dispatch-poll-seconds 3600
clickers=
for _ in $(seq 8); do
    (for _ in $(seq 25); do psql -c "SELECT status FROM shortlink.record_click('e2e-burst-hook')" >/dev/null; done) &
    clickers="$clickers $!"
done
# shellcheck disable=SC2086
wait $clickers
burst_delivered=0
for _ in $(seq 150); do
    burst_delivered=$(psql -c "SELECT count(*) FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-burst-hook' AND d.state = 'delivered'")
    [ "$burst_delivered" = 200 ] && break; sleep 0.1
done
check "200 hooked clicks from 8 connections: none left for the poll an hour away" 200 "$burst_delivered"
check "… each once, signed" 200 "$(grep -F -f <(psql -c "SELECT 'msg_' || o.id || '_' FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'e2e-burst-hook'") "$xhooks" | grep -c ' 1 200$')"
xstop

say "--log-format json: every line one JSON object; access lines carry their fields"
xstart sl_e2e_edge --log-format json --no-dispatcher --trusted-proxies 127.0.0.1/32
get -o /dev/null -H "X-Forwarded-For: $CLIENT" "$X/e2e-found"
get -o /dev/null "$X/e2e-nope"
get -o /dev/null "$X/no/such/path"
xstop
check "json: every line parses" "0 bad of more than 3" "$(python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
bad = 0
for l in lines:
    try:
        assert isinstance(json.loads(l), dict)
    except Exception:
        bad += 1
print(bad, "bad of", "more than 3" if len(lines) > 3 else len(lines))' "$xlog")"
check "json: an access line has its fields" "GET localhost /e2e-found 302 ok 203.0.113.0 float timestamp" "$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("target") == "shortlink::access" and e.get("path") == "/e2e-found":
        print(e["method"], e["host"], e["path"], e["status"], e["outcome"], e["client"],
              type(e["latency_ms"]).__name__, "timestamp" if "timestamp" in e else "")
        break' "$xlog")"
check "json: the outcome of a code no link has" "not_found" "$(python3 -c '
import json, sys
print(*[e["outcome"] for e in map(json.loads, open(sys.argv[1])) if e.get("path") == "/e2e-nope"])' "$xlog")"
EXTVERSION=$(psql -c "SELECT extversion FROM pg_extension WHERE extname = 'shortlink'")
check "json: startup says what it found" "$DB sl_e2e_edge $EXTVERSION off" "$(python3 -c '
import json, sys
print(*[" ".join([e["database"], e["role"], e["extension"], e["dispatcher"]]) for e in map(json.loads, open(sys.argv[1])) if e.get("message") == "shortlink-server started"])' "$xlog")"

say "/readyz: 200 only with the grants this server needs, else 503 naming what to run"
psql >/dev/null <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl_e2e_bare') THEN
        CREATE ROLE sl_e2e_bare LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl_e2e_redirect_only') THEN
        CREATE ROLE sl_e2e_redirect_only LOGIN;
    END IF;
END $$;
SELECT shortlink.grant_redirect('sl_e2e_redirect_only');
SQL
xstart sl_e2e_bare --no-dispatcher
check "a role without grants: 503 naming grant_redirect" \
    "role \"sl_e2e_bare\" lacks USAGE on schema shortlink: run SELECT shortlink.grant_redirect('sl_e2e_bare')|503" "$(xready)"
sleep 2.2 # past the check's cache: probes check again, the log says it once
xready >/dev/null; xready >/dev/null
check "… said in the log once, not per probe" 1 "$(grep -c 'not ready reason=role "sl_e2e_bare"' "$xlog")"
xstop
xstart sl_e2e_redirect_only --no-dispatcher
check "grant_redirect and --no-dispatcher: 200" "ready|200" "$(xready)"
xstop
xstart sl_e2e_redirect_only --webhook-secret "$SECRET"
check "grant_redirect only, with the dispatcher: 503 naming grant_dispatcher" 1 \
    "$(xready | grep -c "lacks EXECUTE on shortlink.claim_deliveries(integer, interval), .*: run SELECT shortlink.grant_dispatcher('sl_e2e_redirect_only')|503$")"
xstop
xstart sl_e2e_ghost --no-dispatcher
check "a role that does not exist: 503 saying so" \
    "the database refused the connection: role \"sl_e2e_ghost\" does not exist (SQLSTATE 28000)|503" "$(xready)"
xstop
xstart_url "host=$DIR port=$PORT user=sl_e2e_edge dbname=postgres" --no-dispatcher
check "a database without the extension: 503 saying so" \
    "the shortlink extension is not installed in database \"postgres\": run CREATE EXTENSION shortlink|503" "$(xready)"
xstop
xstart_url "host=$DIR port=$((PORT + 1)) user=sl_e2e_edge dbname=$DB" --no-dispatcher
check "no database at start: the server runs (/healthz 200)" 200 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$EXTRA_ADMIN/healthz")"
check "… /readyz 503: database unreachable" "database unreachable|503" "$(xready | sed 's/:.*|/|/')"
check "… and the log says so at start" 1 "$(grep -c 'the database cannot be used at start' "$xlog")"
xstop
psql -c "DROP OWNED BY sl_e2e_redirect_only; DROP ROLE sl_e2e_redirect_only; DROP ROLE sl_e2e_bare" >/dev/null

psql -c "SELECT shortlink.delete_link(code) FROM shortlink.links WHERE code LIKE 'e2e-%'" >/dev/null
echo "server end-to-end: $passed passed, $failed failed"
[ "$failed" = 0 ] || { echo "server log:"; cat "$log"; exit 1; }
