#!/usr/bin/env bash
# Install what the local WordPress multisite needs (idempotent; run as root on Debian 12):
#   Debian packages: MariaDB, nginx, PHP 8.2 (FPM + CLI + extensions), libfcgi-bin, unzip, curl
#   WordPress 6.8, extracted from Debian trixie's .debs into $WP_ROOT (default /opt/mwh-wordpress)
#
# Usage: tools/wp/install-packages.sh
# Env:   WP_ROOT=/opt/mwh-wordpress     where WordPress goes (nothing is installed system-wide)
#        WP_DEBIAN_SUITE=trixie         suite to take WordPress from; "system" = the machine's
#                                       own apt sources (WordPress 6.1 on bookworm)
#        WP_DEBIAN_MIRROR=URL           Debian mirror for that suite (default: the one this
#                                       machine's apt sources use)
#        WP_REINSTALL=1                 extract WordPress again even when present
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mwh_require_root

export DEBIAN_FRONTEND=noninteractive
WP_DEBIAN_SUITE="${WP_DEBIAN_SUITE:-trixie}"
WP_DEBIAN_MIRROR="${WP_DEBIAN_MIRROR:-$(mwh_debian_mirror)}"
if [ -z "$WP_DEBIAN_MIRROR" ] && [ "$WP_DEBIAN_SUITE" != system ]; then
    mwh_warn "no Debian mirror found in this machine's apt sources: taking WordPress from its own suite"
    WP_DEBIAN_SUITE=system
fi

[[ "$WP_ROOT" =~ ^/[A-Za-z0-9._/-]+$ ]] || mwh_die "WP_ROOT must be an absolute path of letters, digits, . _ - / (got '$WP_ROOT')"

# ---------------------------------------------------------------- Debian packages
PACKAGES=(
    mariadb-server mariadb-client
    nginx
    php8.2-fpm php8.2-cli php8.2-opcache php8.2-readline
    php8.2-mysql php8.2-curl php8.2-mbstring php8.2-xml php8.2-bcmath php8.2-gd
    libfcgi-bin unzip curl ca-certificates
)

# (grep reads all its input: with pipefail, "grep -q" can fail the pipeline through SIGPIPE)
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep 'install ok installed' > /dev/null; }
has_candidate() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [0-9]' > /dev/null; }

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        mwh_log "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
}

missing=()
for p in "${PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
if ! is_installed php8.2-intl; then
    has_candidate php8.2-intl || { apt_update_once; }
    if has_candidate php8.2-intl; then missing+=(php8.2-intl); else mwh_note "php8.2-intl not available here; skipped"; fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
    apt_update_once
    mwh_log "apt-get install ${missing[*]}"
    # Keep the packages' own services (system nginx on 0.0.0.0:80, system MariaDB) from
    # starting during the install: up.sh runs its own instances.
    policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    # --no-install-recommends: never pull in Apache (the "php" metapackage would).
    apt_log="$(mktemp /tmp/mwh-apt-install.XXXXXX.log)"
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" > "$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        mwh_die "apt-get install failed (full log: $apt_log)"
    fi
    rm -f "$apt_log"
    if [ "$policy_added" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
else
    mwh_log "Debian packages: all present"
fi
for p in apache2 apache2-bin libapache2-mod-php8.2; do
    is_installed "$p" && mwh_warn "$p is installed on this machine (not needed; it may hold port 80)"
done
true

# ---------------------------------------------------------------- WordPress
if [ -f "$WP_MARKER" ] && [ -f "$WP_PATH/wp-includes/version.php" ] && [ "${WP_REINSTALL:-0}" != 1 ]; then
    mwh_log "WordPress $(cut -d' ' -f1 "$WP_MARKER") already in $WP_ROOT (WP_REINSTALL=1 to redo)"
    exit 0
fi

work="$(mktemp -d /tmp/mwh-wp-debs.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/lists/partial" "$work/cache/archives/partial"

# apt options for a private apt state that reads only our own sources file.
private_apt() {
    apt-get -q \
        -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" \
        -o Dir::Cache::pkgcache="$work/cache/pkgcache.bin" -o Dir::Cache::srcpkgcache="$work/cache/srcpkgcache.bin" \
        -o APT::Sandbox::User=root "$@"
}
system_apt() { apt-get -q -o APT::Sandbox::User=root "$@"; }

# download_wordpress APT_FUNCTION: wordpress, its theme and the libraries it links to.
download_wordpress() {
    local apt_fn="$1" deps theme
    rm -f "$work"/debs/*.deb
    (cd "$work/debs" && "$apt_fn" download wordpress) || return 1
    # The JS/PHP libraries WordPress's symlinks point into, and the default theme.
    deps="$(dpkg-deb -f "$work"/debs/wordpress_*.deb Depends | tr ',|' '\n\n' | sed 's/(.*//; s/ //g' \
            | grep -E '^(libjs-|libphp-|php-getid3)' | sort -u || true)"
    theme="$(dpkg-deb -f "$work"/debs/wordpress_*.deb Recommends | tr ',|' '\n\n' | sed 's/(.*//; s/ //g' \
            | grep -E '^wordpress-theme-' | head -n1 || true)"
    # shellcheck disable=SC2086
    (cd "$work/debs" && "$apt_fn" download $deps $theme) || return 1
}

source_used=""
if [ "$WP_DEBIAN_SUITE" != system ]; then
    mwh_log "Downloading WordPress from Debian $WP_DEBIAN_SUITE ($WP_DEBIAN_MIRROR)"
    echo "deb $WP_DEBIAN_MIRROR $WP_DEBIAN_SUITE main" > "$work/sources.list"
    if private_apt update > "$work/apt.log" 2>&1 && download_wordpress private_apt >> "$work/apt.log" 2>&1; then
        source_used="$WP_DEBIAN_SUITE"
    else
        mwh_warn "could not download WordPress from Debian $WP_DEBIAN_SUITE ($WP_DEBIAN_MIRROR); apt said:"
        tail -n 8 "$work/apt.log" | sed 's/^/    /' >&2
        mwh_warn "falling back to the WordPress of this machine's own apt sources (older: 6.1 on bookworm)."
        mwh_warn "Set WP_DEBIAN_MIRROR to a reachable Debian mirror and re-run with WP_REINSTALL=1 for 6.8."
    fi
fi
if [ -z "$source_used" ]; then
    mwh_log "Downloading WordPress from this machine's apt sources"
    has_candidate wordpress || apt_update_once
    if download_wordpress system_apt > "$work/apt.log" 2>&1; then
        source_used="system"
    else
        tail -n 8 "$work/apt.log" | sed 's/^/    /' >&2
        mwh_die "could not download the wordpress .debs from any apt source (see the lines above)"
    fi
fi

new="$WP_ROOT.new.$$"
rm -rf "$new"
mkdir -p "$new"
for deb in "$work"/debs/*.deb; do
    mwh_note "extract $(basename "$deb")"
    dpkg -x "$deb" "$new"
done
[ -f "$new/usr/share/wordpress/wp-includes/version.php" ] || mwh_die "the wordpress .deb did not contain usr/share/wordpress"

# Absolute symlinks that point into the package tree (the theme, .htaccess) become
# relative so they resolve inside our folder; links to system files (CA bundle) stay.
while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    case "$target" in /*) ;; *) continue ;; esac
    if [ -e "$new$target" ] || [ -L "$new$target" ]; then
        ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$new$target")" "$link"
    fi
done < <(find "$new" -type l -print0)
# Every bundled theme is visible from the content directory.
mkdir -p "$new/var/lib/wordpress/wp-content/themes"
for theme_dir in "$new"/usr/share/wordpress/wp-content/themes/*/; do
    [ -d "$theme_dir" ] || continue
    name="$(basename "$theme_dir")"
    dest="$new/var/lib/wordpress/wp-content/themes/$name"
    [ -e "$dest" ] || ln -sfn "../../../../../usr/share/wordpress/wp-content/themes/$name" "$dest"
done
broken="$(find "$new" -xtype l -printf '%P -> %l\n' || true)"
[ -z "$broken" ] || { mwh_warn "symlinks left unresolved:"; printf '    %s\n' "$broken" >&2; }

# Debian's wp-config.php hard-codes /etc/wordpress, ABSPATH and WP_CONTENT_DIR: point all of
# them into $WP_ROOT so this copy never runs another install's code or config.
cfg="$new/usr/share/wordpress/wp-config.php"
sed -i \
    -e "s#/etc/wordpress/#$WP_ROOT/etc/wordpress/#g" \
    -e "s#'/usr/share/wordpress/'#'$WP_PATH/'#g" \
    -e "s#'/var/lib/wordpress/wp-content'#'$WP_CONTENT_DIR'#g" \
    -e "s#\$_SERVER\['HTTP_HOST'\])#(\$_SERVER['HTTP_HOST'] ?? 'localhost'))#" \
    "$cfg"
if grep -nE "[\"'](/etc/wordpress|/usr/share/wordpress|/var/lib/wordpress)" "$cfg"; then
    mwh_die "could not rewrite every system path in $cfg (lines above)"
fi
grep -q "'$WP_PATH/'" "$cfg" && grep -q "'$WP_CONTENT_DIR'" "$cfg" && grep -q "$WP_ROOT/etc/wordpress/config-" "$cfg" \
    && grep -q "HTTP_HOST'] ?? 'localhost'" "$cfg" \
    || mwh_die "Debian's wp-config.php changed shape; cannot patch $cfg"
php -l "$cfg" > /dev/null
mkdir -p "$new/etc/wordpress"

version="$(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" "$new/usr/share/wordpress/wp-includes/version.php")"
echo "$version $source_used" > "$new/.mwh-wordpress"
chmod 755 "$new"

if [ -e "$WP_ROOT" ]; then
    # Re-extraction keeps what was added to the old copy: wp-config parts, plugins and
    # must-use plugins (links), the uploads link.
    old_content="$WP_ROOT/var/lib/wordpress/wp-content"
    new_content="$new/var/lib/wordpress/wp-content"
    if [ -L "$old_content/uploads" ]; then
        rmdir "$new_content/uploads" 2>/dev/null || true
        [ -e "$new_content/uploads" ] || cp -a "$old_content/uploads" "$new_content/uploads"
    fi
    [ -d "$old_content" ] && cp -an "$old_content/." "$new_content/"
    [ -d "$WP_ROOT/etc/wordpress" ] && cp -an "$WP_ROOT/etc/wordpress/." "$new/etc/wordpress/"
    mv "$WP_ROOT" "$WP_ROOT.old.$$"
    mv "$new" "$WP_ROOT"
    rm -rf "$WP_ROOT.old.$$"
else
    mkdir -p "$(dirname "$WP_ROOT")"
    mv "$new" "$WP_ROOT"
fi
mwh_log "WordPress $version ($source_used) extracted to $WP_ROOT"
mwh_note "ABSPATH        $WP_PATH/"
mwh_note "WP_CONTENT_DIR $WP_CONTENT_DIR"
