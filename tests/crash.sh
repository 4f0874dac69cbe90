#!/usr/bin/env bash
# Click limits and webhook events across crashes: a throwaway cluster preloading shortlink,
# and checks that
# - a backend killed with SIGKILL while its transaction holds clicks of a limited link
#   (PostgreSQL then restarts every backend and shared memory): the clicks that committed
#   stay counted, those in flight are neither counted nor used up, and the link then lets
#   exactly max_clicks through;
# - the same under load: 32 connections clicking a limited link (a third of their
#   transactions rolling back) while backends are killed; afterwards the link has exactly
#   max_clicks clicks and click events, and a hooked link exactly one outbox event per
#   committed click, each delivered at least once by shortlink-server's dispatcher,
#   running throughout;
# - a restart (pg_ctl restart) keeps the count;
# - TRUNCATE shortlink.links RESTART IDENTITY: a new link with an old id starts at zero;
# - without shortlink in shared_preload_libraries the limit is still exact (counted on the
#   link's row), and a preload again counts on from there.
# Uses the build scripts/test installed. Removes the cluster at the end.
#   tests/crash.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
DIR=$ROOT/target/crash-cluster
PORT=${SHORTLINK_CRASH_PORT:-25320}
HERE=$(cd "$(dirname "$0")" && pwd)
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"; }
pgbench() { "$PG_BIN/pgbench" -n -h "$DIR" -p "$PORT" -U postgres "$@" postgres; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1 ($3)"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}
# ready: waits until the cluster answers again after a crash restart.
ready() {
    for _ in $(seq 300); do
        psql -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "FAIL the cluster did not come back"; tail -20 "$DIR/server.log"; exit 1
}
clicks() { psql -c "SELECT s.clicks FROM shortlink.stats('$1') s"; }
# ok_of CODE N: clicks CODE N times in one statement (a call per row, in the select
# list), and prints how many were ok.
ok_of() {
    psql -c "SELECT count(*) FILTER (WHERE c.status = 'ok')
             FROM (SELECT (shortlink.record_click('$1')).status FROM generate_series(1, $2) n) c"
}
# clicks_one_by_one CODE N: N clicks, each in a transaction of its own; the number ok.
clicks_one_by_one() {
    local ok=0 status
    for _ in $(seq "$2"); do
        status=$(psql -c "SELECT status FROM shortlink.record_click('$1')")
        [ "$status" = ok ] && ok=$((ok + 1))
    done
    echo "$ok"
}
# kill_a_backend: SIGKILL to one client backend (PostgreSQL then restarts them all).
kill_a_backend() {
    psql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() LIMIT 1" \
        | while read -r pid; do [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true; done
}

stop_cluster "$DIR"
rm -rf "$DIR"
trap 'stop_cluster "$DIR"; [ -n "${KEEP_CLUSTER:-}" ] || rm -rf "$DIR"' EXIT
start_cluster "$DIR" "$PORT"
psql -c "CREATE EXTENSION shortlink" -c "SET client_min_messages = warning"
psql -c "SELECT FROM shortlink.shorten('https://example.com/a', '{\"code\": \"crash-a\", \"max_clicks\": 50}')"

# 20 clicks commit; a transaction takes 10 more and its backend is killed before it ends.
check "20 clicks committed" 20 "$(clicks_one_by_one crash-a 20)"
held=$(mktemp)
"$PG_BIN/psql" -X -q -tA -h "$DIR" -p "$PORT" -U postgres -d postgres \
    -c "BEGIN" -c "SELECT count(*) FILTER (WHERE c.status = 'ok') FROM (SELECT (shortlink.record_click('crash-a')).status FROM generate_series(1, 10) n) c" \
    -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(30)" >"$held" 2>&1 &
holder=$!
for _ in $(seq 100); do [ "$(wc -l <"$held")" -ge 2 ] && break; sleep 0.1; done
check "a transaction holds 10 more clicks" 10 "$(sed -n 1p "$held")"
check "the 20 left are all another transaction can take meanwhile" 20 "$(ok_of crash-a 30)"
check "with the 10 held, the link is exhausted" 0 "$(ok_of crash-a 1)"
kill -9 "$(sed -n 2p "$held")"
wait "$holder" 2>/dev/null || true
rm -f "$held"
ready
check "after the crash restart: the committed clicks stay" 40 "$(clicks crash-a)"
check "the 10 that were in flight are free again: exactly 10 ok of 30" 10 "$(ok_of crash-a 30)"
check "then exactly max_clicks" 50 "$(clicks crash-a)"

# A restart keeps the count (the counter is loaded again from the click rows).
psql -c "SELECT FROM shortlink.shorten('https://example.com/b', '{\"code\": \"crash-b\", \"max_clicks\": 30}')"
check "20 of 30 before a restart" 20 "$(ok_of crash-b 20)"
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w restart >/dev/null
ready
check "exactly 10 more after it" 10 "$(ok_of crash-b 25)"

# Under load: 32 connections, a third of the transactions rolled back, backends killed;
# the hooked link's events delivered meanwhile by a dispatcher to a local receiver.
N=400
HOOK_PORT=${SHORTLINK_CRASH_HOOK_PORT:-18381}
psql -c "SELECT FROM shortlink.shorten('https://example.com/c', '{\"code\": \"crash-load\", \"max_clicks\": $N}')"
psql <<SQL
SET client_min_messages = warning;
SET shortlink.allow_private_destinations = on;
SELECT FROM shortlink.shorten('https://example.com/h', '{"code": "crash-hook", "callback_url": "http://127.0.0.1:$HOOK_PORT/hook"}');
CREATE ROLE crash_dispatcher LOGIN;
SELECT shortlink.grant_dispatcher('crash_dispatcher');
SQL
SERVER_BIN=$(build_server)
hooks=$(mktemp) server_log=$(mktemp)
python3 "$HERE/server/receiver.py" "$HOOK_PORT" "$hooks" crash-secret &
receiver=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$HOOK_PORT") 2>/dev/null && break; sleep 0.1; done
"$SERVER_BIN" \
    --database-url "host=$DIR port=$PORT user=crash_dispatcher dbname=postgres" --no-redirects \
    --admin-listen "127.0.0.1:${SHORTLINK_CRASH_ADMIN_PORT:-18382}" --webhook-secret crash-secret \
    --allow-private-webhooks --dispatch-lease-seconds 2 --dispatch-poll-seconds 1 >"$server_log" 2>&1 &
server=$!
trap 'kill "$server" "$receiver" 2>/dev/null || true; stop_cluster "$DIR"; [ -n "${KEEP_CLUSTER:-}" ] || rm -rf "$DIR"' EXIT
load_log=$(mktemp)
for _ in 1 2 3; do
    pgbench -c 32 -j 2 -T 4 -f "$HERE/crash_clicks.sql" >>"$load_log" 2>&1 &
    load=$!
    sleep 1.5
    kill_a_backend
    wait "$load" 2>/dev/null || true
    ready
done
# Then clicked to the end without a crash.
pgbench -c 32 -j 2 -t 40 -f "$HERE/crash_clicks.sql" >>"$load_log" 2>&1 \
    || { tail -20 "$load_log"; exit 1; }
grep -E '^tps' "$load_log" | tail -1 | sed 's/^/     limited link under crashes: /' || true
check "limited link, 32 connections, rollbacks, 3 crashes: exactly max_clicks" "$N" "$(clicks crash-load)"
check "and as many click events" "$N" \
    "$(psql -c "SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'crash-load'")"
check "hooked link: one outbox event per committed click" \
    "$(psql -c "SELECT s.clicks + s.bot_clicks FROM shortlink.stats('crash-hook') s")" \
    "$(psql -c "SELECT count(*) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'crash-hook'")"
check "hooked link: no event twice" 0 \
    "$(psql -c "SELECT count(*) - count(DISTINCT o.id) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'crash-hook'")"
rm -f "$load_log"
pending=-1
for _ in $(seq 300); do
    pending=$(psql -c "SELECT count(*) FROM shortlink.deliveries WHERE state = 'pending'")
    [ "$pending" = 0 ] && break
    sleep 0.2
done
check "the dispatcher, through the crashes: no delivery left pending" 0 "$pending"
events=$(psql -c "SELECT count(*) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'crash-hook'")
check "the receiver got every event, by webhook-id" "$events" "$(awk '{print $1}' "$hooks" | sort -u | wc -l)"
check "every signature verified" 0 "$(awk '$2 != 1' "$hooks" | wc -l)"
echo "     receiver: $(wc -l <"$hooks") requests for $events events ($(awk '{print $1}' "$hooks" | sort | uniq -d | wc -l) ids more than once: at least once across the crashes)"
kill "$server" "$receiver" 2>/dev/null || true
wait "$server" "$receiver" 2>/dev/null || true
rm -f "$hooks" "$server_log"

# TRUNCATE ... RESTART IDENTITY hands the same ids out again: the counter does not carry
# the old links' counts over.
psql -c "SELECT FROM shortlink.shorten('https://example.com/t', '{\"code\": \"crash-t\", \"max_clicks\": 2}')"
check "a link used up" 2 "$(ok_of crash-t 3)"
old_id=$(psql -c "SELECT id FROM shortlink.links WHERE code = 'crash-t'")
psql -c "TRUNCATE shortlink.links RESTART IDENTITY"
psql -c "SELECT setval(pg_get_serial_sequence('shortlink.links', 'id'), $old_id - 1, $old_id > 1)" >/dev/null
psql -c "SELECT FROM shortlink.shorten('https://example.com/t', '{\"code\": \"crash-t2\", \"max_clicks\": 2}')"
check "the new link has the old one's id" "$old_id" "$(psql -c "SELECT id FROM shortlink.links WHERE code = 'crash-t2'")"
check "and its own two clicks" 2 "$(ok_of crash-t2 3)"

# Without the preload: counted on the link's row under its lock, exactly; with it again,
# the counter counts on from row and click rows together.
psql -c "SELECT FROM shortlink.shorten('https://example.com/p', '{\"code\": \"crash-p\", \"max_clicks\": 300}')"
check "preloaded: 100 clicks" 100 "$(ok_of crash-p 100)"
preload() { # preload LIBRARIES: rewrites the setting start_cluster wrote, and restarts
    as_pg sed -i "s/^shared_preload_libraries = .*/shared_preload_libraries = '$1'/" "$DIR/data/postgresql.conf"
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w restart >/dev/null
    ready
}
preload ""
check "not preloaded" "" "$(psql -c "SHOW shared_preload_libraries")"
pgbench -c 16 -j 2 -t 10 -f <(echo "SELECT status FROM shortlink.record_click('crash-p');") >/dev/null 2>&1
check "not preloaded, 16 connections x 10: 160 more, on the row" 160 \
    "$(psql -c "SELECT limited_clicks FROM shortlink.links WHERE code = 'crash-p'")"
preload shortlink
pgbench -c 16 -j 2 -t 10 -f <(echo "SELECT status FROM shortlink.record_click('crash-p');") >/dev/null 2>&1
check "preloaded again: exactly 300 in all" 300 "$(clicks crash-p)"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
