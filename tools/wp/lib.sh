# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for the tools/wp/*.sh scripts (sourced, not run).
#
# Every setting can be overridden from the environment:
#   WP_ROOT            where WordPress is extracted           (/opt/mwh-wordpress)
#   MWH_STATE          runtime state: configs, pids, logs, db (/var/lib/mwh-dev)
#   MWH_DB_NAME        database name                          (mwh_wp)
#   MWH_DB_USER        database user                          (mwh_wp)
#   MWH_DB_PORT        TCP port of our MariaDB on 127.0.0.1   (3307)
#   MWH_NOFFI_PORT     nginx port served by the pool without FFI (8081)
#   FPM_WORKERS        workers of the FFI pool                (4)
#   FPM_NOFFI_WORKERS  workers of the pool without FFI        (2)

# The repository root, from this file's own location.
MWH_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
MWH_TOOLS_DIR="$MWH_REPO_ROOT/tools/wp"

WP_ROOT="${WP_ROOT:-/opt/mwh-wordpress}"
WP_PATH="$WP_ROOT/usr/share/wordpress"                # ABSPATH, the document root
WP_CONTENT_DIR="$WP_ROOT/var/lib/wordpress/wp-content" # WP_CONTENT_DIR
WP_CONFIG_DIR="$WP_ROOT/etc/wordpress"                # holds config-default.php
WP_MARKER="$WP_ROOT/.mwh-wordpress"                   # "<version> <source>" once extracted

MWH_STATE="${MWH_STATE:-/var/lib/mwh-dev}"
MWH_RUN="$MWH_STATE/run"
MWH_LOGS="$MWH_STATE/logs"
MWH_SPOOL="$MWH_STATE/spool"
MWH_DB_DATADIR="$MWH_STATE/mysql"
MWH_DB_RUN="$MWH_RUN/mysqld"
MWH_DB_SOCKET="$MWH_DB_RUN/mysqld.sock"
MWH_DB_PIDFILE="$MWH_DB_RUN/mysqld.pid"
MWH_DB_CNF="$MWH_STATE/my.cnf"
MWH_DB_NAME="${MWH_DB_NAME:-mwh_wp}"
MWH_DB_USER="${MWH_DB_USER:-mwh_wp}"
MWH_DB_PORT="${MWH_DB_PORT:-3307}"
MWH_FPM_CONF="$MWH_STATE/php-fpm.conf"
MWH_FPM_PIDFILE="$MWH_RUN/php-fpm.pid"
MWH_FPM_SOCKET="$MWH_RUN/php-fpm.sock"
MWH_FPM_NOFFI_SOCKET="$MWH_RUN/php-fpm-noffi.sock"
MWH_NGINX_DIR="$MWH_STATE/nginx"
MWH_NGINX_CONF="$MWH_NGINX_DIR/nginx.conf"
MWH_NGINX_PIDFILE="$MWH_RUN/nginx.pid"
MWH_NOFFI_PORT="${MWH_NOFFI_PORT:-8081}"
FPM_WORKERS="${FPM_WORKERS:-4}"
FPM_NOFFI_WORKERS="${FPM_NOFFI_WORKERS:-2}"

MWH_URL="http://localhost/"
MWH_ADMIN_USER="admin"
MWH_ADMIN_EMAIL="admin@example.com"
MWH_SITE_TITLE="Multisite Webhooks Demo"
MWH_PLUGIN_SLUG="multisite-webhooks"
MWH_PLUGIN_FILE="multisite-webhooks/multisite-webhooks.php"

PHP_FPM_BIN="${PHP_FPM_BIN:-/usr/sbin/php-fpm8.2}"
NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"
MARIADBD_BIN="${MARIADBD_BIN:-/usr/sbin/mariadbd}"

mwh_log()  { printf '==> %s\n' "$*"; }
mwh_note() { printf '    %s\n' "$*"; }
mwh_warn() { printf 'WARNING: %s\n' "$*" >&2; }
mwh_die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Installs a Python package for python3 unless it imports already. Debian's own python3 is
# "externally managed" (PEP 668): pip is installed first if missing, and puts the package in
# /usr/local, beside Debian's packages, never over them.
#   mwh_python_package <import name> <pip name>
mwh_python_package() {
    python3 -c "import $1" 2>/dev/null && return 0
    mwh_log "installing $2 (Python)"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
    local managed
    managed="$(python3 -c 'import sysconfig, os; print(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))')"
    if [ "$managed" = "True" ]; then
        python3 -m pip install -q --break-system-packages "$2"
    else
        python3 -m pip install -q "$2"
    fi
}

# The Debian mirror this machine's apt sources use (deb822 .sources or one-line .list files),
# so other suites are fetched from the same place. Empty when none is found.
mwh_debian_mirror() {
    local f uri=""
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        uri="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; exit } }' "$f")"
        [ -n "$uri" ] && { printf '%s\n' "${uri%/}"; return; }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri="$(awk 'tolower($1) == "uris:" && $2 !~ /security/ { print $2; exit }' "$f")"
        [ -n "$uri" ] && { printf '%s\n' "${uri%/}"; return; }
    done
}

mwh_require_root() {
    [ "$(id -u)" -eq 0 ] || mwh_die "run this as root (it manages services and files under $MWH_STATE)"
}

# mwh_pid_running PIDFILE EXE_NAME: true when the pid file names a live process whose
# executable is EXE_NAME (so a stale pid file reused by another program never matches).
mwh_pid_running() {
    local pidfile="$1" exe="$2" pid target
    [ -s "$pidfile" ] || return 1
    pid="$(tr -dc '0-9' < "$pidfile")"
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    target="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    target="${target% (deleted)}"
    [ "$(basename "$target")" = "$exe" ]
}

mwh_pid_of() { tr -dc '0-9' < "$1"; }

# mwh_alive PID: the process exists and is not a zombie (an exited daemon stays a zombie
# until init reaps it, which some container inits do only now and then).
mwh_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
    [ -n "$state" ] && [ "$state" != Z ]
}

# mwh_stop_pidfile NAME PIDFILE EXE SIGNAL [TIMEOUT]: signal the process and wait until it is gone.
mwh_stop_pidfile() {
    local name="$1" pidfile="$2" exe="$3" sig="$4" timeout="${5:-30}" pid i
    if ! mwh_pid_running "$pidfile" "$exe"; then
        mwh_note "$name: not running"
        rm -f "$pidfile"
        return 0
    fi
    pid="$(mwh_pid_of "$pidfile")"
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 20; i++)); do
        mwh_alive "$pid" || break
        sleep 0.05
    done
    if mwh_alive "$pid"; then
        mwh_warn "$name (pid $pid) still running after ${timeout}s; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    mwh_note "$name: stopped (pid $pid)"
}

# mwh_write_file TARGET MODE OWNER < content: replace TARGET only when the content changed.
# Returns 0 when the file was (re)written, 1 when it was already up to date.
mwh_write_file() {
    local target="$1" mode="$2" owner="$3" tmp
    tmp="$(mktemp "${target}.XXXXXX")"
    cat > "$tmp"
    if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        chmod "$mode" "$target"
        chown "$owner" "$target"
        return 1
    fi
    chmod "$mode" "$tmp"
    chown "$owner" "$tmp"
    mv -f "$tmp" "$target"
    return 0
}

# mwh_secret FILE: print the secret stored in FILE, generating it (0600) on first use.
mwh_secret() {
    local file="$1"
    if [ ! -s "$file" ]; then
        (umask 077 && php -r 'echo bin2hex(random_bytes(12)), "\n";' > "$file.tmp" && mv -f "$file.tmp" "$file")
    fi
    chmod 600 "$file"
    head -n1 "$file"
}

# mwh_run_as_www CMD...: run a command as www-data (directly when already www-data).
mwh_run_as_www() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u www-data -- "$@"
    else
        "$@"
    fi
}

# mwh_wp_php URL SCRIPT ARGS...: run one of tools/wp/php/*.php inside WordPress as www-data.
mwh_wp_php() {
    local url="$1"; shift
    mwh_run_as_www env MWH_WP_URL="$url" MWH_WP_PATH="$WP_PATH" php "$@" 9>&-
}

# mwh_lock: one up/down/reset at a time (fd 9; daemons are started with 9>&- so they never hold it).
mwh_lock() {
    exec 9> "$MWH_STATE/.lock"
    flock -w 300 9 || mwh_die "another tools/wp script holds $MWH_STATE/.lock for 5 minutes; giving up"
}
