#!/usr/bin/env bash
# Read scaling on a hot standby, against a running primary:
#   standby.sh PRIMARY_DIR PRIMARY_PORT DBNAME
# Builds a streaming replica on loopback with pg_basebackup, then checks that
# - resolve answers on the standby;
# - a link made on the primary resolves on the standby once replayed;
# - record_click on the standby fails with a clear read-only error (SQLSTATE 25006), and
#   counts nothing on the primary;
# - the maintenance worker never runs on the standby;
# - peek_click (HEAD: counts nothing) and link_card work on the standby.
# The standby is removed at the end.
set -euo pipefail
PRIMARY=$1 PORT=$2 DB=$3
source "$(dirname "$0")/../scripts/lib.sh"
STANDBY=$ROOT/target/standby-cluster
SPORT=${SHORTLINK_STANDBY_PORT:-25317}
primary() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$PRIMARY" -p "$PORT" -U postgres -d "$DB" "$@"; }
standby() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$STANDBY" -p "$SPORT" -U postgres -d "$DB" "$@"; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}

stop_cluster "$STANDBY"
rm -rf "$STANDBY"
mkdir -p "$STANDBY"
make_reachable "$STANDBY"
[ "$(pg_user)" = "$(id -un)" ] || chown "$(pg_user)" "$STANDBY"
chmod 700 "$STANDBY"
trap 'stop_cluster "$STANDBY"; rm -rf "$STANDBY"' EXIT

primary -c "DELETE FROM shortlink.links WHERE code LIKE 'sb-%'"
primary -c "SELECT FROM shortlink.shorten('https://example.com/before', '{\"code\": \"sb-before\", \"title\": \"Before\"}')"

# -R writes standby.signal and primary_conninfo: a streaming replica of the primary.
as_pg "$PG_BIN/pg_basebackup" -h "$PRIMARY" -p "$PORT" -U postgres -D "$STANDBY/data" -R -X stream -c fast
# The maintenance worker asked for every second: it must never run on a standby.
CLUSTER_MAINTENANCE_INTERVAL=1s start_cluster "$STANDBY" "$SPORT"
check "the standby is in recovery" t "$(standby -c "SELECT pg_is_in_recovery()")"
sleep 2
check "no maintenance worker on the standby (shortlink.maintenance_interval = 1s)" "1s|0" \
    "$(standby -c "SELECT current_setting('shortlink.maintenance_interval') || '|' || count(*) FROM pg_stat_activity WHERE backend_type LIKE 'shortlink maintenance%'")"

check "resolve on the standby" "https://example.com/before" "$(standby -c "SELECT shortlink.resolve('sb-before')")"
check "link_card on the standby" "Before" "$(standby -c "SELECT title FROM shortlink.link_card('sb-before')")"
check "peek_click on the standby (counts nothing)" "ok" "$(standby -c "SELECT status FROM shortlink.peek_click('sb-before')")"

# A new link: visible on the standby once the standby has replayed past its commit.
primary -c "SELECT FROM shortlink.shorten('https://example.com/after', '{\"code\": \"sb-after\"}')"
lsn=$(primary -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 100); do
    [ "$(standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && break
    sleep 0.1
done
check "the standby replayed the new link's commit" t "$(standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")"
check "resolve on the standby sees the new link" "https://example.com/after" "$(standby -c "SELECT shortlink.resolve('sb-after')")"

# Clicks are writes: the primary's. The standby says so with SQLSTATE 25006.
err=$("$PG_BIN/psql" -X -q -tA -h "$STANDBY" -p "$SPORT" -U postgres -d "$DB" \
    -v VERBOSITY=sqlstate -c "SELECT status FROM shortlink.record_click('sb-before', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')" 2>&1 || true)
check "record_click on the standby: SQLSTATE 25006" "ERROR:  25006" "$err"
msg=$("$PG_BIN/psql" -X -q -tA -h "$STANDBY" -p "$SPORT" -U postgres -d "$DB" \
    -c "SELECT status FROM shortlink.record_click('sb-before', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')" 2>&1 || true)
check "the error says read-only and where to click" 2 "$(grep -cE 'cannot record a click in a read-only transaction|Call record_click on the primary' <<<"$msg")"
check "nothing was counted" 0 "$(primary -c "SELECT clicks FROM shortlink.stats('sb-before')")"
check "record_click on the primary still counts" "ok|1" \
    "$(primary -c "SELECT status FROM shortlink.record_click('sb-before', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')")|$(primary -c "SELECT clicks FROM shortlink.stats('sb-before')")"

primary -c "DELETE FROM shortlink.links WHERE code LIKE 'sb-%'"
echo "hot standby: $passed passed, $failed failed"
[ "$failed" = 0 ]
