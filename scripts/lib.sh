# Shared by scripts/setup, scripts/test and the tests: install what is missing, build, and
# run throwaway PostgreSQL clusters inside the project folder. Sourced, not run.
#
# PG_CONFIG (environment) names the PostgreSQL to build for and to run: Debian 12's
# PostgreSQL 15 by default. PG_BIN, PG_MAJOR and PGRX_FEATURE (the Cargo feature, pgNN)
# follow from it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGRX_VERSION=0.18.1
export PATH="$HOME/.cargo/bin:$PATH"

# The Debian package of a major, when PG_CONFIG is where Debian installs it.
debian_pg_major() {
    case $PG_CONFIG in
        /usr/lib/postgresql/[0-9]*/bin/pg_config) basename "$(dirname "$(dirname "$PG_CONFIG")")" ;;
    esac
}

# pg_settings: PG_BIN, PG_MAJOR, PGRX_FEATURE, PG_REGRESS, PG_ISOLATION_REGRESS from PG_CONFIG
# (once it exists).
pg_settings() {
    PG_BIN=$("$PG_CONFIG" --bindir)
    PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    PGRX_FEATURE=pg$PG_MAJOR
    PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
    PG_ISOLATION_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/isolation/pg_isolation_regress
    export PG_CONFIG PG_BIN PG_MAJOR
}
[ ! -x "$PG_CONFIG" ] || pg_settings

say() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages (PostgreSQL itself when PG_CONFIG is Debian's), cargo-pgrx at the pinned
# version, and pgrx's configuration for PG_CONFIG's major.
ensure_deps() {
    local pkgs=() p major
    major=$(debian_pg_major)
    # zbar-tools and librsvg2-bin: zbarimg and rsvg-convert, which read the QR codes back
    # (tests/qr/run.sh, tests/server/run.sh); chromium: the browser tests (tests/browser,
    # driven by playwright-core from npm, which downloads no browser).
    for p in ${major:+postgresql-$major postgresql-server-dev-$major} libclang-dev sudo curl \
        zbar-tools librsvg2-bin chromium; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
    done
    # Node.js and npm for tests/browser: Debian's, where no Node.js of at least 20 (the
    # machine's own, or NodeSource's, which brings its npm) is there already, as in the
    # Debian 13 root of PostgreSQL 17 (scripts/postgres).
    command -v node >/dev/null || pkgs+=(nodejs)
    command -v npm >/dev/null || pkgs+=(npm)
    if [ ${#pkgs[@]} -gt 0 ]; then
        say "installing ${pkgs[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}"
    fi
    if ! cargo pgrx --version 2>/dev/null | grep -qF "$PGRX_VERSION"; then
        say "installing cargo-pgrx $PGRX_VERSION (about 14 minutes, once)"
        cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
    fi
    [ -x "$PG_CONFIG" ] || { echo "error: no pg_config at $PG_CONFIG (set PG_CONFIG)" >&2; exit 1; }
    pg_settings
    ensure_pgrx_init
}

# The test command's lint tools, at pinned versions (each builds with Rust 1.95), installed
# once into ~/.cargo/bin: cargo-machete (unused dependencies, about 4 minutes to build) and
# cargo-deny (licences, bans and sources against deny.toml, about 7 minutes).
CARGO_MACHETE_VERSION=0.9.2
CARGO_DENY_VERSION=0.20.2
ensure_lint_tools() {
    if ! cargo machete --version 2>/dev/null | grep -qF "$CARGO_MACHETE_VERSION"; then
        say "installing cargo-machete $CARGO_MACHETE_VERSION (once)"
        cargo install cargo-machete --version "$CARGO_MACHETE_VERSION" --locked
    fi
    if ! cargo deny --version 2>/dev/null | grep -qF "$CARGO_DENY_VERSION"; then
        say "installing cargo-deny $CARGO_DENY_VERSION (once)"
        cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
    fi
}

# The Python packages the test command builds test data with, at pinned versions:
# mmdb-writer (MIT) and netaddr (BSD-3-Clause) write the small MaxMind DB files the geo
# tests read (tests/geoip/make_db.py); the repository holds no real database. They go into
# a folder of the project's own (target/python-X.Y, one per Python version), never into the
# system's Python: Debian 13's (scripts/postgres 17) is externally managed (PEP 668) and
# comes without pip, which is installed from Debian when it is missing. Exports PYTHONPATH.
ensure_test_python() {
    local dir
    dir=$ROOT/target/python-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    export PYTHONPATH=$dir${PYTHONPATH:+:$PYTHONPATH}
    python3 -c 'import mmdb_writer, netaddr' 2>/dev/null && return 0
    if ! python3 -m pip --version >/dev/null 2>&1; then
        say "installing python3-pip (once)"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pip
    fi
    say "installing mmdb-writer and netaddr from PyPI into $dir (once)"
    python3 -m pip install -q --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
        --target "$dir" 'mmdb-writer==0.2.7' 'netaddr==1.3.0'
}

# cargo pgrx init writes config.toml anew from its flags: pass every major it already knows
# whose pg_config still exists, and PG_CONFIG's.
ensure_pgrx_init() {
    local config=${PGRX_HOME:-$HOME/.pgrx}/config.toml args=() line key path
    grep -qsF "$PGRX_FEATURE = \"$PG_CONFIG\"" "$config" && return 0
    if [ -f "$config" ]; then
        while read -r line; do
            [[ $line =~ ^(pg[0-9]+)\ =\ \"(.*)\"$ ]] || continue
            key=${BASH_REMATCH[1]} path=${BASH_REMATCH[2]}
            [ "$key" != "$PGRX_FEATURE" ] && [ -x "$path" ] && args+=("--$key" "$path")
        done <"$config"
    fi
    args+=("--$PGRX_FEATURE" "$PG_CONFIG")
    say "cargo pgrx init ${args[*]}"
    cargo pgrx init "${args[@]}"
}

# install_extension [--release]: builds the extension (debug unless --release) and installs
# it into PostgreSQL's directories. Each file is replaced by a new one (install(1) unlinks
# first), never rewritten in place, so a running cluster keeps the library it mapped until
# it restarts instead of crashing on a file changed under it.
install_extension() {
    local profile=debug out
    [ "${1:-}" = --release ] && profile=release
    out=$ROOT/target/pgrx-package/pg$PG_MAJOR-$profile
    say "building and installing the extension ($profile)"
    rm -rf "$out"
    (cd "$ROOT" && cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$out" \
        $([ "$profile" = release ] || echo --debug))
    # cargo pgrx package copies sql/'s upgrade scripts (shortlink--A--B.sql) but not the
    # frozen install scripts of released versions (shortlink--A.sql): CREATE EXTENSION
    # shortlink VERSION 'A' needs them.
    local ext
    ext=$out$("$PG_CONFIG" --sharedir)/extension
    cp "$ROOT"/sql/shortlink--*.sql "$ext/"
    (cd "$out" && find . -type f) | while read -r f; do
        as_root install -D -m "$([ "${f%.so}" != "$f" ] && echo 755 || echo 644)" "$out/$f" "/${f#./}"
    done
}

installed_files() {
    echo "$("$PG_CONFIG" --pkglibdir)/shortlink.so"
    ls "$("$PG_CONFIG" --sharedir)"/extension/shortlink.control \
        "$("$PG_CONFIG" --sharedir)"/extension/shortlink--*.sql 2>/dev/null || true
}

# save_release_install DIR: if the installed extension is a release build (scripts/setup's),
# keeps a copy in DIR for restore_release_install, and unlinks the installed library so
# that the test builds written over it get a new file.
save_release_install() {
    local dir=$1 so f
    so=$("$PG_CONFIG" --pkglibdir)/shortlink.so
    rm -rf "$dir"
    [ -f "$so" ] || return 0
    readelf -S "$so" | grep -q '\.debug_info' && return 0
    mkdir -p "$dir"
    for f in $(installed_files); do cp -p "$f" "$dir/"; done
    as_root rm -f "$so"
}

# restore_release_install DIR: puts back what save_release_install kept.
restore_release_install() {
    local dir=$1 f
    [ -d "$dir" ] || return 0
    for f in "$dir"/*; do
        case $f in
            *.so) as_root install -m 755 "$f" "$("$PG_CONFIG" --pkglibdir)/shortlink.so" ;;
            *) as_root install -m 644 "$f" "$("$PG_CONFIG" --sharedir)/extension/$(basename "$f")" ;;
        esac
    done
    rm -rf "$dir"
    echo "note: reinstalled the release build of scripts/setup over the test build"
}

pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

as_pg() {
    local u; u=$(pg_user)
    if [ "$u" = "$(id -un)" ]; then "$@"; else runuser -u "$u" -- "$@"; fi
}

# The cluster's user must be able to reach the project folder: grant traverse (o+x)
# on any ancestor that lacks it.
make_reachable() {
    local dir d
    # Absolute: dirname of a relative path ends at ".", never at "/".
    dir=$(realpath -m "$1")
    [ "$(pg_user)" = "$(id -un)" ] && return 0
    d=$dir
    while [ "$d" != / ]; do
        if ! as_pg test -x "$d"; then
            echo "note: granting o+x on $d so that $(pg_user) can reach $dir"
            chmod o+x "$d"
        fi
        d=$(dirname "$d")
    done
}

# start_cluster DIR PORT [SHARED_BUFFERS [SHARED_PLACES]]: initdb (once) and start a
# cluster with its socket in DIR, preloading shortlink (its bot patterns and User-Agent
# parsers are built once, in the postmaster). Every setting it needs is written into the
# cluster's postgresql.conf (configure_cluster), so that a plain `pg_ctl -D DIR/data start`
# brings it back as it was left. SHARED_BUFFERS, when given, is the new cluster's
# shared_buffers (an existing cluster keeps its own); SHARED_PLACES, when given,
# shortlink.shared_places.
start_cluster() {
    local dir=$1 port=$2 buffers=${3:-} places=${4:-}
    mkdir -p "$dir"
    make_reachable "$dir"
    [ "$(pg_user)" = "$(id -un)" ] || chown "$(pg_user)" "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    else
        buffers=
    fi
    configure_cluster "$dir" "$port" "$buffers" "$places"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # The test clusters' ports (253xx) lie below Linux's ephemeral range (32768-60999),
        # where any program's client socket could hold one; a start that could not bind is
        # retried all the same, and the holder is named if it stays.
        local attempt from
        for attempt in 1 2 3 4 5 6 7 8 9 10; do
            from=$(($(wc -l 2>/dev/null <"$dir/server.log" || echo 0) + 1))
            # RUST_BACKTRACE in the server's environment would put Rust backtraces into the
            # DETAIL of errors raised through pgrx: never start PostgreSQL with it.
            as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$dir/data" \
                -l "$dir/server.log" -w -t 60 start >/dev/null && return 0
            tail -n +"$from" "$dir/server.log" | grep -q 'could not bind' || break
            echo "port $port is taken; starting again in 2 s (attempt $attempt of 10)" >&2
            sleep 2
        done
        echo "error: PostgreSQL in $dir did not start; sockets on port $port:" >&2
        ss -Htanp "( sport = :$port )" >&2 || true
        echo "the end of $dir/server.log:" >&2
        tail -n 25 "$dir/server.log" >&2
        return 1
    fi
}

# The maintenance worker's interval in the clusters these scripts start: off (0) in test
# clusters, whose suites run shortlink.maintain() themselves and check what it did; the
# demo cluster (scripts/setup) and tests/maintenance.sh set their own.
CLUSTER_MAINTENANCE_INTERVAL=${CLUSTER_MAINTENANCE_INTERVAL:-0}

CONF_BEGIN='# BEGIN shortlink cluster settings (rewritten at each start by shortlink scripts lib.sh)'
CONF_END='# END shortlink cluster settings'

# configure_cluster DIR PORT SHARED_BUFFERS SHARED_PLACES: (re)writes the block of
# settings between CONF_BEGIN and CONF_END at the end of DIR/data/postgresql.conf: port,
# socket directory, loopback only, the preload, the maintenance worker's interval
# (CLUSTER_MAINTENANCE_INTERVAL), and shared_buffers and
# shortlink.shared_places when given (or kept from the block written before).
configure_cluster() {
    local dir=$1 port=$2 buffers=$3 places=$4 conf=$1/data/postgresql.conf old
    old=$(sed -n "/^$CONF_BEGIN\$/,/^$CONF_END\$/p" "$conf")
    [ -n "$buffers" ] || buffers=$(sed -n "s/^shared_buffers = '\(.*\)'.*/\1/p" <<<"$old")
    [ -n "$places" ] || places=$(sed -n "s/^shortlink.shared_places = \([0-9]*\).*/\1/p" <<<"$old")
    {
        sed "/^$CONF_BEGIN\$/,/^$CONF_END\$/d" "$conf"
        echo "$CONF_BEGIN"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "listen_addresses = '127.0.0.1'"
        echo "max_connections = 100"
        echo "shared_preload_libraries = 'shortlink'"
        echo "shortlink.maintenance_interval = '$CLUSTER_MAINTENANCE_INTERVAL'   # CLUSTER_MAINTENANCE_INTERVAL"
        [ -z "$buffers" ] || echo "shared_buffers = '$buffers'   # a quarter of RAM at initdb (SHORTLINK_SHARED_BUFFERS)"
        [ -z "$places" ] || echo "shortlink.shared_places = $places   # SHORTLINK_SHARED_PLACES"
        echo "$CONF_END"
    } | as_pg tee "$conf.new" >/dev/null
    as_pg mv "$conf.new" "$conf"
}

# quarter_of_ram: a quarter of this machine's memory, in MB (PostgreSQL's own starting
# point for shared_buffers on a dedicated server), at least 128MB, its default.
quarter_of_ram() {
    awk '/^MemTotal:/ {mb = int($2 / 1024 / 4); print (mb < 128 ? 128 : mb) "MB"}' /proc/meminfo
}

stop_cluster() {
    local dir=$1
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
