#!/usr/bin/env bash
# The upgrade test: every released version of shortlink (RELEASES) updates in place to the
# current one, keeping every row, and ends with the schema of a fresh install.
#   tests/upgrade.sh            (PG_CONFIG as for scripts/test)
# For each released version PREV:
# 1. checks that every script PREV's commit shipped in sql/ (its frozen install script,
#    the upgrade scripts before it) is unchanged, then builds PREV's library from that
#    commit (cached outside the tree, by commit, major and compiler) when PREV supports
#    this major; otherwise the current library serves PREV's frozen script, as it does
#    after a library upgrade;
# 2. in a throwaway cluster, installs PREV and fills a database with data of every kind
#    (tests/upgrade/roles.sql, fill.sql);
# 3. installs the current build over it and checks that the old schema still serves
#    redirects, clicks, new links and the autolink trigger, every row untouched;
# 4. runs ALTER EXTENSION shortlink UPDATE in one transaction, checks every row kept and
#    every count continuing, then runs the SQL regression suite on a second database
#    updated from PREV, and compares the updated schema with a fresh install's, object by
#    object (tests/upgrade/describe_schema.sql): a change to the SQL surface without its
#    upgrade script fails here.
# Leaves the current build installed.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
HERE=$ROOT/tests/upgrade
DIR=$ROOT/target/upgrade-cluster
PORT=${SHORTLINK_UPGRADE_PORT:-25318}
CUR=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
CACHE=${SHORTLINK_RELEASE_CACHE:-$HOME/.cache/shortlink/releases}
psql() { "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }

passed=0 failed=0
check() { # check NAME WANT GOT
    if [ "$2" = "$3" ]; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1: want $(head -c 400 <<<"$2"), got $(head -c 400 <<<"$3")"; failed=$((failed + 1)); fi
}
check_files() { # check_files NAME WANT_FILE GOT_FILE
    if cmp -s "$2" "$3"; then echo "ok   $1"; passed=$((passed + 1));
    else echo "FAIL $1:"; diff "$2" "$3" | head -40; failed=$((failed + 1)); fi
}
on_exit() { stop_cluster "$DIR"; }
trap on_exit EXIT

# Releases are built against the system's pg_config, whose paths their packages hold, and
# cached by major: the same build serves every copy of the installation (PG_TREE).
BUILD_PG_CONFIG=${SYSTEM_PG_CONFIG:-$PG_CONFIG}

# The library a release was built into, for this PostgreSQL: pgrx's package directory.
# build_release VERSION COMMIT → prints the package directory.
build_release() {
    local version=$1 commit=$2 key out src
    key=$version-$commit-pg$PG_MAJOR-$(rustc -V | tr -c 'A-Za-z0-9.\n' '_')-$(cargo pgrx --version | tr -c 'A-Za-z0-9.\n' '_')
    out=$CACHE/$key
    if [ ! -f "$out/done" ]; then
        say "building release $version ($commit) for PostgreSQL $PG_MAJOR (once; cached in $out)" >&2
        git cat-file -e "$commit^{commit}" 2>/dev/null || {
            echo "error: release $version's commit $commit is not in this clone (git fetch --tags?)" >&2; exit 1; }
        rm -rf "$out" && mkdir -p "$out/src"
        git archive "$commit" | tar -x -C "$out/src"
        # The same target directory as the current build: only shortlink's own crates
        # are compiled again.
        (cd "$out/src" && CARGO_TARGET_DIR=$ROOT/target/releases cargo pgrx package \
            --pg-config "$BUILD_PG_CONFIG" --out-dir "$out/package" --debug >&2)
        rm -rf "$out/src"
        touch "$out/done"
    fi
    echo "$out/package"
}

# install_package DIR: puts a pgrx package directory's files in place (the .so unlinked
# first, as install_extension does), below PG_TREE when the tests run from scripts/test's
# copy of the installation.
install_package() {
    (cd "$1" && find . -type f) | while read -r f; do
        as_root install -D -m "$([ "${f%.so}" != "$f" ] && echo 755 || echo 644)" "$1/$f" "${PG_TREE:-}/${f#./}"
    done
}

snapshot() { psql -d "$1" -f "$HERE/snapshot.sql"; }
clicks() { psql -d up_data -c "SELECT clicks FROM shortlink.stats('$1')"; }
status() { psql -d up_data -c "SELECT status FROM shortlink.record_click('$1')"; }

# Every C symbol that any shipped install or upgrade script names must be in the library:
# a database whose schema is older than the library calls them until it is updated.
say "every symbol of every shipped script is in the current library"
install_extension
so=$("$PG_CONFIG" --pkglibdir)/shortlink.so
missing=$(grep -ohE "'MODULE_PATHNAME', '[A-Za-z0-9_]+'|'\\\$libdir/shortlink', '[A-Za-z0-9_]+'" \
        "$("$PG_CONFIG" --sharedir)"/extension/shortlink--*.sql | sed -E "s/.*, '(.*)'/\1/" | sort -u |
    while read -r sym; do nm -D --defined-only "$so" | grep -qw "$sym" || echo "$sym"; done)
check "no C symbol of a shipped script is missing from shortlink.so" "" "$missing"

# Released versions: "VERSION COMMIT MAJORS" lines, oldest first.
grep -v '^#' RELEASES | while read -r prev commit majors; do
    [ -n "$prev" ] && [ "$prev" != "$CUR" ] || continue
    echo "$prev $commit $majors"
done >"$ROOT/target/upgrade-releases"
[ -s "$ROOT/target/upgrade-releases" ] || { echo "error: no released version in RELEASES"; exit 1; }

while read -r PREV commit majors; do
    say "upgrade from $PREV to $CUR on PostgreSQL $PG_MAJOR"
    check "sql/shortlink--$PREV.sql (the frozen install script) exists" yes \
        "$([ -f "sql/shortlink--$PREV.sql" ] && echo yes || echo no)"
    # A released script never changes: each one the release commit had is still the same.
    git cat-file -e "$commit^{commit}" 2>/dev/null || {
        echo "error: release $PREV's commit $commit is not in this clone" >&2; exit 1; }
    for f in $(git ls-tree --name-only "$commit" sql/ | grep -E '^sql/shortlink--.*\.sql$'); do
        check "$f is as released in $PREV" "$(git show "$commit:$f" | md5sum)" "$(md5sum <"$f" 2>/dev/null || echo missing)"
    done
    if [[ ",$majors," == *",$PG_MAJOR,"* ]]; then
        pkg=$(build_release "$PREV" "$commit")
        old_library="release $PREV's own library"
    else
        pkg=
        old_library="the current library (release $PREV has no build for PostgreSQL $PG_MAJOR)"
    fi

    stop_cluster "$DIR"
    as_root rm -rf "$DIR"
    [ -z "$pkg" ] || install_package "$pkg"
    start_cluster "$DIR" "$PORT"
    say "filling a database through $old_library and schema $PREV"
    for db in up_data shortlink_regress up_fresh; do psql -d postgres -c "CREATE DATABASE $db"; done
    for db in up_data shortlink_regress; do psql -d "$db" -c "CREATE EXTENSION shortlink VERSION '$PREV'"; done
    psql -d up_data -f "$HERE/roles.sql" >/dev/null
    psql -d up_data -f "$HERE/fill.sql" >"$ROOT/target/upgrade-fill.out"
    check "installed version is $PREV" "$PREV" "$(psql -d up_data -c "SELECT extversion FROM pg_extension WHERE extname = 'shortlink'")"
    # The fill has every kind of data (each of these fails if fill.sql stops making it).
    check "events in day partitions" t "$(psql -d up_data -c "SELECT count(*) > 0 FROM shortlink.click_events WHERE tableoid <> 'shortlink.click_events_default'::regclass")"
    check "events in the default partition" t "$(psql -d up_data -c "SELECT count(*) > 0 FROM shortlink.click_events_default")"
    check "rollups" t "$(psql -d up_data -c "SELECT count(*) > 0 FROM shortlink.click_rollups")"
    check "clicks counted in click_counts and waiting in click_log" t \
        "$(psql -d up_data -c "SELECT (SELECT count(*) FROM shortlink.click_counts) > 0 AND (SELECT count(*) FROM shortlink.click_log) > 0")"
    check "deliveries in every state" "dead,delivered,gone,pending" \
        "$(psql -d up_data -c "SELECT string_agg(DISTINCT state, ',' ORDER BY state) FROM shortlink.deliveries")"
    check "a delivery waiting for its retry" t "$(psql -d up_data -c "SELECT bool_or(state = 'pending' AND attempts > 0) FROM shortlink.deliveries")"
    check "workspaces" "acme,default" "$(psql -d up_data -c "SELECT string_agg(name, ',' ORDER BY name) FROM shortlink.workspaces")"
    before_clicks=$(clicks up-plain)
    before_limited=$(clicks up-limited)
    snapshot up_data >"$ROOT/target/upgrade-s1"

    say "the current build over schema $PREV"
    stop_cluster "$DIR"
    install_extension
    start_cluster "$DIR" "$PORT"
    snapshot up_data >"$ROOT/target/upgrade-s2"
    check_files "a new library changes no row" "$ROOT/target/upgrade-s1" "$ROOT/target/upgrade-s2"
    check "still version $PREV before the update" "$PREV" "$(psql -d up_data -c "SELECT extversion FROM pg_extension WHERE extname = 'shortlink'")"
    check "schema $PREV resolves" "https://example.com/plain" "$(psql -d up_data -c "SELECT shortlink.resolve('up-plain')")"
    check "schema $PREV redirects a click" "ok 302 https://example.com/plain" \
        "$(psql -d up_data -F ' ' -c "SELECT status, http_status, location FROM shortlink.record_click('up-plain', ip => '203.0.113.20', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0')")"
    check "schema $PREV counts on" "$((before_clicks + 1))" "$(clicks up-plain)"
    check "schema $PREV keeps the click limit (3rd of 3 ok)" ok "$(status up-limited)"
    check "schema $PREV: a 4th click of a 3-click link is exhausted" exhausted "$(status up-limited)"
    check "schema $PREV: a password still guards" password_required "$(status up-password)"
    check "schema $PREV: a disabled link stays disabled" disabled "$(status up-disabled)"
    check "schema $PREV makes links" t "$(psql -d up_data -c "SELECT url = 'https://example.com/new-old' FROM shortlink.shorten('https://example.com/new-old', '{\"code\": \"up-new-old\"}')")"
    check "schema $PREV makes links with options" "up-new-opts opts" "$(psql -d up_data -c "SELECT code FROM shortlink.shorten('https://example.com/new-opts', '{\"code\": \"up-new-opts\", \"title\": \"opts\"}')" -c "SELECT title FROM shortlink.get_link('up-new-opts')" | tr '\n' ' ' | sed 's/ $//')"
    check "schema $PREV changes links" "up-new-opts changed" "$(psql -d up_data -c "SELECT code FROM shortlink.update_link('up-new-opts', '{\"title\": \"changed\"}')" -c "SELECT title FROM shortlink.get_link('up-new-opts')" | tr '\n' ' ' | sed 's/ $//')"
    check "schema $PREV refuses an option of the newer schema (55000, until the update)" 55000 \
        "$(psql -d up_data -v VERBOSITY=verbose -c "SELECT shortlink.shorten('https://example.com/x', '{\"callback_format\": \"exotel\"}')" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
    check "schema $PREV: the autolink trigger links a new row" t \
        "$(psql -d up_data -c "INSERT INTO public.upgrade_campaigns (landing_url) VALUES ('https://example.com/c3') RETURNING short_url LIKE 'https://localhost/%'")"
    check "schema $PREV: a hooked click writes its deliveries" 3 \
        "$(psql -d up_data -c "SELECT status FROM shortlink.record_click('up-hooked')" >/dev/null;
           psql -d up_data -c "SELECT count(*) FROM shortlink.deliveries WHERE event_id = (SELECT max(id) FROM shortlink.outbox)")"
    snapshot up_data >"$ROOT/target/upgrade-s3"

    say "ALTER EXTENSION shortlink UPDATE: $PREV to $CUR"
    psql -d up_data -c "BEGIN" -c "ALTER EXTENSION shortlink UPDATE" -c "COMMIT"
    check "updated to $CUR" "$CUR" "$(psql -d up_data -c "SELECT extversion FROM pg_extension WHERE extname = 'shortlink'")"
    snapshot up_data >"$ROOT/target/upgrade-all-s4"
    # The tables of PREV, compared row for row; the tables the update adds, empty.
    awk 'NR == FNR { old[$1] = 1; next } ($1 in old)' "$ROOT/target/upgrade-s3" \
        "$ROOT/target/upgrade-all-s4" >"$ROOT/target/upgrade-s4"
    check_files "the update keeps every row of every table" "$ROOT/target/upgrade-s3" "$ROOT/target/upgrade-s4"
    check "the tables the update adds are empty" "" \
        "$(awk 'NR == FNR { old[$1] = 1; next } !($1 in old) && $2 != 0' "$ROOT/target/upgrade-s3" "$ROOT/target/upgrade-all-s4")"
    check "clicks continue after the update" "$((before_clicks + 2))" \
        "$(psql -d up_data -c "SELECT status FROM shortlink.record_click('up-plain', user_agent => 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0')" >/dev/null; clicks up-plain)"
    check "the click limit holds after the update" "exhausted $((before_limited + 1))" "$(status up-limited) $(clicks up-limited)"
    check "the untracked link still counts, with no event" "ok 3 0" \
        "$(status up-untracked) $(clicks up-untracked) $(psql -d up_data -c "SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'up-untracked'")"
    check "a password still guards after the update" "password_required ok" \
        "$(status up-password) $(psql -d up_data -c "SELECT status FROM shortlink.record_click('up-password', password => 's3cret')")"
    check "bot rules still classify after the update" t \
        "$(psql -d up_data -c "SELECT (shortlink.record_click('up-plain', user_agent => 'upgrade-probe/2.0')).status IS NOT NULL" >/dev/null;
           psql -d up_data -c "SELECT bot = 'Upgrade probe' FROM shortlink.click_events ORDER BY id DESC LIMIT 1")"
    check "new links take new ids after the update" t \
        "$(psql -d up_data -c "SELECT (SELECT id FROM shortlink.shorten('https://example.com/new')) > (SELECT max(id) FROM shortlink.links WHERE url <> 'https://example.com/new')")"
    check "the autolink trigger links rows after the update" t \
        "$(psql -d up_data -c "INSERT INTO public.upgrade_campaigns (landing_url) VALUES ('https://example.com/c4') RETURNING short_url LIKE 'https://localhost/%'")"
    check "the database setting is kept" 9 "$(psql -d up_data -c "SHOW shortlink.code_length")"
    check "workspaces are still enforced: the acme role sees only acme's links" "up-acme" \
        "$(psql -d up_data -c "SET ROLE sl_up_acme_app" -c "SELECT string_agg(code, ',') FROM shortlink.list_links()")"
    check "the redirect role still clicks, and reads no table" "ok f" \
        "$(psql -d up_data -F ' ' -c "SET ROLE sl_up_edge" -c "SELECT (shortlink.record_click('up-go', 'go.example.com')).status, has_table_privilege('shortlink.links', 'SELECT')")"
    check "the dispatcher still claims deliveries" t \
        "$(psql -d up_data -c "SET ROLE sl_up_dispatch" -c "SELECT count(*) > 0 FROM shortlink.claim_deliveries(100)")"
    check "maintain() runs after the update" t "$(psql -d up_data -c "SELECT shortlink.maintain() ? 'clicks_counted'")"
    check "counts are exact after maintain()" "$((before_clicks + 2))" "$(clicks up-plain)"
    check "an update path from $PREV" t \
        "$(psql -d up_data -c "SELECT count(*) = 1 FROM pg_extension_update_paths('shortlink') WHERE source = '$PREV' AND target = '$CUR' AND path IS NOT NULL")"

    say "the schema updated from $PREV equals a fresh install of $CUR"
    psql -d up_fresh -c "CREATE EXTENSION shortlink" -f "$HERE/roles.sql" >/dev/null
    psql -d up_fresh -f "$HERE/describe_schema.sql" >"$ROOT/target/upgrade-schema-fresh"
    psql -d up_data -f "$HERE/describe_schema.sql" >"$ROOT/target/upgrade-schema-updated"
    check "the schema description is not empty ($(wc -l <"$ROOT/target/upgrade-schema-fresh") facts)" t \
        "$([ "$(wc -l <"$ROOT/target/upgrade-schema-fresh")" -gt 500 ] && echo t || echo f)"
    check_files "updated schema = fresh schema, object by object" \
        "$ROOT/target/upgrade-schema-fresh" "$ROOT/target/upgrade-schema-updated"

    say "the SQL regression suite on a database updated from $PREV"
    psql -d shortlink_regress -c "BEGIN" -c "ALTER EXTENSION shortlink UPDATE" -c "COMMIT"
    out=$ROOT/target/upgrade-regress-out
    rm -rf "$out" && mkdir -p "$out"
    # 14_install checks CREATE EXTENSION itself, in a database of its own.
    tests=$(cd tests/pg_regress/sql && ls *.sql | sed 's/\.sql$//' | grep -v '^14_install$')
    # shellcheck disable=SC2086
    if "$PG_REGRESS" --use-existing --bindir="$PG_BIN" --host="$DIR" --port="$PORT" --user=postgres \
            --dbname=shortlink_regress --inputdir=tests/pg_regress --outputdir="$out" $tests; then
        echo "ok   the regression suite passes on the updated database"; passed=$((passed + 1))
    else
        head -200 "$out/regression.diffs" 2>/dev/null
        echo "FAIL the regression suite on the updated database"; failed=$((failed + 1))
    fi
    stop_cluster "$DIR"
    crashed=$(grep -E 'terminated by signal|was terminated|PANIC' "$DIR/server.log" || true)
    check "no backend of the upgrade cluster terminated by a signal" "" "$crashed"
    as_root rm -rf "$DIR"
done <"$ROOT/target/upgrade-releases"

echo "upgrade: $passed passed, $failed failed"
[ "$failed" = 0 ]
