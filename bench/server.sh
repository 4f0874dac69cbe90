#!/usr/bin/env bash
# Benchmarks shortlink-server (release) on loopback against two ceilings measured in the
# same run: the database's (pgbench calling record_click directly, same concurrency) and
# HTTP's (nginx from Debian answering a static 302). Legs alternate; each figure is the
# median of the rounds. Needs the demo cluster and release build of scripts/setup.
#   bench/server.sh [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
SECS=${1:-5} ROUNDS=${2:-3} CONNS=32
DIR=$ROOT/.pgdata PORT=${SHORTLINK_PORT:-54315} DB=shortlink
SERVER=127.0.0.1:18280 ADMIN=127.0.0.1:18290 NGINX=127.0.0.1:18281
UA='Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'
BIN=$ROOT/target/release/shortlink-server
[ -S "$DIR/.s.PGSQL.$PORT" ] && [ -x "$BIN" ] || { echo "run scripts/setup first" >&2; exit 1; }
for p in wrk nginx; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p"; }
done
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d "$DB" "$@"; }

say "100 000 links, one hot link, tracking on"
psql <<'SQL'
SELECT shortlink.grant_redirect('shortlink_edge');
DELETE FROM shortlink.links WHERE code LIKE 'srv%' OR code = 'bench-hot';
SELECT FROM shortlink.shorten('https://example.com/hot', '{"code": "bench-hot"}');
SELECT count(*) FROM generate_series(1, 100000) g,
    LATERAL shortlink.shorten('https://example.com/p/' || g, jsonb_build_object('code', 'srv' || g));
VACUUM ANALYZE shortlink.links;
SQL

work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen $NGINX; location / { return 302 https://example.com/hot; } }
}
EOF
nginx -c "$work/nginx.conf" -p "$work"
"$BIN" --database-url "host=$DIR port=$PORT user=shortlink_edge dbname=$DB" --listen "$SERVER" \
    --admin-listen "$ADMIN" --no-dispatcher --pool-size "$CONNS" >"$work/server.log" 2>&1 &
echo $! >"$work/server.pid"
for _ in $(seq 50); do curl -s -m 1 "http://$ADMIN/readyz" >/dev/null && break; sleep 0.2; done
cat >"$work/mix.lua" <<'EOF'
request = function() return wrk.format(nil, "/srv" .. math.random(1, 100000)) end
EOF
echo "SELECT status FROM shortlink.record_click('bench-hot', 'localhost', '203.0.113.9', '$UA');" >"$work/hot.sql"
printf '%s\n' '\set n random(1, 100000)' \
    "SELECT status FROM shortlink.record_click('srv' || :n, 'localhost', '203.0.113.9', '$UA');" >"$work/mix.sql"

# Each leg prints "requests/s p50_ms p99_ms".
wrk_leg() { # wrk_leg URL [LUA]
    local out
    out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H 'Host: localhost' -H "User-Agent: $UA" \
        ${2:+-s "$2"} "$1")
    awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
         function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
         END {printf "%.0f %.2f %.2f\n", r, ms(p50), ms(p99)}' <<<"$out"
}
pgbench_leg() { # pgbench_leg SCRIPT
    "$PG_BIN/pgbench" -n -M prepared -h "$DIR" -p "$PORT" -U postgres -c "$CONNS" -j 2 -T "$SECS" \
        -f "$1" "$DB" 2>&1 | awk '/^tps/ {t=$3} /latency average/ {l=$4} END {printf "%.0f %.2f -\n", t, l}'
}
legs=(db_hot nginx server_hot db_mix server_mix)
run_leg() {
    case $1 in
        db_hot) pgbench_leg "$work/hot.sql" ;;
        db_mix) pgbench_leg "$work/mix.sql" ;;
        nginx) wrk_leg "http://$NGINX/bench-hot" ;;
        server_hot) wrk_leg "http://$SERVER/bench-hot" ;;
        server_mix) wrk_leg "http://$SERVER/" "$work/mix.lua" ;;
    esac
}
say "$ROUNDS rounds of ${SECS}s per leg, $CONNS connections, legs alternating"
for r in $(seq "$ROUNDS"); do
    for leg in "${legs[@]}"; do run_leg "$leg" >>"$work/$leg"; done
    echo "round $r done"
done
median() { sort -n -k1,1 "$1" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
declare -A M
for leg in "${legs[@]}"; do M[$leg]=$(median "$work/$leg"); done
rps() { cut -d' ' -f1 <<<"${M[$1]}"; }
lower_hot=$(( $(rps db_hot) < $(rps nginx) ? $(rps db_hot) : $(rps nginx) ))
lower_mix=$(( $(rps db_mix) < $(rps nginx) ? $(rps db_mix) : $(rps nginx) ))
echo
echo "shortlink-server, $(nproc) cores, $(date -u +%Y-%m-%d), median of $ROUNDS x ${SECS}s, $CONNS connections"
printf '%-46s %10s %9s %9s\n' "leg" "req/s" "p50 ms" "p99 ms"
for leg in "${legs[@]}"; do
    read -r a b c <<<"${M[$leg]}"
    printf '%-46s %10s %9s %9s\n' "$leg" "$a" "$b" "$c"
done
awk -v s="$(rps server_hot)" -v l="$lower_hot" 'BEGIN {printf "one hot link:   server / lower ceiling = %.2f\n", s / l}'
awk -v s="$(rps server_mix)" -v l="$lower_mix" 'BEGIN {printf "100 000 links:  server / lower ceiling = %.2f\n", s / l}'
echo "(db_*: pgbench, latency average in the p50 column; nginx: a static 302)"
psql -c "DELETE FROM shortlink.links WHERE code LIKE 'srv%' OR code = 'bench-hot'" >/dev/null
