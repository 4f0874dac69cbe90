#!/usr/bin/env bash
# The maintenance worker, with no scheduler but itself: a throwaway cluster preloading
# shortlink with shortlink.maintenance_interval = 1s, and checks that
# - the launcher runs, and nothing but it calls shortlink.maintain() (no pg_cron here);
# - within a few intervals of CREATE EXTENSION (no restart) the day partitions of
#   click_events exist, events that landed in click_events_default move into them, and
#   click_log is folded into click_counts, in every database that has the extension;
# - a database whose maintenance fails (maintain() refuses a SERIALIZABLE default) gets a
#   WARNING with its SQLSTATE in the server log, and the other databases go on;
# - interval 0, applied by a reload (SIGHUP), stops it; a new interval restarts it.
# Uses the build scripts/test installed. Removes the cluster at the end.
#   tests/maintenance.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
DIR=$ROOT/target/maintenance-cluster
PORT=${SHORTLINK_MAINTENANCE_PORT:-25319}
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}
# eventually SECONDS DB SQL: the query's answer once it is 't', or its last answer
eventually() {
    local seconds=$1 db=$2 sql=$3 got
    for _ in $(seq $((seconds * 5))); do
        got=$(psql -d "$db" -c "$sql")
        [ "$got" = t ] && break
        sleep 0.2
    done
    echo "$got"
}

stop_cluster "$DIR"
rm -rf "$DIR"
trap 'stop_cluster "$DIR"; rm -rf "$DIR"' EXIT
CLUSTER_MAINTENANCE_INTERVAL=1s start_cluster "$DIR" "$PORT"

check "the launcher runs, connected to no database" t \
    "$(eventually 10 postgres "SELECT count(*) = 1 AND bool_and(datname IS NULL) FROM pg_stat_activity WHERE backend_type = 'shortlink maintenance launcher'")"
check "shortlink.maintenance_interval is 1s" 1s "$(psql -d postgres -c "SHOW shortlink.maintenance_interval")"
check "it is reloadable (sighup)" sighup \
    "$(psql -d postgres -c "SELECT context FROM pg_settings WHERE name = 'shortlink.maintenance_interval'")"

psql -d postgres -c "CREATE DATABASE m1" -c "CREATE DATABASE m2"
# Events before the first maintain(): no day partition yet, they land in the default one.
# One transaction, so that the worker cannot run in between.
psql -d m1 >/dev/null <<'SQL'
BEGIN;
CREATE EXTENSION shortlink;
SELECT FROM shortlink.shorten('https://example.com/a', '{"code": "m-a"}');
SELECT FROM shortlink.shorten('https://example.com/b', '{"code": "m-b", "max_clicks": 100}');
SELECT shortlink.record_click('m-a', NULL, '192.0.2.1', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0')
FROM generate_series(1, 5);
SELECT shortlink.record_click('m-b', NULL, '192.0.2.1', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0');
COMMIT;
SQL
psql -d m2 -c "CREATE EXTENSION shortlink" \
    -c "SELECT FROM shortlink.shorten('https://example.com/c', '{\"code\": \"m-c\"}')" \
    -c "SELECT shortlink.record_click('m-c', NULL, '192.0.2.1', 'curl/8.0') FROM generate_series(1, 3)" >/dev/null

TODAY="'shortlink.click_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')"
check "m1: today's day partition appears, with no restart and no scheduler" t \
    "$(eventually 15 m1 "SELECT to_regclass($TODAY) IS NOT NULL")"
check "m1: a week of day partitions ahead" t \
    "$(psql -d m1 -c "SELECT count(*) >= 8 FROM pg_inherits WHERE inhparent = 'shortlink.click_events'::regclass")"
check "m1: click_log folded into click_counts" t \
    "$(eventually 15 m1 "SELECT NOT EXISTS (SELECT FROM shortlink.click_log)")"
check "m1: the events moved out of click_events_default" t \
    "$(eventually 15 m1 "SELECT NOT EXISTS (SELECT FROM shortlink.click_events_default)")"
check "m1: every click still counted" "5|1" \
    "$(psql -d m1 -c "SELECT (SELECT clicks FROM shortlink.stats('m-a')) || '|' || (SELECT clicks FROM shortlink.stats('m-b'))")"
check "m1: the events are in today's partition" 6 "$(psql -d m1 -c "SELECT count(*) FROM $(psql -d m1 -c "SELECT $TODAY")")"
check "m2 too: click_log folded" t "$(eventually 15 m2 "SELECT NOT EXISTS (SELECT FROM shortlink.click_log)")"
check "m2: its bot clicks counted as bots" 3 "$(psql -d m2 -c "SELECT bot_clicks FROM shortlink.stats('m-c')")"
check "nothing but the worker ran maintain(): no pg_cron" "" \
    "$(psql -d postgres -c "SELECT extname FROM pg_extension WHERE extname = 'pg_cron'")"

# A failing database: maintain() refuses to run under a SERIALIZABLE default.
psql -d postgres -c "ALTER DATABASE m2 SET default_transaction_isolation = 'serializable'"
LOG_FROM=$(($(wc -l <"$DIR/server.log") + 1))
LAUNCHER="SELECT pid FROM pg_stat_activity WHERE backend_type = 'shortlink maintenance launcher'"
launcher=$(psql -d postgres -c "$LAUNCHER")
psql -d m2 -c "SELECT shortlink.record_click('m-c', NULL, '192.0.2.1', 'curl/8.0')" >/dev/null
psql -d m1 -c "SELECT shortlink.record_click('m-a', NULL, '192.0.2.1', 'curl/8.0') FROM generate_series(1, 4)" >/dev/null
check "m1 goes on while m2 fails: folded again" t \
    "$(eventually 15 m1 "SELECT NOT EXISTS (SELECT FROM shortlink.click_log)")"
sleep 2
failure=$(tail -n +"$LOG_FROM" "$DIR/server.log" | grep -m1 'shortlink.maintain() failed' || true)
check "the failure is a WARNING in the server log, with its SQLSTATE" t \
    "$(grep -q 'WARNING:  shortlink maintenance: shortlink.maintain() failed in database "m2" (SQLSTATE 55000): shortlink.maintain() can only run in a READ COMMITTED transaction' <<<"$failure" && echo t || echo "$failure")"
check "m2's click waits in click_log" 1 "$(psql -d m2 -c "SELECT count(*) FROM shortlink.click_log")"
check "the launcher is still the same process" "$launcher" "$(psql -d postgres -c "$LAUNCHER")"
check "no maintenance worker crashed" "" \
    "$(tail -n +"$LOG_FROM" "$DIR/server.log" | grep -E 'terminated by signal|exited with exit code [1-9]' || true)"
psql -d postgres -c "ALTER DATABASE m2 RESET default_transaction_isolation"
check "m2 recovers at the next round" t "$(eventually 15 m2 "SELECT NOT EXISTS (SELECT FROM shortlink.click_log)")"

# Switched off by a reload, and on again.
psql -d postgres -c "ALTER SYSTEM SET shortlink.maintenance_interval = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 2
psql -d m1 -c "SELECT shortlink.record_click('m-a', NULL, '192.0.2.1', 'curl/8.0')" >/dev/null
sleep 3
check "interval 0 (after SIGHUP): click_log is left alone" 1 "$(psql -d m1 -c "SELECT count(*) FROM shortlink.click_log")"
psql -d postgres -c "ALTER SYSTEM SET shortlink.maintenance_interval = '1s'" -c "SELECT pg_reload_conf()" >/dev/null
check "a new interval (after SIGHUP) starts it again" t \
    "$(eventually 15 m1 "SELECT NOT EXISTS (SELECT FROM shortlink.click_log)")"

echo "maintenance worker: $passed passed, $failed failed"
[ "$failed" = 0 ]
