#!/usr/bin/env bash
# Benchmarks shortlink against the bare-SQL floor, on the demo cluster that
# scripts/setup starts (release build). Loopback only; each run is bounded by -T.
#   bench/run.sh [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench
SECS=${1:-10}
PG_BIN=/usr/lib/postgresql/15/bin
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink_bench
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }
[ -S "$DIR/.s.PGSQL.$PORT" ] || { echo "start the demo cluster first: scripts/setup" >&2; exit 1; }

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
VACUUM ANALYZE;
SQL

run() { # run NAME CLIENTS SCRIPT
    local tps
    tps=$("$PG_BIN/pgbench" -n -M prepared -h "$DIR" -p "$PORT" -U postgres -c "$2" -j 2 -T "$SECS" \
        -f "$HERE/$3" "$DB" 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    printf '%-52s %4s clients %10.0f calls/s\n' "$1" "$2" "$tps"
}

echo "shortlink benchmark: $(nproc) cores, ${SECS}s per run, pgbench over a unix socket"
run "resolve(code)"                                  8 resolve.sql
run "floor: SELECT url ... WHERE domain, code"        8 resolve_floor.sql
run "record_click, one viral link, tracking on"      32 click_viral.sql
run "record_click, one viral link, tracking off"     32 click_viral_untracked.sql
run "floor: UPDATE one counter row"                  32 click_floor.sql
run "shorten (generated code)"                       8 shorten.sql
run "floor: INSERT code, url"                         8 shorten_floor.sql
echo "viral link clicks counted: $(psql -d $DB -c "SELECT clicks FROM shortlink.stats('bench-viral')")"
