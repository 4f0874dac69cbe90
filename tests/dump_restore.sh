#!/usr/bin/env bash
# pg_dump keeps users' data: dump a database that uses shortlink, restore it into a new
# one, and compare every table; then create a link in the copy (its sequences went along).
#   dump_restore.sh HOST PORT DBNAME
set -euo pipefail
HOST=$1 PORT=$2 DB=$3 COPY=${3}_restored
PG_BIN=${PG_BIN:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)}
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres "$@"; }
passed=0 failed=0
check() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want $2, got $3"; failed=$((failed + 1)); fi
}
# Workspaces, their members, the host blocklist and bot rules are users' data too.
psql -d "$DB" -c "CREATE ROLE sl_dump_app" 2>/dev/null || true
psql -d "$DB" -c "DELETE FROM shortlink.workspace_members" -c "DELETE FROM shortlink.blocked_hosts" \
    -c "DELETE FROM shortlink.workspaces WHERE name = 'dumped'" \
    -c "SELECT shortlink.add_workspace('dumped')" -c "SELECT shortlink.grant_workspace('dumped', 'sl_dump_app')" \
    -c "SELECT shortlink.block_host('blocked.example')" \
    -c "DELETE FROM shortlink.bot_rules" \
    -c "INSERT INTO shortlink.bot_rules (pattern, name) VALUES ('^dump-probe/', 'Dump probe')" >/dev/null
# Day partitions made by maintain() are ordinary tables to pg_dump; rollups are data too.
psql -d "$DB" -c "SELECT shortlink.maintain()" >/dev/null
# A click maintain() has not added up yet: click_log is users' data too.
psql -d "$DB" -c "SELECT shortlink.record_click(l.code, l.domain) FROM shortlink.links l ORDER BY l.id LIMIT 1" >/dev/null
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
"$PG_BIN/pg_dump" -h "$HOST" -p "$PORT" -U postgres -Fc -f "$dump" "$DB"
psql -d postgres -c "DROP DATABASE IF EXISTS $COPY" -c "CREATE DATABASE $COPY"
"$PG_BIN/pg_restore" -h "$HOST" -p "$PORT" -U postgres --exit-on-error -d "$COPY" "$dump"
# The install-time domain "localhost" and workspace "default" are made anew by CREATE
# EXTENSION, not restored.
check "a click not added up yet is in click_log" 1 "$(psql -d "$COPY" -c "SELECT (count(*) > 0)::int FROM shortlink.click_log")"
counts="SELECT md5(string_agg(l.code || ':' || k.clicks || ':' || k.bot_clicks, ',' ORDER BY l.id)) FROM shortlink.links l, shortlink.link_clicks(l.id) k"
check "pg_dump keeps every link's click counts" "$(psql -d "$DB" -c "$counts")" "$(psql -d "$COPY" -c "$counts")"
for t in workspaces workspace_members blocked_hosts bot_rules domains links click_counts click_log click_events click_rollups rollup_state outbox deliveries; do
    q="SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM shortlink.$t t"
    [ "$t" = domains ] && q="$q WHERE t.domain <> 'localhost'"
    [ "$t" = workspaces ] && q="$q WHERE t.id <> 0"
    check "pg_dump keeps shortlink.$t" "$(psql -d "$DB" -c "$q")" "$(psql -d "$COPY" -c "$q")"
done
partitions="SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'shortlink.click_events'::regclass"
check "pg_dump keeps the day partitions of click_events" "$(psql -d "$DB" -c "$partitions")" "$(psql -d "$COPY" -c "$partitions")"
check "maintain() runs on the restored database" 0 "$(psql -d "$COPY" -c "SELECT shortlink.maintain()->>'partitions_created'")"
before=$(psql -d "$COPY" -c "SELECT max(id) FROM shortlink.links")
after=$(psql -d "$COPY" -c "SELECT id FROM shortlink.shorten('https://example.com/after-restore')")
check "a link made after the restore gets a new id" true "$([ "$after" -gt "$before" ] && echo true || echo false)"
check "restored bot rules are in effect" "true|Dump probe" "$(psql -d "$COPY" -c "SELECT code FROM shortlink.shorten('https://example.com/probe', '{\"code\": \"dump-probe\"}')" >/dev/null;
    psql -d "$COPY" -c "SELECT status FROM shortlink.record_click('dump-probe', user_agent => 'Dump-Probe/1')" >/dev/null;
    psql -d "$COPY" -c "SELECT e.is_bot || '|' || e.bot FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'dump-probe'")"
psql -d postgres -c "DROP DATABASE $COPY"
psql -d "$DB" -c "DELETE FROM shortlink.workspace_members" -c "DELETE FROM shortlink.bot_rules" -c "DROP ROLE sl_dump_app"
echo "dump and restore: $passed passed, $failed failed"
[ "$failed" = 0 ]
