#!/usr/bin/env bash
# Clean slate: stop everything (down.sh), drop the database and delete the state directory
# ($MWH_STATE: database files, uploads, spool, logs, passwords) and the generated wp-config
# part. WordPress itself ($WP_ROOT) and the Debian packages stay installed.
#
# Usage: tools/wp/reset.sh       Env: MWH_STATE (/var/lib/mwh-dev), WP_ROOT (/opt/mwh-wordpress)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mwh_require_root

case "$MWH_STATE" in
    /|/var|/var/lib|/tmp|/root|/home|/etc|/usr|/opt|"") mwh_die "refusing to delete MWH_STATE=$MWH_STATE" ;;
esac

if [ -d "$MWH_STATE" ] && mwh_pid_running "$MWH_DB_PIDFILE" mariadbd; then
    mwh_log "dropping database $MWH_DB_NAME"
    mariadb --defaults-file="$MWH_DB_CNF" -uroot -e "DROP DATABASE IF EXISTS \`$MWH_DB_NAME\`;" \
        || mwh_warn "could not drop $MWH_DB_NAME (its files go with $MWH_STATE anyway)"
fi
bash "$MWH_TOOLS_DIR/down.sh"

mwh_log "removing $MWH_STATE"
rm -rf "$MWH_STATE"
# The generated wp-config part and the uploads link, when they belong to this state directory.
if [ -f "$WP_CONFIG_DIR/config-default.php" ] && grep -F "'$MWH_STATE/" "$WP_CONFIG_DIR/config-default.php" > /dev/null; then
    rm -f "$WP_CONFIG_DIR/config-default.php"
fi
if [ -L "$WP_CONTENT_DIR/uploads" ] && [ "$(readlink "$WP_CONTENT_DIR/uploads")" = "$MWH_STATE/uploads" ]; then
    rm -f "$WP_CONTENT_DIR/uploads"
fi
for link in "$WP_CONTENT_DIR"/mu-plugins/*.php; do
    [ -L "$link" ] && case "$(readlink "$link")" in "$MWH_TOOLS_DIR"/mu-plugins/*) rm -f "$link" ;; esac
done
true
mwh_log "clean slate: tools/wp/up.sh installs a new network"
