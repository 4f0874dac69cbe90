#!/usr/bin/env bash
# Webhook delivery latency with the real dispatcher: pgbench clicks a link with a
# callback_url at RATE clicks a second (rate-limited, 16 connections) for SECONDS, while
# shortlink-server (release build, --no-redirects: the dispatcher alone) delivers each
# event to a local receiver (bench/receiver.py), which logs how long after the click's
# transaction began each arrived. Prints the percentiles, the share within 1 s (target:
# 99%), and whether every event arrived (none missing; duplicates counted). Needs the demo
# cluster and the release build of scripts/setup. Loopback only, bounded in time.
#   bench/webhook_latency.sh [RATE] [SECONDS]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
RATE=${1:-1000} SECS=${2:-10}
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink_latency
HOOK_PORT=${SHORTLINK_BENCH_HOOK_PORT:-18590} ADMIN=127.0.0.1:${SHORTLINK_BENCH_ADMIN_PORT:-18591}
BIN=$ROOT/target/release/shortlink-server
[ -S "$DIR/.s.PGSQL.$PORT" ] && [ -x "$BIN" ] || { echo "run scripts/setup first" >&2; exit 1; }
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }

psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB <<SQL
SET client_min_messages = warning;
CREATE EXTENSION shortlink;
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shortlink_bench_dispatcher') THEN
        CREATE ROLE shortlink_bench_dispatcher LOGIN;
    END IF;
END \$\$;
SELECT shortlink.grant_dispatcher('shortlink_bench_dispatcher');
SET shortlink.allow_private_destinations = on;
SELECT FROM shortlink.shorten('https://example.com/l', '{"code": "bench-latency", "callback_url": "http://127.0.0.1:$HOOK_PORT/hook"}');
SQL

work=$(mktemp -d)
pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
python3 "$ROOT/bench/receiver.py" "$HOOK_PORT" "$work/arrivals" 2>"$work/receiver.err" &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$HOOK_PORT") 2>/dev/null && break; sleep 0.1; done
"$BIN" --database-url "host=$DIR port=$PORT user=shortlink_bench_dispatcher dbname=$DB" \
    --no-redirects --admin-listen "$ADMIN" --webhook-secret bench-secret --allow-private-webhooks \
    >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -s -m 1 "http://$ADMIN/healthz" >/dev/null && break; sleep 0.2; done

say "webhook delivery: $RATE hooked clicks/s for ${SECS}s, dispatcher and receiver on loopback"
cat >"$work/click.sql" <<'SQL'
SELECT status FROM shortlink.record_click('bench-latency', user_agent => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36');
SQL
"$PG_BIN/pgbench" -n -M prepared -h "$DIR" -p "$PORT" -U postgres -c 16 -j 2 -R "$RATE" -T "$SECS" \
    -f "$work/click.sql" "$DB" >"$work/pgbench.log" 2>&1
events=$(psql -d $DB -c "SELECT count(*) FROM shortlink.outbox")
# The stragglers: at most 30 s more.
for _ in $(seq 150); do
    [ "$(psql -d $DB -c "SELECT count(*) FROM shortlink.deliveries WHERE state = 'pending'")" = 0 ] && break
    sleep 0.2
done
sleep 0.5
[ -z "${SHORTLINK_BENCH_KEEP:-}" ] || cp "$work/arrivals" "$work/server.log" /tmp/
kill -TERM "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/pgbench.log")
failed=$(grep -c 'webhook attempt failed' "$work/server.log" || true)
echo "failed attempts (retried): $failed"
dups=$(awk '{print $1}' "$work/arrivals" | sort | uniq -d | wc -l)
distinct=$(awk '{print $1}' "$work/arrivals" | sort -u | wc -l)
sort -n -k2,2 "$work/arrivals" | awk -v events="$events" -v tps="$tps" -v dups="$dups" -v distinct="$distinct" '
    { n++; ms[n] = $2; if ($2 <= 1000) within++ }
    function at(q,  i) { i = int(n * q); if (i < n * q) i++; if (i < 1) i = 1; return ms[i] }
    END {
        printf "clicks: %.0f/s, events: %d, arrivals: %d (distinct %d, repeated %d)\n", tps, events, n, distinct, dups
        if (n == 0) exit 1
        printf "latency from the click (ms): p50 %.0f, p90 %.0f, p99 %.0f, max %.0f\n", at(0.5), at(0.9), at(0.99), ms[n]
        printf "within 1 s: %.2f%% of events (target 99%%): %s\n", 100 * within / events, (within >= 0.99 * events ? "met" : "NOT met")
        printf "every event arrived: %s\n", (distinct == events ? "yes" : "NO")
    }'
