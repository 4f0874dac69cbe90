#!/usr/bin/env bash
# tests/package.sh [DIR]: the install test of the Debian packages for PostgreSQL 15.
# Builds them with scripts/package (or takes them from DIR), checks their metadata and
# contents, installs postgresql-15-shortlink with apt, creates the extension in a
# throwaway cluster that preloads it and makes real calls, installs shortlink-server with
# apt, checks its unit, user and binary (a real redirect against that cluster), then
# purges both. The system PostgreSQL 15 may hold a shortlink build of scripts/setup: its
# files are kept aside first and put back at the end, whatever the
# outcome, as is the shortlink user if this test made it. Prints "ok …" or "FAIL …" for
# each check and exits non-zero if any failed. As root (apt); every step has a time limit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
PG_BIN=/usr/lib/postgresql/15/bin
PKGLIBDIR=/usr/lib/postgresql/15/lib
EXTDIR=/usr/share/postgresql/15/extension
EXT_PKG=postgresql-15-shortlink
SERVER_PKG=shortlink-server

failures=0
ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; failures=$((failures + 1)); }
# check WHAT COMMAND...: ok or FAIL for WHAT, by COMMAND's exit status.
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# quiet COMMAND...: COMMAND without its output, for check.
quiet() { "$@" >/dev/null 2>&1; }
say() { printf '\n==> %s\n' "$*"; }
die() { printf 'FAIL %s\n' "$*"; exit 1; }
# A command that stops the script (set -e) says so as a check would.
trap 'printf "FAIL line %s: %s\n" "$LINENO" "$BASH_COMMAND"' ERR

# known PACKAGE: dpkg has PACKAGE in any state but purged (installed, or its conffiles left).
known() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [ "${status##* }" != not-installed ]
}
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
# has_word LIST WORD: WORD is one of the space-separated LIST.
has_word() { tr ' ' '\n' <<<"$1" | grep -qxF -- "$2"; }

[ "$(id -u)" = 0 ] || die "tests/package.sh installs packages: run it as root"
for p in "$EXT_PKG" "$SERVER_PKG"; do
    ! known "$p" || die "$p is installed already: this test would purge it (apt-get purge $p first)"
done

METADATA=$(cd "$ROOT" && cargo metadata --no-deps --format-version 1 --offline)
version_of() { jq -er --arg n "$1" '.packages[] | select(.name == $n) | .version' <<<"$METADATA"; }
VERSION=$(version_of shortlink)
SERVER_VERSION=$(version_of shortlink-server)
ARCH=$(dpkg --print-architecture)
EXT_DEB_NAME=${EXT_PKG}_${VERSION/-/\~}_$ARCH.deb
SERVER_DEB_NAME=${SERVER_PKG}_${SERVER_VERSION/-/\~}_$ARCH.deb

say "META.json"
check "META.json is JSON with the fields of PGXN's meta-spec 1.0.0" quiet jq -e '
    (.name == "shortlink") and (.abstract | length > 0) and (.maintainer | length > 0)
    and .license and .provides.shortlink.file and .provides.shortlink.version
    and .prereqs.runtime.requires.PostgreSQL and (.["meta-spec"].version == "1.0.0")
    and (.release_status | IN("stable", "testing", "unstable"))' "$ROOT/META.json"
meta_versions=$(jq -r '[.version, .provides.shortlink.version] | unique | join(" ")' "$ROOT/META.json")
check "META.json's versions ($meta_versions) are Cargo.toml's ($VERSION)" test "$meta_versions" = "$VERSION"
for key in file docfile; do
    f=$(jq -r ".provides.shortlink.$key" "$ROOT/META.json")
    check "META.json provides.shortlink.$key ($f) exists" test -f "$ROOT/$f"
done

say "the packages"
if [ $# -ge 1 ]; then
    OUT=$(cd "$1" && pwd)
    echo "taking the packages from $OUT"
else
    OUT=$ROOT/target/packages
    start=$SECONDS
    timeout 5400 "$ROOT/scripts/package" --out "$OUT" >/dev/null 2>"$ROOT/target/package.log" ||
        { tail -40 "$ROOT/target/package.log"; die "scripts/package failed (log: target/package.log)"; }
    echo "scripts/package: $((SECONDS - start)) s (log: target/package.log)"
fi
EXT_DEB=$OUT/$EXT_DEB_NAME
SERVER_DEB=$OUT/$SERVER_DEB_NAME
[ -f "$EXT_DEB" ] || die "no $EXT_DEB"
[ -f "$SERVER_DEB" ] || die "no $SERVER_DEB"
ls -l "$EXT_DEB" "$SERVER_DEB"

# field DEB NAME: a field of DEB's control file.
field() { dpkg-deb --field "$1" "$2"; }

say "$EXT_DEB_NAME: dpkg-deb --info, --contents"
dpkg-deb --info "$EXT_DEB"
check "Package $EXT_PKG" test "$(field "$EXT_DEB" Package)" = "$EXT_PKG"
check "Version ${VERSION/-/\~}" test "$(field "$EXT_DEB" Version)" = "${VERSION/-/\~}"
check "Architecture $ARCH" test "$(field "$EXT_DEB" Architecture)" = "$ARCH"
check "Section database" test "$(field "$EXT_DEB" Section)" = database
check "Depends on postgresql-15 and libc6" \
    grep -Eq '(^|, )postgresql-15(,|$).*libc6|libc6.*(^|, )postgresql-15(,|$)' <<<"$(field "$EXT_DEB" Depends)"
check "Installed-Size is a number of KiB" grep -Eq '^[0-9]+$' <<<"$(field "$EXT_DEB" Installed-Size)"
check "Maintainer is Name <email>" grep -Eq '^.+ <[^@ ]+@[^@ ]+>$' <<<"$(field "$EXT_DEB" Maintainer)"
ext_contents=$(dpkg-deb --contents "$EXT_DEB")
echo "$ext_contents"
ext_files=$(awk '$1 !~ /^d/ {print $6}' <<<"$ext_contents")
check "every file is root's" test -z "$(awk '$2 != "root/root"' <<<"$ext_contents")"
check "./usr/lib/postgresql/15/lib/shortlink.so" grep -qx ./usr/lib/postgresql/15/lib/shortlink.so <<<"$ext_files"
check "./usr/share/postgresql/15/extension/shortlink.control" grep -qx ./usr/share/postgresql/15/extension/shortlink.control <<<"$ext_files"
check "./usr/share/postgresql/15/extension/shortlink--$VERSION.sql (the install script)" \
    grep -qxF "./usr/share/postgresql/15/extension/shortlink--$VERSION.sql" <<<"$ext_files"
for f in "$ROOT"/sql/shortlink--*.sql; do
    [ -e "$f" ] || { echo "(no sql/shortlink--*.sql in the tree: nothing frozen or upgrading yet)"; break; }
    check "sql/$(basename "$f") is in the package" \
        grep -qxF "./usr/share/postgresql/15/extension/$(basename "$f")" <<<"$ext_files"
done
check "nothing outside Debian's PostgreSQL 15 layout and the package's doc" \
    test -z "$(grep -Ev '^\./usr/(lib/postgresql/15/lib|share/postgresql/15/extension|share/doc/postgresql-15-shortlink)/' <<<"$ext_files")"
check "the control file says default_version = '$VERSION'" \
    sh -c "dpkg-deb --fsys-tarfile '$EXT_DEB' | tar -xOf - ./usr/share/postgresql/15/extension/shortlink.control | grep -qxF \"default_version = '$VERSION'\""

say "$SERVER_DEB_NAME: dpkg-deb --info, --contents"
dpkg-deb --info "$SERVER_DEB"
check "Package $SERVER_PKG, Version ${SERVER_VERSION/-/\~}" \
    test "$(field "$SERVER_DEB" Package) $(field "$SERVER_DEB" Version)" = "$SERVER_PKG ${SERVER_VERSION/-/\~}"
check "Depends on adduser and libc6" grep -Eq '(^|, )adduser(,|$).*libc6' <<<"$(field "$SERVER_DEB" Depends)"
check "/etc/default/shortlink-server is a conffile" \
    sh -c "dpkg-deb --ctrl-tarfile '$SERVER_DEB' | tar -xOf - ./conffiles | grep -qx /etc/default/shortlink-server"
server_contents=$(dpkg-deb --contents "$SERVER_DEB")
echo "$server_contents"
check "every file is root's" test -z "$(awk '$2 != "root/root"' <<<"$server_contents")"
check "/usr/bin/shortlink-server, mode 755" grep -Eq '^-rwxr-xr-x .* \./usr/bin/shortlink-server$' <<<"$server_contents"
check "/lib/systemd/system/shortlink-server.service" grep -q ' \./lib/systemd/system/shortlink-server.service$' <<<"$server_contents"
check "/etc/default/shortlink-server, mode 600 (it holds credentials)" \
    grep -Eq '^-rw------- .* \./etc/default/shortlink-server$' <<<"$server_contents"
missing=$(grep -o 'env = "[A-Z_]*"' "$ROOT/server/src/config.rs" | cut -d'"' -f2 | while read -r v; do
    grep -Eq "^#?$v=" "$ROOT/packaging/shortlink-server/default" || echo "$v"
done)
check "the environment file documents every variable of server/src/config.rs${missing:+ (missing: $missing)}" test -z "$missing"

if command -v lintian >/dev/null; then
    say "lintian (reported, not failed on)"
    timeout 600 lintian --no-tag-display-limit "$EXT_DEB" "$SERVER_DEB" || true
else
    echo "note: lintian is not installed (apt-get install lintian: about 150 packages); skipped"
fi

# Whatever happens from here: stop the cluster and the server, purge the packages, put
# back the files and the user that were there before.
SAVED=$(mktemp -d /tmp/shortlink-package-saved.XXXXXX)
CLUSTER=$(mktemp -d /tmp/shortlink-package-cluster.XXXXXX)
SERVER_PID=
user_existed=false
getent passwd shortlink >/dev/null && user_existed=true
for f in "$PKGLIBDIR/shortlink.so" "$EXTDIR"/shortlink.control "$EXTDIR"/shortlink--*.sql; do
    if [ -e "$f" ]; then cp -p "$f" "$SAVED/"; fi
done
saved_list=$(ls "$SAVED")
echo "kept aside from the system PostgreSQL 15: ${saved_list:-nothing}" | tr '\n' ' '; echo

cleanup() {
    set +e
    [ -z "$SERVER_PID" ] || { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
    if [ -f "$CLUSTER/data/postmaster.pid" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -m fast -w -t 60 stop >/dev/null 2>&1
    fi
    for p in "$EXT_PKG" "$SERVER_PKG"; do
        if known "$p"; then
            timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$p" >/dev/null 2>&1
        fi
    done
    # Only what is missing now: a file there was put there after the purge (a newer build).
    local f dest restored=
    for f in "$SAVED"/*; do
        [ -e "$f" ] || continue
        case $f in *.so) dest=$PKGLIBDIR/$(basename "$f") ;; *) dest=$EXTDIR/$(basename "$f") ;; esac
        if [ ! -e "$dest" ]; then cp -p "$f" "$dest" && restored+=" $(basename "$f")"; fi
    done
    [ -z "$restored" ] || echo "put back into the system PostgreSQL 15:$restored"
    if ! $user_existed && getent passwd shortlink >/dev/null; then
        deluser --system --quiet shortlink >/dev/null 2>&1
        getent group shortlink >/dev/null && delgroup --system --quiet shortlink >/dev/null 2>&1
        echo "removed the user shortlink that the test's install made"
    fi
    rm -rf "$SAVED" "$CLUSTER"
}
trap cleanup EXIT

# apt_install DEB: its failure shows in the checks that follow.
apt_install() { timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" 2>&1 | tail -5 || true; }

say "apt-get install $EXT_DEB"
apt_install "$EXT_DEB"
check "$EXT_PKG is installed" installed "$EXT_PKG"
check "$PKGLIBDIR/shortlink.so belongs to $EXT_PKG" sh -c "dpkg -S $PKGLIBDIR/shortlink.so | grep -q '^$EXT_PKG:'"

# A free loopback port for the cluster (and two for the server).
free_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
    return 1
}
PORT=$(free_port 25400)

say "a throwaway PostgreSQL 15 cluster in $CLUSTER on 127.0.0.1:$PORT, shared_preload_libraries=shortlink"
chown postgres "$CLUSTER"
chmod 700 "$CLUSTER"
timeout 120 runuser -u postgres -- "$PG_BIN/initdb" -D "$CLUSTER/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$CLUSTER/initdb.log"
# RUST_BACKTRACE in the server's environment would put Rust backtraces into errors.
if timeout 120 runuser -u postgres -- env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" \
        -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -t 60 \
        -o "-p $PORT -k $CLUSTER -c listen_addresses=127.0.0.1 -c shared_preload_libraries=shortlink" \
        start >/dev/null; then
    ok "the cluster starts with shortlink preloaded from the package"
else
    fail "the cluster starts with shortlink preloaded from the package"
    tail -20 "$CLUSTER/server.log"
    exit 1
fi
PSQL=(timeout 60 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -tA -h "$CLUSTER" -p "$PORT" -U postgres)
postmaster=$(head -1 "$CLUSTER/data/postmaster.pid")
check "the postmaster mapped $PKGLIBDIR/shortlink.so" grep -q " $PKGLIBDIR/shortlink.so$" "/proc/$postmaster/maps"
launcher=
for _ in $(seq 25); do
    launcher=$("${PSQL[@]}" -d postgres -c "SELECT count(*) || ' ' || current_setting('shortlink.maintenance_interval') FROM pg_stat_activity WHERE backend_type = 'shortlink maintenance launcher'")
    [ "$launcher" = "1 1min" ] && break
    sleep 0.2
done
check "the maintenance launcher runs, every 1min by default (got: $launcher)" test "$launcher" = "1 1min"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE shortlink_package"
PSQL+=(-d shortlink_package)

available=$("${PSQL[@]}" -c "SELECT string_agg(version, ' ' ORDER BY version) FROM pg_available_extension_versions WHERE name = 'shortlink'")
echo "pg_available_extension_versions: $available"
check "pg_available_extension_versions lists $VERSION" has_word "$available" "$VERSION"
for f in "$ROOT"/sql/shortlink--*.sql; do
    [ -e "$f" ] || break
    v=$(basename "$f" .sql); v=${v#shortlink--}
    case $v in *--*) continue ;; esac   # upgrade scripts add no version
    check "pg_available_extension_versions lists $v (sql/$(basename "$f"))" has_word "$available" "$v"
done
check "default_version is $VERSION" \
    test "$("${PSQL[@]}" -c "SELECT default_version FROM pg_available_extensions WHERE name = 'shortlink'")" = "$VERSION"
check "CREATE EXTENSION shortlink" "${PSQL[@]}" -c "CREATE EXTENSION shortlink"
check "extversion is $VERSION" test "$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'shortlink'")" = "$VERSION"
link=$("${PSQL[@]}" -F ' ' -c "SELECT code, short_url FROM shortlink.shorten('https://example.com/x')" || true)
code=${link%% *}
short_url=${link#* }
check "shortlink.shorten('https://example.com/x') makes a code ($code, $short_url)" test -n "$code"
check "shortlink.resolve('$code') is https://example.com/x" \
    test "$("${PSQL[@]}" -c "SELECT shortlink.resolve('$code')")" = https://example.com/x

say "apt-get install $SERVER_DEB"
apt_install "$SERVER_DEB"
check "$SERVER_PKG is installed" installed "$SERVER_PKG"
check "the system user and group shortlink exist" quiet sh -c 'getent passwd shortlink && getent group shortlink'
uid=$(id -u shortlink 2>/dev/null || echo none)
check "shortlink is a system user (uid $uid) with no login shell" \
    sh -c "[ '$uid' != none ] && [ '$uid' -lt 1000 ] && getent passwd shortlink | grep -q ':/usr/sbin/nologin$'"
check "/etc/default/shortlink-server is root's, mode 600" \
    test "$(stat -c '%U:%G %a' /etc/default/shortlink-server)" = "root:root 600"
check "the unit is enabled (deb-systemd-helper, without a running systemd)" \
    test -L /etc/systemd/system/multi-user.target.wants/shortlink-server.service
command -v systemd-analyze >/dev/null || apt_install systemd
if analyze=$(timeout 120 systemd-analyze verify /lib/systemd/system/shortlink-server.service 2>&1); then
    ok "systemd-analyze verify accepts the unit${analyze:+ (it said: $analyze)}"
else
    fail "systemd-analyze verify accepts the unit: $analyze"
fi
exposure=$(timeout 120 systemd-analyze security --offline=yes /lib/systemd/system/shortlink-server.service 2>&1 |
    grep -i 'overall exposure' || true)
echo "systemd-analyze security --offline=yes: ${exposure:-no score}"
if help=$(timeout 30 /usr/bin/shortlink-server --help 2>&1); then
    check "/usr/bin/shortlink-server --help runs and names DATABASE_URL" grep -q DATABASE_URL <<<"$help"
else
    fail "/usr/bin/shortlink-server --help runs: $help"
fi
check "/usr/bin/shortlink-server --version is $SERVER_VERSION" \
    test "$(timeout 30 /usr/bin/shortlink-server --version)" = "shortlink-server $SERVER_VERSION"
status=0
timeout 30 env -i /usr/bin/shortlink-server >/dev/null 2>&1 || status=$?
check "without DATABASE_URL the server exits 2 (the unit's RestartPreventExitStatus)" test "$status" = 2

LISTEN_PORT=$(free_port 18400)
ADMIN_PORT=$(free_port $((LISTEN_PORT + 1)))
say "the packaged server as user shortlink on 127.0.0.1:$LISTEN_PORT (admin $ADMIN_PORT), against the cluster"
# setpriv execs the server itself, so that $! is its pid.
setpriv --reuid=shortlink --regid=shortlink --clear-groups env -i PATH=/usr/bin:/bin \
    DATABASE_URL="host=127.0.0.1 port=$PORT user=postgres dbname=shortlink_package" \
    SHORTLINK_NO_DISPATCHER=true SHORTLINK_LISTEN="127.0.0.1:$LISTEN_PORT" SHORTLINK_ADMIN_LISTEN="127.0.0.1:$ADMIN_PORT" \
    /usr/bin/shortlink-server >"$CLUSTER/shortlink-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$ADMIN_PORT/readyz" && break; sleep 0.2; done
check "/readyz answers 200" test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/readyz")" = 200
host=${short_url#*://}; host=${host%%/*}
redirect=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $host" \
    -A 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' "http://127.0.0.1:$LISTEN_PORT/$code" || true)
check "GET /$code (Host: $host) redirects to https://example.com/x ($redirect)" \
    grep -Eq '^30[12] https://example.com/x$' <<<"$redirect"
kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
timeout 120 runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$CLUSTER/data" -m fast -w -t 60 stop >/dev/null
check "no backend terminated by a signal" sh -c "! grep -Eq 'terminated by signal|PANIC' '$CLUSTER/server.log'"

say "apt-get purge $EXT_PKG $SERVER_PKG"
timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$EXT_PKG" "$SERVER_PKG" 2>&1 | tail -3
for p in "$EXT_PKG" "$SERVER_PKG"; do
    check "$p is purged" eval "! known $p"
done
check "no file of the packages is left" sh -c "! ls $PKGLIBDIR/shortlink.so $EXTDIR/shortlink.control \
    /usr/bin/shortlink-server /lib/systemd/system/shortlink-server.service /etc/default/shortlink-server 2>/dev/null | grep -q ."
check "no unit link or deb-systemd-helper state is left" \
    sh -c '! find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked -name "shortlink-server*" 2>/dev/null | grep -q .'
check "purge keeps the system user shortlink (Debian keeps system users)" quiet getent passwd shortlink

say "done"
if [ "$failures" -gt 0 ]; then
    echo "FAIL $failures check(s) failed"
    exit 1
fi
echo "ok   all checks passed"
