#!/usr/bin/env bash
# Run PHP code or a PHP script inside the local WordPress network, as one of its sites.
# WordPress is loaded through wp-load.php with HTTP_HOST/REQUEST_URI taken from --url; the
# PHP CLI runs as www-data (files it writes, e.g. in the spool, get the web server's owner)
# and has FFI available (the CLI default, ffi.enable=preload, allows it).
#
# Usage: tools/wp/wp-php.sh [--url=http://localhost/site2/] [--user=admin] [-d INI=VALUE]...
#                           (-r 'CODE' | SCRIPT.php | -) [ARGS...]
#   -r CODE      run CODE (no <?php), like php -r
#   SCRIPT.php   run a script file (it must be readable by www-data); ARGS become $argv[1..]
#   -            read the script from standard input
#   --url=URL    site to load (default http://localhost/, the main site)
#   --user=LOGIN make this user the current user (capability checks)
#   -d INI=VAL   php.ini setting for this run, e.g. -d ffi.enable=0 to simulate no FFI
# Examples:
#   tools/wp/wp-php.sh --url=http://localhost/site2/ -r 'echo get_bloginfo("name"), "\n";'
#   tools/wp/wp-php.sh --user=admin my-test.php one two
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

url="$MWH_URL"
user=""
ini=()
while [ $# -gt 0 ]; do
    case "$1" in
        --url=*) url="${1#--url=}"; shift ;;
        --url) [ $# -ge 2 ] || usage; url="$2"; shift 2 ;;
        --user=*) user="${1#--user=}"; shift ;;
        --user) [ $# -ge 2 ] || usage; user="$2"; shift 2 ;;
        -d) [ $# -ge 2 ] || usage; ini+=(-d "$2"); shift 2 ;;
        -d*) ini+=("$1"); shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage
case "$url" in http://*|https://*) ;; *) url="http://$url" ;; esac
[ -f "$WP_PATH/wp-load.php" ] || mwh_die "WordPress is not installed in $WP_PATH (run tools/wp/up.sh)"

args=("$@")
if [ "${args[0]}" != "-r" ] && [ "${args[0]}" != "-" ]; then
    [ -f "${args[0]}" ] || mwh_die "no such script: ${args[0]}"
    args[0]="$(realpath "${args[0]}")"
fi

cmd=(env MWH_WP_URL="$url" MWH_WP_PATH="$WP_PATH" MWH_RUN_USER="$user" php "${ini[@]}" "$MWH_TOOLS_DIR/php/run.php" "${args[@]}")
if [ "$(id -u)" -eq 0 ]; then
    exec runuser -u www-data -- "${cmd[@]}"
fi
exec "${cmd[@]}"
