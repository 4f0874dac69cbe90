#!/usr/bin/env bash
# How long the dashboard's pages take on the server for a large workspace: LINKS links
# (default 10^6) and EVENTS click events (default 10^7) over the past 90 days, rolled up by
# maintain(), in a database of its own on the demo cluster; shortlink-server's release
# build on loopback, signed in as the workspace's owner. Each page is asked ROUNDS times
# (curl, one connection each); the median time to the last byte is printed against the
# target of 200 ms (issue 33). Needs the demo cluster and release build of scripts/setup.
#   bench/dashboard.sh [LINKS] [EVENTS] [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
LINKS=${1:-1000000} EVENTS=${2:-10000000} ROUNDS=${3:-5}
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink_dashboard_bench
API=127.0.0.1:18380 LISTEN=127.0.0.1:18381 ADMIN=127.0.0.1:18382
BIN=$ROOT/target/release/shortlink-server
TARGET_MS=200
[ -S "$DIR/.s.PGSQL.$PORT" ] && [ -x "$BIN" ] || { echo "run scripts/setup first" >&2; exit 1; }
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }

loaded=$(psql -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")
if [ "$loaded" = 1 ] && [ "$(psql -d "$DB" -c "SELECT count(*) = $LINKS + 1 FROM shortlink.links")" = t ]; then
    say "reusing $DB ($LINKS links)"
else
    say "loading $LINKS links and $EVENTS events into $DB (set-wise; once)"
    psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    psql -d "$DB" -v links="$LINKS" -v events="$EVENTS" <<'SQL'
\timing on
CREATE EXTENSION shortlink;
SELECT FROM shortlink.add_domain('go.bench.test');
INSERT INTO shortlink.links (domain, code, url, tags, created_at)
SELECT 'go.bench.test', 'b' || g, 'https://example.com/page/' || g,
       CASE WHEN g % 100 = 0 THEN ARRAY['campaign-' || (g / 100) % 10] ELSE '{}' END,
       now() - (g || ' seconds')::interval
FROM generate_series(1, :links) g;
SELECT FROM shortlink.shorten('https://example.com/hot', '{"code": "hot", "domain": "go.bench.test", "tags": ["hot"]}');
-- Day partitions first (one click a day), then the events from scratch in one transaction.
INSERT INTO shortlink.click_events (link_id, clicked_at)
SELECT shortlink.link_id('hot', 'go.bench.test'), d
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '91 days', now(), interval '1 day') d;
SELECT shortlink.maintain() ->> 'partitions_created' AS partitions_created;
BEGIN;
TRUNCATE shortlink.click_events, shortlink.click_rollups, shortlink.rollup_state;
-- A tenth of the events on the hot link, the rest on links b1 .. b10000.
INSERT INTO shortlink.click_events (link_id, clicked_at, visitor_hash, device, os, browser,
                                    country, referer_host, is_bot, bot)
SELECT CASE WHEN g % 10 = 0 THEN h.id ELSE 1 + g % 10000 END,
       now() - random() * interval '90 days',
       md5((g % 5000)::text),
       (ARRAY['mobile', 'desktop', 'tablet'])[1 + g % 3],
       (ARRAY['iOS', 'Android', 'Windows', 'macOS'])[1 + g % 4],
       (ARRAY['Safari', 'Chrome', 'Firefox', 'Edge'])[1 + g % 4],
       (ARRAY['IN', 'DE', 'US', 'BR', 'GB', 'FR'])[1 + g % 6],
       (ARRAY[NULL, 'mail.example', 'sms.example'])[1 + g % 3],
       g % 50 = 0, CASE WHEN g % 50 = 0 THEN 'Probe' END
FROM generate_series(1, :events) g, (SELECT shortlink.link_id('hot', 'go.bench.test') AS id) h;
COMMIT;
SET work_mem = '1GB';
SELECT shortlink.maintain() - 'rolled_up_to' AS maintain;
VACUUM ANALYZE;
SQL
fi
PASSWORD=bench-owner-$RANDOM$RANDOM
psql -d "$DB" >/dev/null <<SQL
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shortlink_edge') THEN CREATE ROLE shortlink_edge LOGIN; END IF;
END \$\$;
SELECT shortlink.grant_api('shortlink_edge');
SELECT shortlink.add_user('owner@bench.test', '$PASSWORD', 'default', 'owner');
SQL
HOT=$(psql -d "$DB" -c "SELECT shortlink.link_id('hot', 'go.bench.test')")
PLAIN=$(psql -d "$DB" -c "SELECT shortlink.link_id('b$((LINKS / 2))', 'go.bench.test')")

work=$(mktemp -d)
trap 'kill $(cat "$work"/server.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
"$BIN" --database-url "host=$DIR port=$PORT user=shortlink_edge dbname=$DB" --no-dispatcher \
    --api-listen "$API" --listen "$LISTEN" --admin-listen "$ADMIN" >"$work/server.log" 2>&1 &
echo $! >"$work/server.pid"
for _ in $(seq 50); do curl -s -m 1 -o /dev/null "http://$ADMIN/readyz" && break; sleep 0.2; done
jar=$work/cookies
curl -s -c "$jar" -o "$work/login.html" "http://$API/login"
token=$(sed -n 's/.*name="form_token" value="\([^"]*\)".*/\1/p' "$work/login.html")
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "form_token=$token" \
    --data-urlencode "email=owner@bench.test" --data-urlencode "password=$PASSWORD" "http://$API/login"

# median PATH: the median of ROUNDS times (ms) to the last byte, after one warm-up; a page
# slower than LIMIT seconds once is "over LIMIT s" (and not asked again).
LIMIT=20
median() {
    local path=$1 status
    status=$(curl -s -m "$LIMIT" -b "$jar" -o /dev/null -w '%{http_code}' "http://$API$path" || true)
    [ "$status" = 200 ] || { echo "over ${LIMIT}s or $status"; return; }
    for _ in $(seq "$ROUNDS"); do
        curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' "http://$API$path"
    done | sort -n | awk '{t[NR] = $1 * 1000} END {printf "%.0f", t[int((NR + 1) / 2)]}'
}

say "page times: $LINKS links, $EVENTS events; release build; median of $ROUNDS; $(nproc) cores; $(date -u +%F)"
printf '%-44s %10s %8s %s\n' "page" "median ms" "target" "met"
for path in "/links" "/links?sort=clicks" "/links?q=b12345" "/links?tag=campaign-3" \
            "/links/$PLAIN" "/links/$HOT?range=7d" "/links/$HOT?range=90d&compare=1" \
            "/analytics?range=7d" "/analytics?range=30d&tag=hot" "/keys" "/members" "/domains"; do
    ms=$(median "$path")
    met=no
    [[ "$ms" =~ ^[0-9]+$ ]] && [ "$ms" -le "$TARGET_MS" ] && met=yes
    printf '%-44s %10s %8s %s\n' "$path" "$ms" "$TARGET_MS" "$met"
done
