#!/usr/bin/env bash
# Benchmarks shortlink against the bare-SQL floor, on the demo cluster that scripts/setup
# starts (release build, shortlink preloaded). Loopback only; each run is bounded by -T.
# The legs alternate, round after round, and each figure is the median of the rounds.
#   bench/run.sh [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
HERE=$ROOT/bench
SECS=${1:-5} ROUNDS=${2:-3}
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink_bench
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }
[ -S "$DIR/.s.PGSQL.$PORT" ] || { echo "start the demo cluster first: scripts/setup" >&2; exit 1; }
# Never a debug build: its figures mean nothing.
lib=$("$PG_CONFIG" --pkglibdir)/shortlink.so
if readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "the installed $lib is a debug build (scripts/test installs one); run scripts/setup first" >&2
    exit 1
fi

psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB <<'SQL'
CREATE EXTENSION shortlink;
SELECT count(*) FROM generate_series(1, 10000) g,
    LATERAL shortlink.shorten('https://example.com/page/' || g, jsonb_build_object('code', 'bench' || g));
SELECT FROM shortlink.shorten('https://example.com/viral', '{"code": "bench-viral"}');
SELECT FROM shortlink.shorten('https://example.com/viral', '{"code": "bench-viral-untracked", "tracking": false}');
CREATE TABLE bench_counter (id int PRIMARY KEY, clicks bigint NOT NULL);
INSERT INTO bench_counter VALUES (1, 0);
CREATE TABLE bench_links (id bigserial PRIMARY KEY, code text UNIQUE, url text NOT NULL);
CREATE TABLE bench_user_agents (id int PRIMARY KEY, ua text NOT NULL);
SQL
# 1,000 real browser and app User-Agents, every 165th of CrawlerDetect's devices.txt.
zcat "$ROOT/tests/data/crawler-detect/devices.txt.gz" | awk 'NR % 165 == 1 && n < 1000 {n++; print n "\t" $0}' |
    psql -d $DB -c "COPY bench_user_agents FROM STDIN WITH (FORMAT text)"
psql -d $DB -c "VACUUM ANALYZE"

# name|clients|script
legs=(
    "resolve(code)|8|resolve.sql"
    "floor: SELECT url ... WHERE domain, code|8|resolve_floor.sql"
    "record_click, viral link, tracking on, a browser's UA|32|click_viral.sql"
    "record_click, viral link, tracking on, 1,000 real UAs|32|click_viral_mixed_ua.sql"
    "record_click, viral link, tracking on, no UA|32|click_viral_no_ua.sql"
    "record_click, viral link, tracking off|32|click_viral_untracked.sql"
    "floor: UPDATE one counter row|32|click_floor.sql"
    "shorten (generated code)|8|shorten.sql"
    "floor: INSERT code, url|8|shorten_floor.sql"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tps() { # tps CLIENTS SCRIPT
    "$PG_BIN/pgbench" -n -M prepared -h "$DIR" -p "$PORT" -U postgres -c "$1" -j 2 -T "$SECS" \
        -f "$HERE/$2" "$DB" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
say "$ROUNDS rounds of ${SECS}s per leg, legs alternating"
for r in $(seq "$ROUNDS"); do
    for i in "${!legs[@]}"; do
        IFS='|' read -r _ clients script <<<"${legs[$i]}"
        tps "$clients" "$script" >>"$work/$i"
    done
    echo "round $r done"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'; }
echo
echo "shortlink benchmark: $(nproc) cores, $(date -u +%Y-%m-%d), median of $ROUNDS x ${SECS}s, pgbench -M prepared over a unix socket"
declare -A M
for i in "${!legs[@]}"; do
    IFS='|' read -r name clients _ <<<"${legs[$i]}"
    M[$i]=$(median "$work/$i")
    printf '%-56s %4s clients %10s calls/s\n' "$name" "$clients" "${M[$i]}"
done
ratio() { awk -v a="$2" -v b="$3" -v n="$1" 'BEGIN {printf "%-56s %.2f\n", n, a / b}'; }
echo
ratio "resolve / its floor" "${M[0]}" "${M[1]}"
ratio "click with a browser's UA / click without UA" "${M[2]}" "${M[4]}"
ratio "click with 1,000 real UAs / click without UA" "${M[3]}" "${M[4]}"
ratio "shorten / its floor" "${M[7]}" "${M[8]}"
echo "first click in a fresh backend, extra ms over the second (median of 7): $(
    "$HERE/first_click.sh" "$PG_BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d "$DB")"
echo "shared_preload_libraries: $(psql -d $DB -c 'SHOW shared_preload_libraries')"
echo "viral link clicks counted: $(psql -d $DB -c "SELECT clicks FROM shortlink.stats('bench-viral')")"
