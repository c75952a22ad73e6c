#!/usr/bin/env bash
# Installs what `make test` needs, idempotently (run as root on Debian 12; a machine that has
# everything already spends about a second here):
#   Debian packages: PHP 8.2 CLI with FFI and the extensions the tests load, phpunit, nginx,
#   wrk, libfcgi-bin, Chromium and ChromeDriver (the browser tests), php-codesniffer (make
#   lint-php), Node.js and npm when the machine has no npm of its own;
#   the local WordPress multisite's packages (tools/wp/install-packages.sh: MariaDB, PHP-FPM,
#   WordPress 6.8);
#   Python: the standardwebhooks verifier the receivers check signatures with;
#   the Rust toolchain's rustfmt and clippy (make lint).
#
#   tools/deps.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
. "$root/tools/wp/lib.sh"
mwh_require_root
export DEBIAN_FRONTEND=noninteractive

need=()
for p in php8.2-cli php8.2-fpm php8.2-mysql php8.2-curl php8.2-mbstring php8.2-xml php8.2-bcmath php8.2-intl phpunit \
         php-codesniffer nginx wrk libfcgi-bin chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' > /dev/null || need+=("$p")
done
# Node.js (for playwright-core): the machine's own when it has one, Debian's otherwise.
command -v npm > /dev/null || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
    mwh_log "installing ${need[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi

"$root/tools/wp/install-packages.sh"

# make lint: rustfmt and clippy, from the toolchain the build uses.
if command -v rustup > /dev/null && ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
    mwh_log "adding rustfmt and clippy to the Rust toolchain"
    rustup component add rustfmt clippy > /dev/null || mwh_log "could not add rustfmt and clippy: make lint will say what is missing"
fi

mwh_python_package standardwebhooks standardwebhooks
