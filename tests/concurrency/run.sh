#!/usr/bin/env bash
# Many real connections at once (pgbench), against a running cluster:
#   run.sh HOST PORT DBNAME
# - a link with max_clicks N, clicked from 32 connections far more than N times, a third
#   of the clicking transactions rolling back, ends with exactly N clicks and N click
#   events;
# - a link without max_clicks, clicked K times from 32 connections, ends with exactly K;
# - shortlink.maintain() beside clicks: no click lost, and rollups held back by a
#   transaction that could still add clicks.
# The races that two sessions can pin step by step (a domain deleted during shorten(), two
# maintain() runs at once) are isolation specs: tests/isolation.
set -euo pipefail
HOST=$1 PORT=$2 DB=$3
HERE=$(cd "$(dirname "$0")" && pwd)
PG_BIN=${PG_BIN:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)}
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d "$DB" "$@"; }
pgbench() { "$PG_BIN/pgbench" -n -h "$HOST" -p "$PORT" -U postgres "$@" "$DB"; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1 ($3)"; passed=$((passed + 1));
    else echo "FAIL $1: want $2, got $3"; failed=$((failed + 1)); fi
}

N=100
psql -c "DELETE FROM shortlink.links WHERE code IN ('conc-limited', 'conc-viral', 'conc-hook')"
psql -c "SELECT FROM shortlink.shorten('https://example.com/limited', '{\"code\": \"conc-limited\", \"max_clicks\": $N}')"
psql -c "SELECT FROM shortlink.shorten('https://example.com/viral', '{\"code\": \"conc-viral\"}')"

# 32 connections x 25 clicks = 800 attempts, about 530 committed, on a link that allows
# 100.
pgbench -c 32 -j 2 -t 25 -f "$HERE/click_limited.sql" >/tmp/shortlink-pgbench-limited.log 2>&1 \
    || { cat /tmp/shortlink-pgbench-limited.log; exit 1; }
check "max_clicks $N from 32 connections, rollbacks: clicks" "$N" "$(psql -c "SELECT clicks FROM shortlink.stats('conc-limited')")"
check "max_clicks $N from 32 connections, rollbacks: click events" "$N" \
    "$(psql -c "SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'conc-limited'")"

# 32 connections x 50 clicks = 1600 clicks on an unlimited link.
K=$((32 * 50))
pgbench -c 32 -j 2 -t 50 -f "$HERE/click_viral.sql" >/tmp/shortlink-pgbench-viral.log 2>&1 \
    || { cat /tmp/shortlink-pgbench-viral.log; exit 1; }
check "unlimited link from 32 connections: clicks" "$K" "$(psql -c "SELECT clicks FROM shortlink.stats('conc-viral')")"
check "unlimited link from 32 connections: click events" "$K" \
    "$(psql -c "SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'conc-viral'")"
grep -E '^tps' /tmp/shortlink-pgbench-viral.log | sed 's/^/     viral link, 32 connections: /' || true

# A click of a link with a callback NOTIFYs shortlink_events, delivered to a listener on
# another connection once the clicking transaction commits.
psql -c "SELECT FROM shortlink.shorten('https://example.com/hook', '{\"code\": \"conc-hook\", \"callback_url\": \"https://hooks.example/cb\"}')" >/dev/null
listen_out=$(mktemp)
"$PG_BIN/psql" -X -h "$HOST" -p "$PORT" -U postgres -d "$DB" \
    -c "LISTEN shortlink_events" -c "SELECT pg_sleep(3)" -c "SELECT 1" >"$listen_out" 2>&1 &
listener=$!
sleep 1
psql -c "SELECT status FROM shortlink.record_click('conc-hook')" >/dev/null
wait "$listener"
event_id=$(psql -c "SELECT o.id FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'conc-hook'")
got=$(grep -c "notification \"shortlink_events\" with payload \"$event_id\" received" "$listen_out" || true)
rm -f "$listen_out"
# The payload is the outbox event's id and nothing else: no code, no URL for whoever LISTENs.
check "callback click notifies a listener on another connection with only the event id" 1 "$got"
check "callback click leaves one outbox row" 1 \
    "$(psql -c "SELECT count(*) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'conc-hook'")"

# Many hooked clicks at once wake the dispatcher far fewer times than they click (with
# shortlink preloaded, one notification per database per 50 ms: src/wake_gate.rs), and
# every click still writes its event. A click in a transaction that rolls back neither
# notifies nor keeps the next committed click from notifying.
listen_out=$(mktemp)
"$PG_BIN/psql" -X -h "$HOST" -p "$PORT" -U postgres -d "$DB" \
    -c "LISTEN shortlink_events" -c "SELECT pg_sleep(8)" -c "SELECT 1" >"$listen_out" 2>&1 &
listener=$!
sleep 1
started=$(date +%s%N)
pgbench -c 16 -j 2 -t 25 -f "$HERE/click_hooked.sql" >/tmp/shortlink-pgbench-hooked.log 2>&1 \
    || { cat /tmp/shortlink-pgbench-hooked.log; exit 1; }
sleep 0.2
psql -c "BEGIN" -c "SELECT status FROM shortlink.record_click('conc-hook')" -c "ROLLBACK" >/dev/null
psql -c "SELECT status FROM shortlink.record_click('conc-hook')" >/dev/null
burst_ms=$((($(date +%s%N) - started) / 1000000))
wait "$listener"
last_id=$(psql -c "SELECT max(o.id) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'conc-hook'")
notified=$(grep -c 'notification "shortlink_events"' "$listen_out" || true)
last_notified=$(grep -c "notification \"shortlink_events\" with payload \"$last_id\" received" "$listen_out" || true)
rm -f "$listen_out"
check "400 hooked clicks from 16 connections: 400 events more" 402 \
    "$(psql -c "SELECT count(*) FROM shortlink.outbox o JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'conc-hook'")"
check "… and one delivery each" 402 \
    "$(psql -c "SELECT count(*) FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id = d.event_id JOIN shortlink.links l ON l.id = o.link_id WHERE l.code = 'conc-hook'")"
check "… waking the dispatcher at least once and at most once per 50 ms ($burst_ms ms), not once per click" t \
    "$([ "$notified" -ge 2 ] && [ "$notified" -le $((burst_ms / 50 + 2)) ] && [ "$notified" -lt 200 ] && echo t || echo "f ($notified notifications)")"
[ "$burst_ms" -lt 6500 ] || echo "note: the burst took $burst_ms ms, near the listener's 8 s"
check "a committed click after a rolled-back one notifies, with its own event id" 1 "$last_notified"

# Generated codes from 16 connections in a space of 10^3 codes (then 10^4): links of the same code
# made at the same moment (the direct insert's ON CONFLICT DO NOTHING, src/link_insert.rs)
# give way and try another code; no connection sees an error, every link is made once.
psql -c "DELETE FROM shortlink.links WHERE domain = 'codes.example'" -c "DELETE FROM shortlink.domains WHERE domain = 'codes.example'"
psql -c "SELECT FROM shortlink.add_domain('codes.example')"
echo "SELECT FROM shortlink.shorten('https://example.com/codes', '{\"domain\": \"codes.example\", \"length\": 3}');" \
    >/tmp/shortlink-codes.sql
PGOPTIONS="-c shortlink.alphabet=0123456789" \
    pgbench -c 16 -j 2 -t 100 -f /tmp/shortlink-codes.sql >/tmp/shortlink-pgbench-codes.log 2>&1 \
    || { cat /tmp/shortlink-pgbench-codes.log; exit 1; }
check "generated codes from 16 connections: links made, each code once" "1600|1600" \
    "$(psql -c "SELECT count(*) || '|' || count(DISTINCT code) FROM shortlink.links WHERE domain = 'codes.example'")"
check "generated codes from 16 connections: no failed transaction" 0 \
    "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' /tmp/shortlink-pgbench-codes.log)"

# A backend keeps what it last read of a domain and a destination's host across
# transactions (src/link_row.rs), until domains or blocked_hosts change: a change another
# connection commits is heard of by the next link. One session creates links, and between
# them (psql's \! waits) another connection blocks the destination's host, registers the
# destination's host as a short domain, removes the domain and registers it again.
psql -c "DELETE FROM shortlink.links WHERE domain IN ('kept.example', 'kept-site.example')" \
    -c "DELETE FROM shortlink.domains WHERE domain IN ('kept.example', 'kept-site.example')" \
    -c "SELECT shortlink.unblock_host('blocked-later.example')" >/dev/null
psql -c "SELECT FROM shortlink.add_domain('kept.example')"
other="$PG_BIN/psql -X -q -tA -h $HOST -p $PORT -U postgres -d $DB"
kept_out=$("$PG_BIN/psql" -X -q -tA -h "$HOST" -p "$PORT" -U postgres -d "$DB" 2>&1 <<SQL || true
SELECT 'made 1' FROM shortlink.shorten('https://blocked-later.example/a', '{"domain": "kept.example"}');
SELECT 'made 2' FROM shortlink.shorten('https://blocked-later.example/a', '{"domain": "kept.example"}');
\! $other -c "SELECT FROM shortlink.block_host('blocked-later.example')"
SELECT 'made 3' FROM shortlink.shorten('https://blocked-later.example/a', '{"domain": "kept.example"}');
SELECT 'made 4' FROM shortlink.shorten('https://kept-site.example/a', '{"domain": "kept.example"}');
\! $other -c "SELECT FROM shortlink.add_domain('kept-site.example')"
SELECT 'made 5' FROM shortlink.shorten('https://kept-site.example/a', '{"domain": "kept.example"}');
\! $other -c "DELETE FROM shortlink.links WHERE domain = 'kept.example'" -c "DELETE FROM shortlink.domains WHERE domain = 'kept.example'"
SELECT 'made 6' FROM shortlink.shorten('https://example.com/a', '{"domain": "kept.example"}');
\! $other -c "SELECT FROM shortlink.add_domain('kept.example')"
SELECT 'made 7' FROM shortlink.shorten('https://example.com/a', '{"domain": "kept.example"}');
SQL
)
check "kept domain answers: links made before and after the changes" "made 1|made 2|made 4|made 7" \
    "$(grep '^made' <<<"$kept_out" | paste -sd'|')"
check "kept domain answers: a host blocked by another connection is refused at once" 1 \
    "$(grep -c 'host "blocked-later.example" is blocked' <<<"$kept_out" || true)"
check "kept domain answers: a host registered as a short domain by another connection is refused" 1 \
    "$(grep -c 'host "kept-site.example" is a short-link domain' <<<"$kept_out" || true)"
check "kept domain answers: a domain another connection removed is unregistered" 1 \
    "$(grep -c 'domain "kept.example" is not registered' <<<"$kept_out" || true)"
psql -c "SELECT shortlink.unblock_host('blocked-later.example')" >/dev/null

# A backend remembers where the links it read live (src/link_row.rs). Another connection
# deletes them and VACUUM cuts their pages off the table: the next read of one is not an
# error, it finds the link gone. (Once VACUUM has committed, its invalidation of the table
# makes the backend forget the places. The moment between its truncation and its commit,
# where the page check of fetch_at is what keeps a read off a page that is gone, cannot be
# held open from a test: VACUUM runs in no transaction block.)
# VACUUM FULL first leaves no free space in the table, so the new links fill its last pages
# rather than holes earlier tests left. VACUUM cuts pages off only when no snapshot
# (autovacuum's ANALYZE of the same table, say) still needs the deleted rows, so the other
# connection runs it until the link's page is gone, for at most 10 s.
cat >/tmp/shortlink-vacuum-tail.sh <<SH
$other -c "DELETE FROM shortlink.links WHERE code LIKE 'ctail%'"
for _ in \$(seq 20); do
    $other -c "VACUUM shortlink.links"
    [ "\$($other -c "SELECT pg_relation_size('shortlink.links') <= \$TAIL_PAGE * current_setting('block_size')::bigint")" = t ] && break
    sleep 0.5
done
SH
tail_out=$("$PG_BIN/psql" -X -q -tA -h "$HOST" -p "$PORT" -U postgres -d "$DB" 2>&1 <<SQL || true
VACUUM FULL shortlink.links;
SELECT count(*) FROM generate_series(1, 2000) g,
     LATERAL shortlink.shorten('https://example.com/ctail/' || g, jsonb_build_object('code', 'ctail' || g));
SELECT 'remembered ' || shortlink.resolve('ctail2000');
SELECT (ctid::text::point)[0]::bigint AS tail_page FROM shortlink.links WHERE code = 'ctail2000' \gset
\setenv TAIL_PAGE :tail_page
\! sh /tmp/shortlink-vacuum-tail.sh
SELECT 'truncated ' || (pg_relation_size('shortlink.links') <= :tail_page * current_setting('block_size')::bigint);
SELECT 'gone ' || (shortlink.resolve('ctail2000') IS NULL);
SELECT 'click ' || status FROM shortlink.record_click('ctail2000');
SQL
)
check "a link read before another connection's VACUUM cut its page off" \
    "remembered https://example.com/ctail/2000|truncated true|gone true|click not_found" \
    "$(grep -E '^(remembered|truncated|gone|click) ' <<<"$tail_out" | paste -sd'|')"

# The shared place memo (src/shared_places.rs) under racing writers: 8 connections read
# 64 links at random while others update them (each update moves the row, and its place),
# so the memo's slots are rewritten while they are read, and a read may find another
# link's place. Every read must still give its own link's URL: a wrong or missing one
# divides by zero and aborts the run.
psql -c "DELETE FROM shortlink.links WHERE code LIKE 'conc-place-%'"
psql -c "SELECT count(*) FROM generate_series(1, 64) g,
    LATERAL shortlink.shorten('https://example.com/place/' || g || '/0', jsonb_build_object('code', 'conc-place-' || g))" >/dev/null
cat >/tmp/shortlink-place-read.sql <<'SQL'
\set n random(1, 64)
SELECT 1 / coalesce(shortlink.resolve('conc-place-' || :n) LIKE 'https://example.com/place/' || :n || '/%', false)::int;
SELECT 1 / coalesce((SELECT location FROM shortlink.record_click('conc-place-' || :n)) LIKE 'https://example.com/place/' || :n || '/%', false)::int;
SQL
cat >/tmp/shortlink-place-update.sql <<'SQL'
\set n random(1, 64)
\set v random(1, 1000000)
UPDATE shortlink.links SET url = 'https://example.com/place/' || :n || '/' || :v WHERE code = 'conc-place-' || :n;
SQL
pgbench -c 8 -j 2 -t 400 -f /tmp/shortlink-place-read.sql@4 -f /tmp/shortlink-place-update.sql@1 \
    >/tmp/shortlink-pgbench-places.log 2>&1 || { cat /tmp/shortlink-pgbench-places.log; exit 1; }
check "shared place memo: 3,200 reads and updates from 8 connections, no failed transaction" 0 \
    "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' /tmp/shortlink-pgbench-places.log)"
check "shared place memo: every link still resolves to its own latest URL" 64 \
    "$(psql -c "SELECT count(*) FROM shortlink.links WHERE code LIKE 'conc-place-%' AND shortlink.resolve(code) = url")"
psql -c "DELETE FROM shortlink.links WHERE code LIKE 'conc-place-%'"

# maintain() while 32 connections click: every click is counted, in click_stats too.
psql -c "DELETE FROM shortlink.links WHERE code = 'conc-maintained'"
psql -c "SELECT FROM shortlink.shorten('https://example.com/maintained', '{\"code\": \"conc-maintained\"}')"
sed 's/conc-viral/conc-maintained/' "$HERE/click_viral.sql" >/tmp/shortlink-click-maintained.sql
pgbench -c 32 -j 2 -t 50 -f /tmp/shortlink-click-maintained.sql >/tmp/shortlink-pgbench-maintained.log 2>&1 &
clicks=$!
# Each run moves the clicks appended so far from click_log into the counters, while
# more are appended: none may be counted twice or lost.
counted=0
for _ in 1 2 3 4 5; do
    n=$(psql -c "SELECT shortlink.maintain() ->> 'clicks_counted'")
    counted=$((counted + ${n:-0}))
    sleep 0.2
done
wait "$clicks" || { cat /tmp/shortlink-pgbench-maintained.log; exit 1; }
check "clicks during maintain(): some added up while clicks were made" 1 "$((counted > 0))"
check "clicks during maintain(): stats" "$K" "$(psql -c "SELECT clicks FROM shortlink.stats('conc-maintained')")"
check "clicks during maintain(): counters plus click_log" "$K" \
    "$(psql -c "SELECT (SELECT coalesce(sum(clicks), 0) FROM shortlink.click_counts WHERE link_id = shortlink.link_id('conc-maintained')) + (SELECT count(*) FROM shortlink.click_log WHERE link_id = shortlink.link_id('conc-maintained'))")"
check "clicks during maintain(): click_stats" "$K" \
    "$(psql -c "SELECT clicks FROM shortlink.click_stats('conc-maintained') WHERE dimension = 'total'")"
check "clicks during maintain(): none in the default partition" 0 \
    "$(psql -c "SELECT count(*) FROM shortlink.click_events_default")"

# A click is stamped with its transaction's start: while a transaction that began before
# an hour's end is open, that hour is not rolled up.
"$PG_BIN/psql" -X -q -tA -h "$HOST" -p "$PORT" -U postgres -d "$DB" \
    -c "BEGIN" -c "SELECT now()" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
open_xact=$!
sleep 1
check "an open transaction holds the rollup horizon at its start's hour" t \
    "$(psql -c "SELECT shortlink.rollup_horizon('infinity') = (SELECT date_trunc('hour', a.xact_start, 'UTC') FROM pg_stat_activity a WHERE a.query = 'SELECT pg_sleep(2)' AND a.datname = current_database())")"
wait "$open_xact"
check "without one, every past hour can be rolled up" infinity "$(psql -c "SELECT shortlink.rollup_horizon('infinity')")"

echo "concurrency: $passed passed, $failed failed"
[ "$failed" = 0 ]
