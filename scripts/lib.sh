# Shared by scripts/setup and scripts/test: install what is missing, build, and run
# throwaway PostgreSQL 15 clusters inside the project folder. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=$PG_BIN/pg_config
PGRX_VERSION=0.18.1
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages, cargo-pgrx at the pinned version, and pgrx's pg15 configuration.
ensure_deps() {
    local pkgs=() p
    for p in postgresql-15 postgresql-server-dev-15 libclang-dev sudo curl; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
    done
    if [ ${#pkgs[@]} -gt 0 ]; then
        say "installing ${pkgs[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}"
    fi
    if ! cargo pgrx --version 2>/dev/null | grep -qF "$PGRX_VERSION"; then
        say "installing cargo-pgrx $PGRX_VERSION (about 14 minutes, once)"
        cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
    fi
    if ! grep -qs "pg15 = \"$PG_CONFIG\"" "${PGRX_HOME:-$HOME/.pgrx}/config.toml"; then
        say "cargo pgrx init --pg15 $PG_CONFIG"
        cargo pgrx init --pg15 "$PG_CONFIG"
    fi
}

# Builds the extension and installs it into the system PostgreSQL 15.
# install_extension [--release]: builds the extension (debug unless --release) and installs
# it into PostgreSQL's directories. Each file is replaced by a new one (install(1) unlinks
# first), never rewritten in place, so a running cluster keeps the library it mapped until
# it restarts instead of crashing on a file changed under it.
install_extension() {
    local profile=debug out
    [ "${1:-}" = --release ] && profile=release
    out=$ROOT/target/pgrx-package/$profile
    say "building and installing the extension ($profile)"
    rm -rf "$out"
    (cd "$ROOT" && cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$out" \
        $([ "$profile" = release ] || echo --debug))
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
# parsers are built once, in the postmaster). SHARED_BUFFERS, when given, goes into the
# new cluster's postgresql.conf at initdb (an existing cluster keeps its own);
# SHARED_PLACES, when given, is shortlink.shared_places for this start.
start_cluster() {
    local dir=$1 port=$2 buffers=${3:-} places=${4:-}
    mkdir -p "$dir"
    make_reachable "$dir"
    [ "$(pg_user)" = "$(id -un)" ] || chown "$(pg_user)" "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        if [ -n "$buffers" ]; then
            printf '\n# Set by shortlink'"'"'s scripts/setup: a quarter of RAM (SHORTLINK_SHARED_BUFFERS).\nshared_buffers = %s\n' \
                "$buffers" | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
        fi
    fi
    local options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_preload_libraries=shortlink"
    [ -z "$places" ] || options+=" -c shortlink.shared_places=$places"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        # RUST_BACKTRACE in the server's environment would put Rust backtraces into the
        # DETAIL of errors raised through pgrx: never start PostgreSQL with it.
        as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "$options" \
            start >/dev/null
    fi
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
