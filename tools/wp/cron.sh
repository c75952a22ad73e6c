#!/usr/bin/env bash
# Run the due WP-Cron events (WordPress's own cron is off: DISABLE_WP_CRON), as www-data,
# for one site or for every site of the network.
#
# Usage: tools/wp/cron.sh                     every site
#        tools/wp/cron.sh --url=http://localhost/site2/
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

urls=()
case "${1:-}" in
    --url=*) urls=("${1#--url=}") ;;
    "") mapfile -t urls < <(mwh_wp_php "$MWH_URL" "$MWH_TOOLS_DIR/php/sites.php") ;;
    *) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ "${#urls[@]}" -gt 0 ] || mwh_die "no sites found"
for u in "${urls[@]}"; do
    mwh_note "cron $u"
    mwh_wp_php "$u" "$MWH_TOOLS_DIR/php/cron.php"
done
