#!/usr/bin/env bash
# What Citus costs shortlink where it runs today (docs/scaling.md): on a Citus coordinator
# that holds shortlink's tables, with two workers in its metadata. Clicks (record_click of
# one link, and of 10^4 links at random) and new links (shorten) per second, on a plain
# cluster and on the coordinator, side by side: the legs alternate round after round
# (reversed every other round), each figure is the median of its rounds and each ratio the
# median over rounds of the quotient within the round. Release build, installed with
# Citus (built from ../shared/vendor/) into a copy of the PostgreSQL installation under
# target/ (never the system's). Loopback only; each run is bounded by -T.
#   bench/citus.sh [SECONDS_PER_RUN] [ROUNDS] [CONNECTIONS]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
SECS=${1:-5} ROUNDS=${2:-5} CONNS=${3:-8}
CITUS_VERSION=13.2.2
ARCHIVE=${SHORTLINK_VENDOR:-$ROOT/../shared/vendor}/citus-$CITUS_VERSION.tar.gz
[ -f "$ARCHIVE" ] || { echo "bench/citus.sh needs $ARCHIVE" >&2; exit 1; }
[ "$PG_MAJOR" = 15 ] || { echo "bench/citus.sh runs on PostgreSQL 15" >&2; exit 1; }

use_private_pg_tree "$ROOT/target/pg-tree/bench-citus-pg$PG_MAJOR"
install_citus "$ARCHIVE" "$CITUS_VERSION"
install_extension --release

BASE=${SHORTLINK_BENCH_CITUS_PORT:-25360}
PLAIN=$ROOT/target/bench-citus-plain COORD=$ROOT/target/bench-citus-coordinator
W1=$ROOT/target/bench-citus-worker1 W2=$ROOT/target/bench-citus-worker2
NODES=("$PLAIN" "$COORD" "$W1" "$W2")
on_exit() { local n; for n in "${NODES[@]}"; do stop_cluster "$n" 2>/dev/null || true; done; }
trap on_exit EXIT
i=0
for node in "${NODES[@]}"; do
    stop_cluster "$node"
    as_root rm -rf "$node"
    if [ "$node" = "$PLAIN" ]; then
        CLUSTER_PRELOAD=shortlink start_cluster "$node" $((BASE + i))
    else
        CLUSTER_PRELOAD=citus,shortlink start_cluster "$node" $((BASE + i))
    fi
    i=$((i + 1))
done
port_of() { case $1 in "$PLAIN") echo "$BASE" ;; "$COORD") echo $((BASE + 1)) ;; "$W1") echo $((BASE + 2)) ;; *) echo $((BASE + 3)) ;; esac; }
psql() { local n=$1; shift; "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$n" -p "$(port_of "$n")" -U postgres "$@"; }

for n in "${NODES[@]}"; do psql "$n" -d postgres -c "CREATE DATABASE bench"; done
for n in "$COORD" "$W1" "$W2"; do psql "$n" -d bench -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus"; done
psql "$COORD" -d bench -c "SELECT citus_set_coordinator_host('127.0.0.1', $(port_of "$COORD"))" \
    -c "SELECT citus_add_node('127.0.0.1', $(port_of "$W1"))" -c "SELECT citus_add_node('127.0.0.1', $(port_of "$W2"))" >/dev/null
for n in "$PLAIN" "$COORD"; do
    psql "$n" -d bench -c "SET client_min_messages = warning" -c "CREATE EXTENSION shortlink" \
        -c "SELECT shortlink.maintain()" \
        -c "SELECT count(*) FROM generate_series(1, 10000) g, LATERAL shortlink.shorten('https://example.com/page/' || g, jsonb_build_object('code', 'bench' || g))" \
        -c "SELECT FROM shortlink.shorten('https://example.com/viral', '{\"code\": \"bench-viral\"}')" >/dev/null
done

work=$(mktemp -d)
cat >"$work/click.sql" <<'SQL'
SELECT status FROM shortlink.record_click('bench-viral', ip => '203.0.113.9', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SQL
cat >"$work/click_spread.sql" <<'SQL'
\set n random(1, 10000)
SELECT status FROM shortlink.record_click('bench' || :n, ip => '203.0.113.9', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
SQL
cat >"$work/shorten.sql" <<'SQL'
SELECT code FROM shortlink.shorten('https://example.com/landing?campaign=bench');
SQL
# leg NODE SCRIPT: transactions per second.
leg() {
    "$PG_BIN/pgbench" -n -M prepared -h "$1" -p "$(port_of "$1")" -U postgres -c "$CONNS" -j 2 -T "$SECS" \
        -f "$work/$2.sql" bench 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int((NR+1)/2)]}'; }

say "$ROUNDS rounds of ${SECS}s per leg, $CONNS connections, legs alternating"
for r in $(seq 1 "$ROUNDS"); do
    for op in click click_spread shorten; do
        if [ $((r % 2)) = 1 ]; then order=("$PLAIN" "$COORD"); else order=("$COORD" "$PLAIN"); fi
        for n in "${order[@]}"; do
            leg "$n" "$op" >>"$work/$op.$(basename "$n")"
        done
        paste "$work/$op.$(basename "$COORD")" "$work/$op.$(basename "$PLAIN")" | tail -1 |
            awk '{printf "%.4f\n", $1 / $2}' >>"$work/$op.ratio"
    done
    echo "round $r done"
done

say "shortlink on a Citus $CITUS_VERSION coordinator (two workers) against a plain cluster"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(date -u '+%Y-%m-%d %H:%M UTC'); release build; PostgreSQL $("$PG_CONFIG" --version | cut -d' ' -f2); $CONNS connections, -M prepared, ${SECS}s x $ROUNDS rounds"
printf '%-34s %12s %12s %8s\n' operation "plain tps" "Citus tps" ratio
for op in click click_spread shorten; do
    case $op in
        click) what="record_click, one link" ;;
        click_spread) what="record_click, 10^4 links at random" ;;
        shorten) what="shorten" ;;
    esac
    printf '%-34s %12.0f %12.0f %8.2f\n' "$what" "$(median <"$work/$op.$(basename "$PLAIN")")" \
        "$(median <"$work/$op.$(basename "$COORD")")" "$(median <"$work/$op.ratio")"
done
rm -rf "$work"
