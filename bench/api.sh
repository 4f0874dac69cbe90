#!/usr/bin/env bash
# Benchmarks the HTTP API of shortlink-server (release) on loopback, against the SQL it
# wraps, on the demo cluster and release build of scripts/setup (issue 31):
#   1. links created one per request (POST /api/v1/links, wrk, 8 keep-alive connections)
#      against shorten() over pgbench (8 clients, -M prepared): requests/s, target >= 0.5;
#   2. 10^5 links in bulk requests of 1,000 (POST /api/v1/links/bulk, 4 connections)
#      against shorten_many() over psql with the same items in the same batches (4
#      sessions): links/s, target >= 0.5;
#   3. the latency of GET /api/v1/analytics (countries, timeseries) of one link with 10^7
#      click events, rolled up by maintain(): p50 and p99, target p99 <= 100 ms;
#   4. the server's memory (VmRSS before, VmHWM after) while it exports those events as CSV.
# Legs 1 and 2 alternate round after round, on a database made afresh for the run
# (shortlink_api_bench, 10^5 links); each figure is the median of the rounds and each
# ratio the median of the rounds' quotients. Legs 3 and 4 read shortlink_api_events,
# whose 10^7 events are loaded once (a few minutes) and kept for the next runs
# (SHORTLINK_BENCH_API_RELOAD=1 loads them again). Each part runs its own server
# (--no-redirects --no-dispatcher) on 127.0.0.1:18380, with a key made for the bench
# (rate_limit 10^8 a minute). Bounded: every leg by time or count.
#   bench/api.sh [SECONDS_PER_RUN] [ROUNDS]   (ROUNDS 0: legs 3 and 4 alone)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
SECS=${1:-5} ROUNDS=${2:-5}
EVENTS=${SHORTLINK_BENCH_API_EVENTS:-10000000} LAT_SECS=${SHORTLINK_BENCH_API_LATENCY_SECONDS:-10}
BULK_ITEMS=100000 BATCH=1000 BULK_CONNS=4 CONNS=8
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink_api_bench EVENTS_DB=shortlink_api_events
API=127.0.0.1:${SHORTLINK_BENCH_API_PORT:-18380} ADMIN=127.0.0.1:${SHORTLINK_BENCH_API_ADMIN_PORT:-18390}
BIN=$ROOT/target/release/shortlink-server
[ -S "$DIR/.s.PGSQL.$PORT" ] && [ -x "$BIN" ] || { echo "run scripts/setup first" >&2; exit 1; }
lib=$("$PG_CONFIG" --pkglibdir)/shortlink.so
if readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "the installed $lib is a debug build (scripts/test installs one); run scripts/setup first" >&2
    exit 1
fi
dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q 'install ok installed' \
    || { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }

work=$(mktemp -d)
server_pid=
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}
trap 'stop_server; rm -rf "$work"' EXIT
# start_server DB: a release server answering only the API, as shortlink_edge (grant_api).
start_server() {
    "$BIN" --database-url "host=$DIR port=$PORT user=shortlink_edge dbname=$1" --no-redirects \
        --no-dispatcher --api-listen "$API" --admin-listen "$ADMIN" >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -s -m 1 -o /dev/null "http://$API/api/v1/openapi.json" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "shortlink-server did not start; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
}
# bench_key DB: a key of workspace "default" for the bench alone, allowed 10^8 requests a
# minute (the default of 600 would refuse most of the legs' requests); earlier ones revoked.
bench_key() {
    psql -d "$1" >/dev/null <<'SQL'
SELECT shortlink.revoke_api_key(id) FROM shortlink.api_keys WHERE name = 'bench/api.sh' AND revoked_at IS NULL;
SQL
    psql -d "$1" -c "SELECT secret FROM shortlink.create_api_key('default', 'bench/api.sh', '{\"rate_limit\": 100000000}')"
}
# Every database the server reads: its role sees nothing until a request presents a key.
grant_edge() {
    psql -d "$1" >/dev/null <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shortlink_edge') THEN
        CREATE ROLE shortlink_edge LOGIN;
    END IF;
END $$;
SELECT shortlink.grant_api('shortlink_edge');
SQL
}
median() { sort -g "$1" | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'; }
spread() { sort -g "$1" | awk '{a[NR]=$1} END {printf "%.0f-%.0f", a[1], a[NR]}'; }
paired() { paste "$1" "$2" | awk '{print $1 / $2}' | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r >= t ? "MET" : "NOT met")}'; }
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"

# ---------------------------------------------------------------- legs 1 and 2
if (( ROUNDS > 0 )); then  # ROUNDS 0: legs 3 and 4 alone
say "a fresh $DB: 100,000 links"
psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION shortlink;
SELECT shortlink.maintain();
SELECT count(*) FROM generate_series(1, 100000) g,
    LATERAL shortlink.shorten('https://example.com/page/' || g, jsonb_build_object('code', 'bench' || g));
-- Background work lands on neither leg: autovacuum off for the tables, an untimed VACUUM
-- and CHECKPOINT before each round (as bench/run.sh does).
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname = 'shortlink' LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s SET (autovacuum_enabled = off)', t);
    END LOOP;
END
$$;
VACUUM ANALYZE;
SQL
grant_edge $DB
KEY=$(bench_key $DB)
start_server $DB

# Leg 1: one link per request. Each wrk thread numbers its own URLs.
cat >"$work/create.lua" <<'EOF'
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
local n = 0
function init(args)
    wrk.method = "POST"
    wrk.headers["Authorization"] = "Bearer " .. args[1]
    wrk.headers["Content-Type"] = "application/json"
end
function request()
    n = n + 1
    return wrk.format(nil, "/api/v1/links", nil,
        '{"url": "https://example.com/p/' .. tid .. '-' .. n .. '"}')
end
EOF
printf '%s\n' '\set n random(1, 1000000000)' \
    "SELECT code FROM shortlink.shorten('https://example.com/p/' || :n);" >"$work/shorten.sql"
# wrk's Requests/sec; a non-2xx answer or a socket error stops the run (a figure of
# refusals would mean nothing).
wrk_rps() { # wrk_rps ARGS...
    local out
    out=$(wrk "$@")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "wrk saw failures; its report:" >&2
        echo "$out" >&2
        tail -n 20 "$work/server.log" >&2
        exit 1
    fi
    awk '/Requests\/sec/ {printf "%.0f\n", $2}' <<<"$out"
}
leg_api_one() { wrk_rps -t2 -c$CONNS -d"${SECS}s" -s "$work/create.lua" "http://$API/api/v1/links" -- "$KEY"; }
leg_sql_one() {
    local out
    out=$("$PG_BIN/pgbench" -n -M prepared -h "$DIR" -p "$PORT" -U postgres -c $CONNS -j 2 -T "$SECS" \
        -f "$work/shorten.sql" $DB 2>&1) || { echo "$out" >&2; exit 1; }
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out"
}

# Leg 2: the same 10^5 items in both legs, 100 batches of 1,000, split over 4 connections
# (the HTTP requests) or 4 psql sessions (the SQL statements); each leg timed from its
# first connection to its last answer.
python3 - "$work" $BULK_ITEMS $BATCH $BULK_CONNS <<'EOF'
import json, sys
work, items, batch, conns = sys.argv[1], *map(int, sys.argv[2:])
sql = [open(f"{work}/bulk.{c}.sql", "w") for c in range(conns)]
for b in range(items // batch):
    body = json.dumps([{"url": f"https://example.com/b/{b * batch + i}"} for i in range(batch)])
    with open(f"{work}/bulk.{b:04d}.json", "w") as f:
        f.write(body)
    sql[b % conns].write(f"SELECT count(*) FROM shortlink.shorten_many($j${body}$j$::jsonb);\n")
EOF
cat >"$work/bulk.py" <<'EOF'
# bulk.py HOST:PORT KEY CONNS FILES...: sends each file as one POST /api/v1/links/bulk,
# over CONNS keep-alive connections; prints the seconds from the first connection to the
# last answer and the links the answers report created (status 201).
import http.client, re, sys, threading, time
host, key, conns, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
ITEM_MADE = re.compile(rb'\{"index":[0-9]+,"status":201[,}]')
made, failures = [0] * conns, []
def worker(c):
    conn = http.client.HTTPConnection(host, timeout=120)
    for name in files[c::conns]:
        with open(name, "rb") as f:
            body = f.read()
        try:
            conn.request("POST", "/api/v1/links/bulk", body,
                         {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
            r = conn.getresponse()
            answer = r.read()
        except Exception as e:  # a timeout: no answer within 120 s
            failures.append(f"{name}: {e!r}")
            break
        if r.status != 200:
            failures.append(f"{name}: {r.status} {answer[:500]!r}")
            continue
        # Each item's status read where the server writes it ({"index":N,"status":S,…}),
        # not by parsing the 1,000 links of the answer: the client shares the 2 cores,
        # and Python's JSON parser is not what is measured (psql, in the SQL leg, prints
        # one count).
        made[c] += len(ITEM_MADE.findall(answer))
    conn.close()
started = time.monotonic()
threads = [threading.Thread(target=worker, args=(c,)) for c in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - started
for f in failures: print("failed:", f, file=sys.stderr)
print(f"{elapsed:.4f} {sum(made)}")
sys.exit(1 if failures else 0)
EOF
leg_api_bulk() {
    local out s n
    out=$(python3 "$work/bulk.py" "$API" "$KEY" $BULK_CONNS "$work"/bulk.*.json) \
        || { tail -n 20 "$work/server.log" >&2; exit 1; }
    read -r s n <<<"$out"
    [ "$n" = $BULK_ITEMS ] || { echo "the bulk requests made $n links, not $BULK_ITEMS" >&2; exit 1; }
    awk -v s="$s" -v n="$n" 'BEGIN {printf "%.0f\n", n / s}'
}
leg_sql_bulk() {
    local c t0 t1 n=0 pids=()
    t0=$(date +%s.%N)
    for c in $(seq 0 $((BULK_CONNS - 1))); do
        psql -d $DB -f "$work/bulk.$c.sql" >"$work/bulk.$c.out" &
        pids+=($!)
    done
    for c in "${pids[@]}"; do wait "$c"; done
    t1=$(date +%s.%N)
    n=$(cat "$work"/bulk.[0-9].out | awk '{s += $1} END {print s}')
    [ "$n" = $BULK_ITEMS ] || { echo "shorten_many made $n links, not $BULK_ITEMS" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "%.0f\n", n / (b - a)}'
}
# Every leg starts on the same 100,000 links: the links the previous leg made are deleted
# (untimed), then VACUUM and CHECKPOINT, so that no round measures a larger table than
# another. (When the API read each new link back with get_link(), whose click_totals()
# under a key took 110 ms at 527,473 links, a growing workspace made round 2's bulk
# requests take over 120 s each; links are now read back with link_json, no counts.)
# Leg 1's first request presents the bench key the full way (BEGIN, api_begin, …); the
# server then knows the key, and each creation is one statement, api_shorten.
LAST_ID=$(psql -d $DB -c "SELECT max(id) FROM shortlink.links")
quiet() { psql -d $DB -c "DELETE FROM shortlink.links WHERE id > $LAST_ID" -c "VACUUM shortlink.links" -c "CHECKPOINT" >/dev/null; }

say "legs 1 and 2: $ROUNDS rounds, legs alternating (one per request: ${SECS}s each, $CONNS connections; bulk: $BULK_ITEMS links each)"
for r in $(seq "$ROUNDS"); do
    if (( r % 2 )); then order="api_one sql_one"; else order="sql_one api_one"; fi
    for leg in $order; do quiet; "leg_$leg" >>"$work/$leg"; done
    if (( r % 2 )); then order="api_bulk sql_bulk"; else order="sql_bulk api_bulk"; fi
    for leg in $order; do quiet; "leg_$leg" >>"$work/$leg"; done
    echo "round $r done: $(for l in api_one sql_one api_bulk sql_bulk; do printf '%s %s  ' $l "$(tail -1 "$work/$l")"; done)"
done
stop_server
fi

# ---------------------------------------------------------------- legs 3 and 4
loaded=$(psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$EVENTS_DB'")
[ -z "$loaded" ] || loaded=$(psql -d $EVENTS_DB -c "SELECT events FROM public.api_bench_loaded" 2>/dev/null || true)
if [ "$loaded" != "$EVENTS" ] || [ -n "${SHORTLINK_BENCH_API_RELOAD:-}" ]; then
    say "loading $EVENTS click events of one link over the past year into $EVENTS_DB (once)"
    started=$(date +%s)
    psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $EVENTS_DB" -c "CREATE DATABASE $EVENTS_DB"
    # As bench/large_load.sql: day partitions for the past year first (one click per day,
    # then removed), the events spread uniformly over the year from 1,000 visitors, set-wise,
    # then rolled up by maintain() as the maintenance worker would.
    psql -d $EVENTS_DB -v events="$EVENTS" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION shortlink;
SELECT FROM shortlink.shorten('https://example.com/events', '{"code": "api-bench-events"}');
INSERT INTO shortlink.click_events (link_id, clicked_at)
SELECT shortlink.link_id('api-bench-events'), d
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '366 days', now(), interval '1 day') d;
SELECT 'day partitions: ' || (shortlink.maintain() ->> 'partitions_created');
-- One transaction from TRUNCATE to the last event: the maintenance worker (every minute
-- on the demo cluster) must not run maintain() in between, or it would set rolled_up_to
-- to this hour with no event yet, and the back-dated events inserted after would never be
-- rolled up (the analytics legs of the runs before 2026-12-07 06:30 read one hour).
BEGIN;
TRUNCATE shortlink.click_events, shortlink.click_rollups, shortlink.rollup_state;
INSERT INTO shortlink.click_events (link_id, clicked_at, visitor_hash, location, device, os, browser,
                                    country, referer_host, is_bot, bot)
SELECT y.id,
       now() - random() * interval '365 days',
       md5((g % 1000)::text),
       'https://example.com/events',
       (ARRAY['mobile', 'desktop', 'tablet'])[1 + g % 3],
       (ARRAY['iOS', 'Android', 'Windows', 'macOS'])[1 + g % 4],
       (ARRAY['Safari', 'Chrome', 'Firefox', 'Edge', 'Samsung Internet'])[1 + g % 5],
       (ARRAY['IN', 'DE', 'US', 'BR', 'GB', 'FR'])[1 + g % 6],
       (ARRAY[NULL, 'mail.example', 'sms.example', 'news.example'])[1 + g % 4],
       g % 50 = 0,
       CASE WHEN g % 50 = 0 THEN 'Probe' END
FROM generate_series(1, :events) g,
     (SELECT shortlink.link_id('api-bench-events') AS id) y;
COMMIT;
SET work_mem = '1GB';
SELECT FROM shortlink.maintain();
VACUUM ANALYZE shortlink.click_events;
VACUUM ANALYZE shortlink.click_rollups;
CREATE TABLE public.api_bench_loaded AS SELECT count(*) AS events FROM shortlink.click_events;
SQL
    echo "loaded in $(( $(date +%s) - started )) s"
fi
grant_edge $EVENTS_DB
KEY=$(bench_key $EVENTS_DB)
LINK=$(psql -d $EVENTS_DB -c "SELECT shortlink.link_id('api-bench-events')")
# The answers measured must be the right ones: every event counted by the rollups.
counted=$(psql -d $EVENTS_DB -c "SELECT sum(clicks + bot_clicks) FROM shortlink.click_totals($LINK, NULL, NULL) WHERE dimension = 'total'")
if [ "$counted" != "$EVENTS" ]; then
    echo "the rollups of $EVENTS_DB count $counted clicks, not $EVENTS: load again (SHORTLINK_BENCH_API_RELOAD=1)" >&2
    exit 1
fi
start_server $EVENTS_DB
PID=$server_pid

# Leg 3: wrk prints "p50_ms p99_ms requests/s" of one URL.
latency() { # latency URL
    local out
    out=$(wrk -t2 -c4 -d"${LAT_SECS}s" --timeout 30s --latency -H "Authorization: Bearer $KEY" "$1")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
        echo "wrk saw failures on $1; its report:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
         function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
         END {printf "%.2f %.2f %.0f\n", ms(p50), ms(p99), r}' <<<"$out"
}
say "leg 3: analytics of link $LINK ($EVENTS events), wrk 4 connections, ${LAT_SECS}s each"
# What legs 1 and 2 wrote is checkpointed first (untimed), as before each of their legs,
# and each URL is asked for 2 s before it is measured: the figures are the steady state
# of a server whose 4 connections have planned the statements once (a new connection's
# first analytics request takes 120-190 ms: its backend's caches and plans).
psql -d $EVENTS_DB -c "CHECKPOINT" >/dev/null
declare -A LAT
for g in countries timeseries; do
    url="http://$API/api/v1/analytics?groupBy=$g&linkId=$LINK"
    code=$(curl -s -o "$work/answer" -w '%{http_code}' -H "Authorization: Bearer $KEY" "$url")
    [ "$code" = 200 ] || { echo "GET $url answered $code: $(head -c 500 "$work/answer")" >&2; exit 1; }
    wrk -t2 -c4 -d2s --timeout 30s -H "Authorization: Bearer $KEY" "$url" >/dev/null
    LAT[$g]=$(latency "$url")
    echo "$g: $(jq -c 'if type == "array" then "\(length) rows" else . end' "$work/answer" 2>/dev/null || head -c 200 "$work/answer")"
done

# Leg 4: every event (bots included) as CSV, the server's RSS sampled every 0.1 s.
say "leg 4: exporting the $EVENTS events as CSV"
status() { awk -v k="$2:" '$1 == k {print $2 * 1024}' "/proc/$1/status"; }
rss_before=$(status "$PID" VmRSS) hwm_before=$(status "$PID" VmHWM)
echo "$rss_before" >"$work/rss_peak"
( peak=$rss_before; while kill -0 "$PID" 2>/dev/null && [ ! -e "$work/exported" ]; do
      r=$(status "$PID" VmRSS); (( r > peak )) && peak=$r; echo "$peak" >"$work/rss_peak"; sleep 0.1
  done ) &
sampler=$!
t0=$(date +%s.%N)
curl -sS -m 900 -D "$work/export.head" -H "Authorization: Bearer $KEY" \
    "http://$API/api/v1/events?format=csv&linkId=$LINK&bots=include" | wc -lc >"$work/export.wc"
t1=$(date +%s.%N)
touch "$work/exported"; wait "$sampler"
hwm_after=$(status "$PID" VmHWM) rss_after=$(status "$PID" VmRSS)
export_status=$(head -1 "$work/export.head" | tr -d '\r')
read -r lines bytes <"$work/export.wc"
stop_server

# ---------------------------------------------------------------- the figures
mb() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo
echo "shortlink HTTP API benchmark: $machine; $(date -u '+%Y-%m-%d %H:%M UTC'); release build, loopback"
if (( ROUNDS > 0 )); then
echo "-- legs 1 and 2: median of $ROUNDS rounds, legs alternating (ratio: median of the rounds' quotients) --"
printf '%-62s %9s req/s  (rounds %s)\n' "POST /api/v1/links, one link a request, wrk $CONNS connections" "$(median "$work/api_one")" "$(spread "$work/api_one")"
printf '%-62s %9s calls/s (rounds %s)\n' "shorten() over pgbench, $CONNS clients, -M prepared" "$(median "$work/sql_one")" "$(spread "$work/sql_one")"
r1=$(paired "$work/api_one" "$work/sql_one")
printf '%-62s %9s  (target >= 0.5: %s)\n' "one link a request: API / SQL" "$r1" "$(verdict "$r1" 0.5)"
printf '%-62s %9s links/s (rounds %s)\n' "POST /api/v1/links/bulk, $((BULK_ITEMS / BATCH)) x $BATCH, $BULK_CONNS connections" "$(median "$work/api_bulk")" "$(spread "$work/api_bulk")"
printf '%-62s %9s links/s (rounds %s)\n' "shorten_many() over psql, $((BULK_ITEMS / BATCH)) x $BATCH, $BULK_CONNS sessions" "$(median "$work/sql_bulk")" "$(spread "$work/sql_bulk")"
r2=$(paired "$work/api_bulk" "$work/sql_bulk")
printf '%-62s %9s  (target >= 0.5: %s)\n' "bulk: API / SQL" "$r2" "$(verdict "$r2" 0.5)"
fi
echo "-- leg 3: GET /api/v1/analytics of one link with $EVENTS events (rolled up), wrk 4 connections, ${LAT_SECS}s --"
for g in countries timeseries; do
    read -r p50 p99 rps <<<"${LAT[$g]}"
    printf '%-62s p50 %7s ms  p99 %7s ms  %6s req/s  (target p99 <= 100 ms: %s)\n' "groupBy=$g" "$p50" "$p99" "$rps" \
        "$(awk -v p="$p99" 'BEGIN {print (p <= 100 ? "MET" : "NOT met")}')"
done
echo "-- leg 4: GET /api/v1/events?format=csv of the same link (bots included) --"
echo "answer: $export_status; $bytes bytes, $lines lines in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f s (%.0f lines/s)", b - a, '"$lines"' / (b - a)}')"
echo "server RSS before the export $(mb "$rss_before") (peak so far, VmHWM, $(mb "$hwm_before")); highest RSS sampled during it $(mb "$(cat "$work/rss_peak")"); VmHWM after $(mb "$hwm_after"), RSS after $(mb "$rss_after")"
