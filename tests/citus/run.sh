#!/usr/bin/env bash
# shortlink in a running Citus cluster (scripts/test-citus starts it):
#   tests/citus/run.sh COORDINATOR_DIR PORT WORKER1_DIR PORT WORKER2_DIR PORT
# Each node preloads 'citus,shortlink'. What is checked is what shortlink is on Citus
# today (docs/scaling.md): a Citus cluster whose coordinator holds shortlink with its
# tables local, next to the cluster's distributed tables.
# - the cluster: Citus on every node, the two workers active in the coordinator's metadata;
# - CREATE EXTENSION shortlink on the coordinator: Citus propagates it to the workers, at
#   the same version;
# - shortlink's tables stay local (none in Citus's metadata), and Citus refuses to
#   distribute `links` as it stands (its triggers), so no one shards it by hand into a
#   layout whose direct reads would see an empty shell;
# - with Citus's planner and executor hooks on every statement: the SQL regression
#   suite (its own DDL not propagated to the workers), and exact counts from 32
#   connections (tests/concurrency/run.sh);
# - a distributed table of the user's own beside shortlink's local ones: a join of
#   campaign rows on a worker's shards with their links, and one transaction that writes
#   both and rolls back leaves no row on any node;
# - a worker killed while the coordinator's links are clicked: every acknowledged click
#   counted, and still counted once the worker is back;
# - the upgrade in place from the previous release (RELEASES) on the coordinator reaches
#   the workers, keeping links and clicks; DROP EXTENSION shortlink on the coordinator
#   drops it on the workers too.
set -euo pipefail
C_DIR=$1 C_PORT=$2 W1_DIR=$3 W1_PORT=$4 W2_DIR=$5 W2_PORT=$6
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_BIN=${PG_BIN:?PG_BIN names the PostgreSQL that runs the nodes}
# The regression suite names its database (17_bot_rules.sql runs psql -d shortlink_regress).
DB=shortlink_regress

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1 ($3)"; passed=$((passed + 1));
    else echo "FAIL $1: want $2, got $3"; failed=$((failed + 1)); fi
}
# on DIR PORT PSQL_ARGS…: psql on one node.
on() { local dir=$1 port=$2; shift 2; "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
coord() { on "$C_DIR" "$C_PORT" -d "$DB" "$@"; }
w1() { on "$W1_DIR" "$W1_PORT" -d "$DB" "$@"; }
w2() { on "$W2_DIR" "$W2_PORT" -d "$DB" "$@"; }
say() { printf '\n==> %s\n' "$*"; }
# everywhere SQL: its answer on the coordinator, worker 1 and worker 2.
everywhere() { echo "$(coord -c "$1") $(w1 -c "$1") $(w2 -c "$1")"; }
EXTVERSION="SELECT coalesce(max(extversion), 'none') FROM pg_extension WHERE extname = 'shortlink'"

say "the cluster"
# Citus keeps its metadata per database: the database and the extension on every node.
for node in "$C_DIR $C_PORT" "$W1_DIR $W1_PORT" "$W2_DIR $W2_PORT"; do
    # shellcheck disable=SC2086
    on $node -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    # shellcheck disable=SC2086
    on $node -d "$DB" -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus"
done
coord -c "SELECT citus_set_coordinator_host('127.0.0.1', $C_PORT)" >/dev/null
coord -c "SELECT citus_add_node('127.0.0.1', $W1_PORT)" -c "SELECT citus_add_node('127.0.0.1', $W2_PORT)" >/dev/null
check "Citus on the coordinator and both workers" "13.2.2 13.2.2 13.2.2" \
    "$(everywhere "SELECT substring(citus_version() FROM 'Citus ([0-9.]+)')")"
check "each node preloads citus first, then shortlink" "citus,shortlink" "$(w2 -c "SHOW shared_preload_libraries")"
check "two active workers" "127.0.0.1:$W1_PORT 127.0.0.1:$W2_PORT" \
    "$(coord -c "SELECT string_agg(node_name || ':' || node_port, ' ' ORDER BY node_port) FROM citus_get_active_worker_nodes()")"

say "CREATE EXTENSION shortlink on the coordinator"
coord -c "SET client_min_messages = warning" -c "CREATE EXTENSION shortlink"
version=$(coord -c "$EXTVERSION")
check "propagated to both workers at the coordinator's version" "$version $version $version" "$(everywhere "$EXTVERSION")"
check "no shortlink table in Citus's metadata: all local to the coordinator" 0 \
    "$(coord -c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'shortlink.%'")"
refused=$(coord -c "SELECT create_distributed_table('shortlink.links', 'code')" 2>&1 || true)
check "Citus refuses to distribute shortlink.links as it stands" yes \
    "$(grep -q 'ERROR:  cannot distribute relation "links"' <<<"$refused" && echo yes || echo "no: $refused")"
echo "     Citus says: $(grep -m1 ERROR <<<"$refused")"
check "links still local after the refusal" 0 \
    "$(coord -c "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'shortlink.links'::regclass")"

say "a distributed table of the user's own beside shortlink's tables"
coord -c "CREATE TABLE public.campaign_rows (id bigint, phone text, code text)" \
      -c "SET client_min_messages = warning" \
      -c "SELECT create_distributed_table('public.campaign_rows', 'id', shard_count := 4)" >/dev/null
coord -c "SELECT FROM generate_series(1, 20) i, LATERAL shortlink.shorten('https://example.com/offer/' || i, jsonb_build_object('code', 'citus-' || i))" >/dev/null
coord -c "INSERT INTO public.campaign_rows SELECT i, '+6140000000' || i, 'citus-' || i FROM generate_series(1, 20) i"
check "the campaign table's 4 shards are on the two workers" "2 2" \
    "$(coord -c "SELECT string_agg(n::text, ' ' ORDER BY nodeport) FROM (SELECT nodeport, count(*) n FROM citus_shards WHERE table_name = 'public.campaign_rows'::regclass GROUP BY nodeport) s WHERE nodeport IN ($W1_PORT, $W2_PORT)")"
check "campaign rows on the workers joined with their links on the coordinator" 20 \
    "$(coord -c "WITH r AS MATERIALIZED (SELECT id, code FROM public.campaign_rows) SELECT count(*) FROM r JOIN shortlink.links l ON l.code = r.code")"
check "a click recorded for each row read from the workers" 20 \
    "$(coord -c "WITH r AS MATERIALIZED (SELECT code FROM public.campaign_rows) SELECT count(*) FROM r, LATERAL shortlink.record_click(r.code) c WHERE c.status = 'ok'")"
check "each of those links counts one click" "20|20" \
    "$(coord -c "SELECT count(*), sum(s.clicks) FROM generate_series(1, 20) i, LATERAL shortlink.stats('citus-' || i) s WHERE s.clicks = 1")"
inside=$(coord -c "BEGIN" \
      -c "SELECT FROM shortlink.shorten_many((SELECT jsonb_agg(jsonb_build_object('url', 'https://example.com/rolled-back/' || i)) FROM generate_series(1, 50) i))" \
      -c "INSERT INTO public.campaign_rows SELECT i, '+6149999999', 'rolled-back' FROM generate_series(1000, 1049) i" \
      -c "SELECT (SELECT count(*) FROM shortlink.links WHERE url LIKE 'https://example.com/rolled-back/%') || ' ' || (SELECT count(*) FROM public.campaign_rows WHERE code = 'rolled-back')" \
      -c "ROLLBACK")
check "inside the transaction: 50 links on the coordinator, 50 campaign rows on the workers" "50 50" "$inside"
check "a transaction of 50 links and 50 campaign rows rolled back: no link left" 0 \
    "$(coord -c "SELECT count(*) FROM shortlink.links WHERE url LIKE 'https://example.com/rolled-back/%'")"
check "and no campaign row on any worker" 0 \
    "$(coord -c "SELECT count(*) FROM public.campaign_rows WHERE code = 'rolled-back'")"

say "the SQL regression suite on the coordinator, Citus's hooks on every statement"
coord -c "SET client_min_messages = warning" -c "DROP EXTENSION shortlink CASCADE" -c "DROP TABLE public.campaign_rows"
OUT=$ROOT/target/citus-regress-out
rm -rf "$OUT" && mkdir -p "$OUT"
PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
tests=$(cd "$ROOT/tests/pg_regress/sql" && ls *.sql | sed 's/\.sql$//')
# The suite's own DDL (roles, functions and databases it makes to attack and check
# shortlink) is the coordinator's alone: Citus would propagate it to the workers, as it
# would a user's, and connect there as roles that exist only on the coordinator. Planning
# and execution are Citus's hooks' as in the rest of this suite.
# Citus adds its own notices (tests/citus/citus_notices.txt) where the suite makes roles
# and databases, and a hooked click plans its event statement under Citus
# (tests/citus/regress.diff): pg_regress's own verdict is set aside, and each result, less
# those notices, must be the expected output with that patch.
# shellcheck disable=SC2086
PGOPTIONS="-c citus.enable_ddl_propagation=off -c citus.enable_create_role_propagation=off" \
    "$PG_REGRESS" --use-existing --bindir="$PG_BIN" --host="$C_DIR" --port="$C_PORT" --user=postgres \
    --dbname="$DB" --inputdir="$ROOT/tests/pg_regress" --outputdir="$OUT" $tests >"$OUT/summary" 2>&1 || true
mkdir -p "$OUT/expected-citus" "$OUT/filtered"
cp "$ROOT"/tests/pg_regress/expected/*.out "$OUT/expected-citus/"
patch -s -p1 -d "$OUT/expected-citus" <"$HERE/regress.diff"
differing=
for t in $tests; do
    grep -vxF -f "$HERE/citus_notices.txt" "$OUT/results/$t.out" >"$OUT/filtered/$t.out" || true
    diff -u "$OUT/expected-citus/$t.out" "$OUT/filtered/$t.out" >>"$OUT/citus.diffs" || differing+=" $t"
done
[ -z "$differing" ] || head -150 "$OUT/citus.diffs"
check "pg_regress on the coordinator: all $(wc -w <<<"$tests") files as expected (but for Citus's notices and tests/citus/regress.diff)" \
    "" "$differing"

say "exact counts from 32 connections on the coordinator"
if "$ROOT/tests/concurrency/run.sh" "$C_DIR" "$C_PORT" "$DB" >"$OUT/concurrency" 2>&1; then
    sed 's/^/     /' "$OUT/concurrency" | grep -E '^     (ok|FAIL)' | head -20
    check "tests/concurrency/run.sh on the coordinator" passed passed
else
    cat "$OUT/concurrency"
    check "tests/concurrency/run.sh on the coordinator" passed failed
fi

say "a worker killed while the coordinator's links are clicked, then restarted"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
coord -c "CREATE TABLE public.outage_rows (id bigint)" -c "SET client_min_messages = warning" \
      -c "SELECT create_distributed_table('public.outage_rows', 'id', shard_count := 4)" \
      -c "INSERT INTO public.outage_rows SELECT generate_series(1, 100)" \
      -c "SELECT FROM shortlink.shorten('https://example.com/outage', '{\"code\": \"citus-outage\"}')" >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$W2_DIR/data" -m immediate -w stop >/dev/null
echo "SELECT status FROM shortlink.record_click('citus-outage');" >"$OUT/outage.sql"
acknowledged=$("$PG_BIN/pgbench" -n -h "$C_DIR" -p "$C_PORT" -U postgres -c 8 -j 2 -t 100 -f "$OUT/outage.sql" "$DB" 2>&1 |
    sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
check "800 clicks acknowledged from 8 connections with worker 2 down" 800 "$acknowledged"
check "all counted" 800 "$(coord -c "SELECT clicks FROM shortlink.stats('citus-outage')")"
check "while the cluster's own table on that worker cannot be read" refused \
    "$(coord -c "SELECT count(*) FROM public.outage_rows" >/dev/null 2>&1 && echo read || echo refused)"
as_pg "$PG_BIN/pg_ctl" -D "$W2_DIR/data" -l "$W2_DIR/server.log" -w -t 60 start >/dev/null
check "worker 2 back: the cluster's table reads whole again" 100 "$(coord -c "SELECT count(*) FROM public.outage_rows")"
check "and the clicks are all still counted" 800 "$(coord -c "SELECT clicks FROM shortlink.stats('citus-outage')")"
coord -c "DROP TABLE public.outage_rows"

say "upgrade in place on the cluster, then DROP EXTENSION"
coord -c "SET client_min_messages = warning" -c "DROP EXTENSION shortlink CASCADE"
# The release before this one (RELEASES): created at that version on the coordinator,
# propagated, filled, then ALTER EXTENSION … UPDATE there.
previous=$(grep -v '^#' "$ROOT/RELEASES" | awk -v cur="$version" 'NF && $1 != cur {v = $1} END {print v}')
coord -c "SET client_min_messages = warning" -c "CREATE EXTENSION shortlink VERSION '$previous'"
check "created at $previous on the coordinator and both workers" "$previous $previous $previous" "$(everywhere "$EXTVERSION")"
coord -c "SELECT FROM generate_series(1, 10) i, LATERAL shortlink.shorten('https://example.com/up/' || i, jsonb_build_object('code', 'up-' || i))" \
      -c "SELECT FROM generate_series(1, 10) i, LATERAL shortlink.record_click('up-' || i)" >/dev/null
coord -c "ALTER EXTENSION shortlink UPDATE"
check "updated to $version on the coordinator and both workers" "$version $version $version" "$(everywhere "$EXTVERSION")"
check "the links and their clicks kept across the update" "10|10" \
    "$(coord -c "SELECT count(*), sum(s.clicks) FROM generate_series(1, 10) i, LATERAL shortlink.stats('up-' || i) s")"
check "a click after the update counts on" "ok|2" \
    "$(coord -c "SELECT c.status, s.clicks FROM shortlink.record_click('up-1') c, LATERAL shortlink.stats('up-1') s")"
coord -c "SET client_min_messages = warning" -c "DROP EXTENSION shortlink CASCADE"
check "DROP EXTENSION: gone from the coordinator and both workers" "none none none" "$(everywhere "$EXTVERSION")"

echo
echo "citus: $passed passed, $failed failed"
[ "$failed" = 0 ]
