#!/usr/bin/env bash
# Stop what tools/wp/up.sh started (nginx, PHP-FPM, MariaDB), each by its own pid file.
# Data (database, uploads, spool, logs) stays in $MWH_STATE; tools/wp/up.sh brings it back.
#
# Usage: tools/wp/down.sh        Env: MWH_STATE (/var/lib/mwh-dev)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mwh_require_root

if [ ! -d "$MWH_STATE" ]; then
    mwh_log "nothing to stop ($MWH_STATE does not exist)"
    exit 0
fi
mwh_lock

mwh_log "stopping the local WordPress network ($MWH_STATE)"
mwh_stop_pidfile nginx "$MWH_NGINX_PIDFILE" nginx QUIT 30
mwh_stop_pidfile php-fpm "$MWH_FPM_PIDFILE" "$(basename "$PHP_FPM_BIN")" QUIT 30
rm -f "$MWH_FPM_SOCKET" "$MWH_FPM_NOFFI_SOCKET"
mwh_stop_pidfile mariadb "$MWH_DB_PIDFILE" mariadbd TERM 60
