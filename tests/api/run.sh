#!/usr/bin/env bash
# End-to-end: shortlink-server's HTTP API (/api/v1) on loopback against the test cluster,
# connected as a role that has only shortlink.grant_api() and grant_redirect(). Roles,
# workspaces, domains and keys are made here with psql as the superuser; then
# tests/api/test_api.py (Python's standard library only) checks the API through a real
# client, and schemathesis checks it against its own OpenAPI document, stateful phase
# included.
#   run.sh CLUSTER_DIR PORT DBNAME
set -euo pipefail
DIR=$1 PORT=$2 DB=$3
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

# The one place the schemathesis version is pinned (4.x reads OpenAPI 3.1). It goes into
# a folder of the project's own, one per version and Python, never into the system's Python.
SCHEMATHESIS_VERSION=4.32.5
# Per operation (the coverage phase takes every case the document defines whatever it is).
# On 2 cores against the debug server, with no failure to stop an operation early, 25 took
# 32 s and 100 took 84 s (2026-12-07): 50 keeps the run well under 3 minutes.
SCHEMATHESIS_MAX_EXAMPLES=${SHORTLINK_E2E_SCHEMATHESIS_EXAMPLES:-50}
# The seed is fixed so that a run can be repeated; another seed explores other cases
# (SHORTLINK_E2E_SCHEMATHESIS_SEED=7 tests/api/run.sh …), as CI's clean clone may.
SCHEMATHESIS_SEED=${SHORTLINK_E2E_SCHEMATHESIS_SEED:-1}

# The listeners' ports follow from the cluster's (25316: 18316, 19316 and 20316), and the
# run's files go into a folder named after it: scripts/test's run on its cluster and a run
# on another cluster at the same time neither meet on a port nor share a file.
API=127.0.0.1:${SHORTLINK_E2E_API_PORT:-$((18000 + PORT % 1000))}
LISTEN=127.0.0.1:${SHORTLINK_E2E_API_REDIRECT_PORT:-$((19000 + PORT % 1000))}
ADMIN=127.0.0.1:${SHORTLINK_E2E_API_ADMIN_PORT:-$((20000 + PORT % 1000))}
OUT=$ROOT/target/api-e2e-$PORT
# The listeners' limits under test (tests/api/test_api.py reads them from the environment);
# --max-connections is the redirect listener's, --api-max-connections the API's and the
# admin listener's, each.
HEADER_TIMEOUT=2
MAX_HEADER_BYTES=16384
MAX_CONNECTIONS=48
ROLE=sl_e2e_api
# The webhook receiver (tests/server/receiver.py) that Exotel-made links call back, and the
# key of the signatures the server's dispatcher puts on them.
HOOK_PORT=${SHORTLINK_E2E_API_HOOK_PORT:-$((21000 + PORT % 1000))}
WEBHOOK_SECRET=e2e-api-webhook-secret
# The dashboard's first owner (tests/browser/dashboard.test.mjs), and where its screenshots go.
DASH_PASSWORD=dashboard-owner-$RANDOM$RANDOM
SCREENSHOTS=$ROOT/target/dashboard-screenshots

PSQL=("$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d "$DB")
psql() { "${PSQL[@]}" "$@"; }

say "building shortlink-server"
BIN=$(build_server)

say "roles, workspaces, domains and API keys (psql as postgres)"
# Links and domains of earlier runs go first: the counts below start from nothing. Key
# names carry the run's time, so no name of an earlier run is in the way.
RUN=$(date +%s)
psql >/dev/null <<SQL
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN;
    END IF;
END \$\$;
SELECT shortlink.grant_api('$ROLE');
SELECT shortlink.grant_redirect('$ROLE');
-- The server delivers the click callbacks of the links made here (Exotel's, to the receiver).
SELECT shortlink.grant_dispatcher('$ROLE');
SELECT shortlink.add_workspace(w) FROM unnest(ARRAY['e2e_a', 'e2e_b', 'e2e_fuzz', 'exotel', 'trackly', 'e2e_dash']) w
WHERE NOT EXISTS (SELECT 1 FROM shortlink.workspaces s WHERE s.name = w);
DELETE FROM shortlink.links WHERE domain IN (
    SELECT d.domain FROM shortlink.domains d JOIN shortlink.workspaces w ON w.id = d.workspace_id
    WHERE w.name IN ('e2e_a', 'e2e_b', 'e2e_fuzz', 'exotel', 'trackly', 'e2e_dash'));
DELETE FROM shortlink.sending_lists WHERE workspace_id IN (
    SELECT id FROM shortlink.workspaces WHERE name IN ('e2e_a', 'e2e_b', 'e2e_fuzz', 'exotel', 'trackly', 'e2e_dash'));
DELETE FROM shortlink.offers WHERE workspace_id IN (
    SELECT id FROM shortlink.workspaces WHERE name IN ('e2e_a', 'e2e_b', 'e2e_fuzz', 'exotel', 'trackly', 'e2e_dash'));
DELETE FROM shortlink.domains WHERE workspace_id IN (
    SELECT id FROM shortlink.workspaces WHERE name IN ('e2e_a', 'e2e_b', 'e2e_fuzz', 'exotel', 'trackly', 'e2e_dash'));
SELECT FROM shortlink.add_domain('go.a.test', '{"workspace": "e2e_a"}');
SELECT FROM shortlink.add_domain('go.a2.test', '{"workspace": "e2e_a"}');
SELECT FROM shortlink.add_domain('go.b.test', '{"workspace": "e2e_b"}');
SELECT FROM shortlink.add_domain('go.fuzz.test', '{"workspace": "e2e_fuzz"}');
-- Exotel's examples name the account "exotel": the workspace of that name.
SELECT FROM shortlink.add_domain('go.exotel.test', '{"workspace": "exotel"}');
SELECT FROM shortlink.add_domain('go.exotel2.test', '{"workspace": "exotel"}');
-- Trackly's examples answer links on yourdomain.com: the domain of workspace "trackly"'s
-- sending list 42 (tests/api/test_api.py makes the list and the offer through /api/v1).
SELECT FROM shortlink.add_domain('yourdomain.com', '{"workspace": "trackly"}');
-- The dashboard's workspace (tests/browser/dashboard.test.mjs): its first owner, made in
-- SQL as an operator makes one; the people of earlier runs go first.
DELETE FROM shortlink.users WHERE email LIKE '%@dash.test';
SELECT FROM shortlink.add_domain('go.dash.test', '{"workspace": "e2e_dash"}');
SELECT FROM shortlink.add_user('owner@dash.test', '$DASH_PASSWORD', 'e2e_dash', 'owner');
SQL

# key WORKSPACE NAME OPTS: one row of create_api_key as a JSON member "NAME": {...}.
keys_sql=
key() {
    keys_sql="${keys_sql:+$keys_sql UNION ALL }SELECT '$2' AS k, c.id, c.prefix, c.secret
        FROM shortlink.create_api_key('$1', '$2-$RUN', '$3') c"
}
# Keys meant to be used much get a rate limit the suite never reaches.
BIG='"rate_limit": 1000000'
key e2e_a a-admin "{$BIG}"
key e2e_b b-admin "{$BIG}"
key e2e_fuzz fuzz "{$BIG}"
key exotel exotel-admin "{$BIG}"
key trackly trackly-admin "{$BIG}"
# A key that may not make links: Trackly's product_not_enabled.
key trackly trackly-read "{$BIG, \"scopes\": [\"links:read\", \"sending:read\"]}"
key e2e_a a-rate '{"rate_limit": 5}'
key e2e_a a-domain2 "{$BIG, \"domains\": [\"go.a2.test\"]}"
key e2e_a a-own "{$BIG, \"own_links_only\": true}"
key e2e_a a-revoke "{$BIG}"
key e2e_a a-read-only "{$BIG, \"scopes\": [\"links:read\"]}"
# Write scopes alone: a write scope grants reading its resource (links:write reads links,
# domains:write reads domains), and nothing else.
key e2e_a a-write-only "{$BIG, \"scopes\": [\"links:write\", \"domains:write\"]}"
# One key per scope with every scope but that one: each endpoint refused for lack of it alone.
# A read scope is lacking only when its resource's write scope is too (the write scope
# grants the read), so a-no-links:read has no links:write either, a-no-domains:read no
# domains:write.
for scope in links:read links:write analytics:read domains:read domains:write sending:read sending:write keys:manage; do
    others=$(for s in links:read links:write analytics:read domains:read domains:write sending:read sending:write keys:manage; do
        [ "$s" = "$scope" ] || [ "$s" = "${scope%:read}:write" ] || printf '"%s",' "$s"; done)
    key e2e_a "a-no-$scope" "{$BIG, \"scopes\": [${others%,}]}"
done
mkdir -p "$OUT"
FIXTURES=$OUT/fixtures.json
psql -c "SELECT json_build_object(
    'domains', json_build_object('a', 'go.a.test', 'a2', 'go.a2.test', 'b', 'go.b.test', 'fuzz', 'go.fuzz.test'),
    'keys', (SELECT json_object_agg(k, json_build_object('id', id, 'prefix', prefix, 'secret', secret))
             FROM ($keys_sql) keys))" >"$FIXTURES"
chmod 600 "$FIXTURES"

check_role() {
    check "$ROLE without a key sees no link (SELECT count(*) FROM shortlink.links)" 0 \
        "$("$PG_BIN/psql" -X -q -tA -h "$DIR" -p "$PORT" -U "$ROLE" -d "$DB" \
            -c 'SELECT count(*) FROM shortlink.links' 2>&1)"
}

log=$OUT/server.log
secrets_seen=$(mktemp)
server= receiver=
cleanup() {
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true
    [ -n "$receiver" ] && kill -TERM "$receiver" 2>/dev/null || true
    rm -f "$secrets_seen"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want [$2], got [$3]"; failed=$((failed + 1)); fi
}

# A port another program holds would have this run's requests answered by it (another
# run's server refuses these keys with 401 everywhere): stop at once, naming it.
for addr in "$API" "$LISTEN" "$ADMIN" "127.0.0.1:$HOOK_PORT"; do
    if [ -n "$(ss -Htln "( sport = :${addr##*:} )")" ]; then
        check "port ${addr##*:} is free (SHORTLINK_E2E_API_PORT, _REDIRECT_PORT, _ADMIN_PORT, _HOOK_PORT choose others)" \
            free taken
        echo "API end-to-end: $passed passed, $failed failed"
        exit 1
    fi
done

hook_log=$OUT/hooks.log hook_bodies=$OUT/hooks.jsonl
: >"$hook_log"; : >"$hook_bodies"
python3 tests/server/receiver.py "$HOOK_PORT" "$hook_log" "$WEBHOOK_SECRET" --bodies "$hook_bodies" &
receiver=$!
say "starting shortlink-server (API on $API, RUST_LOG=trace)"
: >"$log"
RUST_LOG=${SHORTLINK_E2E_API_LOG:-trace} "$BIN" \
    --database-url "host=$DIR port=$PORT user=$ROLE dbname=$DB" \
    --api-listen "$API" --listen "$LISTEN" --admin-listen "$ADMIN" \
    --webhook-secret "$WEBHOOK_SECRET" --allow-private-webhooks --dispatch-poll-seconds 1 \
    --trusted-proxies 127.0.0.1/32 --country-header CF-IPCountry \
    --header-timeout-seconds "$HEADER_TIMEOUT" --max-header-bytes "$MAX_HEADER_BYTES" \
    --max-connections "$MAX_CONNECTIONS" --api-max-connections "$MAX_CONNECTIONS" >>"$log" 2>&1 &
server=$!
for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || break
    curl -s -m 1 -o /dev/null "http://$API/api/v1/openapi.json" && break
    sleep 0.2
done
check "the server is running" 1 "$(kill -0 "$server" 2>/dev/null && echo 1 || echo 0)"
if [ "$failed" != 0 ]; then
    server=
    echo "API end-to-end: $passed passed, $failed failed"
    echo "server log: $log (last 20 lines)"; tail -n 20 "$log"
    exit 1
fi
check_role

say "the API through a real client: tests/api/test_api.py"
api_rc=0
SL_API_URL=http://$API SL_REDIRECT_URL=http://$LISTEN SL_ADMIN_URL=http://$ADMIN \
    SL_FIXTURES=$FIXTURES SL_SECRETS_OUT=$secrets_seen SL_API_ROLE=$ROLE \
    SL_PSQL="$(printf '%s\n' "${PSQL[@]}")" SL_HEADER_TIMEOUT=$HEADER_TIMEOUT \
    SL_MAX_HEADER_BYTES=$MAX_HEADER_BYTES SL_MAX_CONNECTIONS=$MAX_CONNECTIONS \
    SL_SEEDS=${SHORTLINK_SEEDS:-$ROOT/../shared/seeds} \
    SL_HOOK_URL=http://127.0.0.1:$HOOK_PORT SL_HOOK_BODIES=$hook_bodies \
    timeout 900 python3 tests/api/test_api.py || api_rc=$?
check "tests/api/test_api.py passed" 0 "$api_rc"

say "Debian's Chromium: tests/browser (node --test, playwright-core; retargeting pixels, the dashboard with axe-core)"
# playwright-core and @axe-core/playwright at the versions package-lock.json pins, into
# tests/browser/node_modules.
browser_rc=0
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || browser_rc=$?
if [ "$browser_rc" = 0 ]; then
    SL_API_URL=http://$API SL_REDIRECT_URL=http://$LISTEN SL_FIXTURES=$FIXTURES \
        SL_DASH_EMAIL=owner@dash.test SL_DASH_PASSWORD=$DASH_PASSWORD SL_DASH_DOMAIN=go.dash.test \
        SL_SCREENSHOTS=$SCREENSHOTS \
        CHROMIUM=$(command -v chromium) timeout 600 node --test --test-concurrency=1 tests/browser/ || browser_rc=$?
fi
check "tests/browser passed (Chromium: pixels requested with the link's ids, the browser on the destination; the dashboard's workflow, axe-core 0 violations, screenshots in $SCREENSHOTS)" 0 "$browser_rc"

say "schemathesis $SCHEMATHESIS_VERSION against /api/v1/openapi.json (--checks all, stateful)"
ST_DIR=$ROOT/target/schemathesis-$SCHEMATHESIS_VERSION-py$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if ! PYTHONPATH=$ST_DIR python3 -c 'import schemathesis' 2>/dev/null; then
    say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $ST_DIR (once)"
    python3 -m pip install -q --disable-pip-version-check --no-warn-script-location \
        --root-user-action=ignore --target "$ST_DIR" "schemathesis==$SCHEMATHESIS_VERSION"
fi
FUZZ_SECRET=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["keys"]["fuzz"]["secret"])' "$FIXTURES")
FUZZ_KEY_ID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["keys"]["fuzz"]["id"])' "$FIXTURES")
REPORT=$OUT/schemathesis-report
rm -rf "$REPORT"
st_rc=0
# Its own workspace (e2e_fuzz, go.fuzz.test): whatever it creates or deletes touches no
# other test's data. --generation-database none: nothing written into the working tree.
# One worker: with two, hypothesis (which parses its lambdas' source with ast) failed at
# random in this machine's Python 3.11.7 with "AST constructor recursion depth mismatch",
# CPython's gh-106905, whose fix came after 3.11.7.
# tests/api/schemathesis.toml: the statuses a schema-valid request may get (409 and 422 too).
# tests/api/schemathesis_hooks.py: one Idempotency-Key per call (it says why).
(cd "$ROOT/target" && PYTHONPATH=$ST_DIR:$ROOT/tests/api SCHEMATHESIS_HOOKS=schemathesis_hooks \
    SL_FUZZ_KEY_ID=$FUZZ_KEY_ID \
    timeout 300 python3 -m schemathesis.cli \
    --config-file "$ROOT/tests/api/schemathesis.toml" run \
    "http://$API/api/v1/openapi.json" --checks all --phases examples,coverage,fuzzing,stateful \
    --header "Authorization: Bearer $FUZZ_SECRET" --header "X-Api-Key: $FUZZ_SECRET" --max-examples "$SCHEMATHESIS_MAX_EXAMPLES" \
    --workers 1 --request-timeout 30 --generation-database none --no-color \
    --output-sanitize true --seed "$SCHEMATHESIS_SEED" --report junit --report-dir "$REPORT") || st_rc=$?
check "schemathesis: no failure (its report above; junit in $REPORT)" 0 "$st_rc"

say "no secret in the server's log"
check "the server is still running after both" 1 "$(kill -0 "$server" 2>/dev/null && echo 1 || echo 0)"
kill -TERM "$server"
code=0; wait "$server" || code=$?
server=
check "the server exits 0 on SIGTERM" 0 "$code"
python3 -c 'import json, sys; [print(k["secret"]) for k in json.load(open(sys.argv[1]))["keys"].values()]' \
    "$FIXTURES" >>"$secrets_seen"
echo "$WEBHOOK_SECRET" >>"$secrets_seen"
sed -i '/^$/d' "$secrets_seen"
sort -u -o "$secrets_seen" "$secrets_seen"
check "secrets to look for (fixtures and those made through the API)" 1 \
    "$([ "$(wc -l <"$secrets_seen")" -gt 10 ] && echo 1 || echo 0)"
check "the log holds none of them ($(wc -l <"$log") lines at RUST_LOG=${SHORTLINK_E2E_API_LOG:-trace})" 0 \
    "$(grep -cF -f "$secrets_seen" "$log" || true)"
check "… nor anything shaped like a secret (sl_<8>_<43>)" 0 \
    "$(grep -cE 'sl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}' "$log" || true)"
check_role

echo "API end-to-end: $passed passed, $failed failed"
[ "$failed" = 0 ] || { echo "server log: $log (last 50 lines)"; tail -n 50 "$log"; exit 1; }
