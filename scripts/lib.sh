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

# A step's heading, with the seconds since the script started (where the time goes).
say() { printf '\n==> %s  [%ss]\n' "$*" "$SECONDS"; }

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
# it into PostgreSQL's directories (those of the copy, after use_private_pg_tree). Each file
# is replaced by a new one (install(1) unlinks first), never rewritten in place, so a
# running cluster keeps the library it mapped until it restarts instead of crashing on a
# file changed under it. A release build is always built against the system's pg_config,
# as scripts/setup builds it (pgrx builds anew for another pg_config), and installed below
# the copy's root when there is one.
install_extension() {
    local profile=debug out build_config=$PG_CONFIG prefix=
    [ "${1:-}" = --release ] && profile=release
    if [ "$profile" = release ] && [ -n "${PG_TREE:-}" ]; then
        build_config=$SYSTEM_PG_CONFIG prefix=$PG_TREE
    fi
    out=$ROOT/target/pgrx-package/pg$PG_MAJOR-$profile
    say "building and installing the extension ($profile)"
    rm -rf "$out"
    (cd "$ROOT" && cargo pgrx package --pg-config "$build_config" --out-dir "$out" \
        $([ "$profile" = release ] || echo --debug))
    # cargo pgrx package copies sql/'s upgrade scripts (shortlink--A--B.sql) but not the
    # frozen install scripts of released versions (shortlink--A.sql): CREATE EXTENSION
    # shortlink VERSION 'A' needs them.
    local ext
    ext=$out$("$build_config" --sharedir)/extension
    cp "$ROOT"/sql/shortlink--*.sql "$ext/"
    (cd "$out" && find . -type f) | while read -r f; do
        as_root install -D -m "$([ "${f%.so}" != "$f" ] && echo 755 || echo 644)" "$out/$f" "$prefix/${f#./}"
    done
}

# The tests' own PostgreSQL. scripts/test copies PG_CONFIG's installation (its bin/, its
# lib/ unless that is the system's, its share/ and its server headers) under target/, at
# the same paths below the copy's root (DESTDIR-style), installs its builds (and Citus,
# for scripts/test-citus) into the copy and runs every test cluster from it. PostgreSQL
# finds its files relative to its binaries, so the copy's pg_config, initdb and postgres
# name the copy's directories. The installation that users' clusters run from is never
# written: scripts/test compares system_pg_manifest before and after.
#
# use_private_pg_tree TREE: makes TREE anew from PG_CONFIG and points PG_CONFIG (and all
# that follows from it), and PGRX_HOME, at the copy; SYSTEM_PG_CONFIG keeps the original.
use_private_pg_tree() {
    local tree=$1 key dir bindir prefix dirs=() copied=() c covered
    SYSTEM_PG_CONFIG=${SYSTEM_PG_CONFIG:-$PG_CONFIG}
    bindir=$("$SYSTEM_PG_CONFIG" --bindir)
    prefix=$(dirname "$bindir")
    say "copying PostgreSQL $PG_MAJOR's installation to $tree (the tests run from the copy)"
    rm -rf "$tree"
    for key in bindir libdir pkglibdir sharedir includedir-server; do
        dir=$("$SYSTEM_PG_CONFIG" "--$key")
        # Debian's libdir is the system's (/usr/lib/x86_64-linux-gnu): not PostgreSQL's.
        [ "$key" != libdir ] || [[ $dir == "$prefix"/* ]] || continue
        dirs+=("$dir")
    done
    # The folders the binaries' RPATH names relative to themselves ($ORIGIN): the libpq of
    # PyPI's builds (16, 18) lies beside their installation, in pgserver.libs/.
    while read -r dir; do
        [ -d "$dir" ] && dirs+=("$dir")
    done < <(for c in "$bindir"/*; do readelf -d "$c" 2>/dev/null; done |
        sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\2/p' | tr ':' '\n' | grep -F '$ORIGIN' | sort -u |
        while read -r c; do realpath -m "${c//\$ORIGIN/$bindir}"; done)
    for dir in "${dirs[@]}"; do
        covered=
        for c in "${copied[@]}"; do [[ $dir == "$c" || $dir == "$c"/* ]] && covered=1; done
        [ -z "$covered" ] || continue
        mkdir -p "$tree$(dirname "$dir")"
        cp -a "$dir" "$tree$dir"
        copied+=("$dir")
    done
    make_reachable "$tree"
    PG_CONFIG=$tree$("$SYSTEM_PG_CONFIG" --bindir)/pg_config
    pg_settings
    export SYSTEM_PG_CONFIG PG_TREE=$tree PGRX_HOME=$tree.pgrx-home
    ensure_pgrx_init
}

# install_citus ARCHIVE VERSION: Citus from its source archive (../shared/vendor/), for
# the tests and benchmarks only: configured and made once per version and PostgreSQL
# version (cached in target/citus/), then installed into the copy of the installation that
# use_private_pg_tree made (make install DESTDIR=PG_TREE), never into the system's.
install_citus() {
    local archive=$1 version=$2 p missing=()
    [ -n "${PG_TREE:-}" ] || { echo "error: install_citus needs use_private_pg_tree first" >&2; return 1; }
    # Citus's build needs Kerberos (libpq's GSSAPI), LZ4 and Zstandard headers; its optional
    # libcurl (anonymous usage statistics) is left out.
    for p in libkrb5-dev liblz4-dev libzstd-dev make gcc patch; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} (Citus's build)"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
    local build=$ROOT/target/citus/citus-$version-pg$("$SYSTEM_PG_CONFIG" --version | awk '{print $2}')
    local src=$build/citus-$version
    if [ ! -f "$build/built" ]; then
        say "building Citus $version from $archive (about half a minute on 2 cores, once; in $build)"
        rm -rf "$build" && mkdir -p "$build"
        tar -xzf "$archive" -C "$build"
        # Debian 12's current PostgreSQL 15 point release exports have_createdb_privilege(),
        # of which Citus 13.2.2 keeps a static inline copy for 15: a compile error
        # ("static declaration follows non-static declaration"). The copy is renamed
        # (../shared/vendor/README.md); PostgreSQL 16 and later do not compile it.
        perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)/#define have_createdb_privilege() citus_have_createdb_privilege()\nstatic inline bool\ncitus_have_createdb_privilege(void)/' \
            "$src/src/include/pg_version_compat.h"
        grep -q citus_have_createdb_privilege "$src/src/include/pg_version_compat.h" || {
            echo "error: Citus's pg_version_compat.h no longer has the copy to rename: check the patch" >&2; return 1; }
        (cd "$src" && ./configure -q PG_CONFIG="$SYSTEM_PG_CONFIG" --without-libcurl >"$build/configure.log" &&
            make -s -j"$(nproc)" with_llvm=no >"$build/make.log" 2>&1) || {
            tail -30 "$build/make.log" 2>/dev/null; tail -30 "$build/configure.log"; return 1; }
        touch "$build/built"
    fi
    say "installing Citus $version into $PG_TREE"
    make -s -C "$src" with_llvm=no install DESTDIR="$PG_TREE" >/dev/null
}

# test_from_private_pg_tree MANIFEST: what a test command does first: writes the system
# installation's checksums to MANIFEST (for check_system_pg_unchanged at its end), then
# runs from the copy under target/pg-tree/ (use_private_pg_tree). scripts/test and
# scripts/test-citus share the copy's paths, so the second builds nothing again.
test_from_private_pg_tree() {
    mkdir -p "$(dirname "$1")"
    system_pg_manifest >"$1"
    use_private_pg_tree "$ROOT/target/pg-tree/pg$PG_MAJOR"
}

# system_pg_manifest: a checksum of every file in the system installation's lib/ and
# share/extension/ (SYSTEM_PG_CONFIG's, else PG_CONFIG's), with its path.
system_pg_manifest() {
    local config=${SYSTEM_PG_CONFIG:-$PG_CONFIG}
    find "$("$config" --pkglibdir)" "$("$config" --sharedir)/extension" -type f -print0 |
        sort -z | xargs -0 sha256sum
}

# check_system_pg_unchanged MANIFEST: fails, naming the files, unless the system
# installation's files are those MANIFEST (system_pg_manifest's output) listed.
check_system_pg_unchanged() {
    say "the system PostgreSQL's lib/ and share/extension/ are as they were"
    if ! system_pg_manifest | diff "$1" -; then
        echo "FAIL: the tests changed the files of the PostgreSQL installation at ${SYSTEM_PG_CONFIG:-$PG_CONFIG} (above)"
        return 1
    fi
    echo "ok   $(wc -l <"$1") files of $("${SYSTEM_PG_CONFIG:-$PG_CONFIG}" --pkglibdir) and $("${SYSTEM_PG_CONFIG:-$PG_CONFIG}" --sharedir)/extension unchanged"
}

# build_server: builds shortlink-server (debug) and prints the binary's path. The server
# does not depend on the PostgreSQL major: scripts/test-matrix points
# SHORTLINK_SERVER_TARGET_DIR at the build scripts/test made, rather than building it
# again in each major's target directory.
build_server() {
    local dir=${SHORTLINK_SERVER_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}}
    (cd "$ROOT" && CARGO_TARGET_DIR=$dir cargo build -q -p shortlink-server) >&2
    echo "$dir/debug/shortlink-server"
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

# What the clusters these scripts start preload: shortlink; scripts/test-citus puts Citus
# first ('citus,shortlink'), as Citus requires.
CLUSTER_PRELOAD=${CLUSTER_PRELOAD:-shortlink}

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
        echo "shared_preload_libraries = '$CLUSTER_PRELOAD'"
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
