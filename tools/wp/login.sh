#!/usr/bin/env bash
# Log in to WordPress over HTTP (wp-login.php) and leave the session in a curl cookie jar;
# prints the jar's path. Use it for HTTP tests of the (network) admin pages:
#     jar=$(tools/wp/login.sh /tmp/admin.cookies)
#     curl -s -b "$jar" http://localhost/wp-admin/network/
#
# Usage: tools/wp/login.sh COOKIE_JAR [--url=http://localhost/] [--user=admin] [--password=PW]
#   --url       site whose wp-login.php is used; http://127.0.0.1:8081/ logs in through the
#               pool without FFI (default http://localhost/)
#   --user      login (default admin, the super admin)
#   --password  default: the super admin's password from $MWH_STATE/admin-password
# Exit status 1 when the login fails or the network admin is not reachable with the cookies
# (the check is skipped for a user other than the super admin).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
jar="$1"; shift
case "$jar" in -*) usage ;; esac
url="$MWH_URL"
user="$MWH_ADMIN_USER"
password=""
for arg in "$@"; do
    case "$arg" in
        --url=*) url="${arg#--url=}" ;;
        --user=*) user="${arg#--user=}" ;;
        --password=*) password="${arg#--password=}" ;;
        *) usage ;;
    esac
done
if [ -z "$password" ]; then
    [ "$user" = "$MWH_ADMIN_USER" ] || mwh_die "--password is needed for user $user"
    [ -r "$MWH_STATE/admin-password" ] || mwh_die "cannot read $MWH_STATE/admin-password (run tools/wp/up.sh, as root)"
    password="$(head -n1 "$MWH_STATE/admin-password")"
fi
base="${url%/}"
mkdir -p "$(dirname "$jar")"
rm -f "$jar"
: > "$jar"
chmod 600 "$jar"

# WordPress refuses a login without its test cookie: fetch the form first.
curl -sS -o /dev/null --max-time 30 -c "$jar" -b "$jar" "$base/wp-login.php"
status="$(curl -sS -o /dev/null --max-time 30 -c "$jar" -b "$jar" -w '%{http_code}' \
    --data-urlencode "log=$user" --data-urlencode "pwd=$password" \
    --data-urlencode "rememberme=forever" --data-urlencode "testcookie=1" \
    --data-urlencode "wp-submit=Log In" --data-urlencode "redirect_to=$base/wp-admin/" \
    "$base/wp-login.php")"
if [ "$status" != 302 ] || ! grep 'wordpress_logged_in_' "$jar" > /dev/null; then
    mwh_die "login as $user at $base/wp-login.php failed (HTTP $status)"
fi
if [ "$user" = "$MWH_ADMIN_USER" ]; then
    page="$(curl -sS --max-time 30 -b "$jar" -w '\n%{http_code}' "$base/wp-admin/network/")"
    [ "${page##*$'\n'}" = 200 ] && grep 'Network Admin' <<< "$page" > /dev/null \
        || mwh_die "logged in, but $base/wp-admin/network/ is not reachable (HTTP ${page##*$'\n'})"
fi
echo "$jar"
