#!/usr/bin/env bash
# Install the Debian packages mod_concierge needs, when any is missing.
# Uses apt-get directly as root, through sudo otherwise.  Quiet when all
# are present (one dpkg-query, well under a second).
set -euo pipefail

PKGS=(apache2 apache2-dev apache2-utils libapr1-dev libaprutil1-dev
      libaprutil1-dbd-pgsql libpq-dev libcurl4-openssl-dev libjansson-dev
      libssl-dev check postgresql postgresql-client wrk pkg-config curl
      make gcc
      # the risk gate's medical vocabulary (docs/VOCABULARY.md)
      hunspell-en-med hunspell-de-med wgerman-medical wamerican)
# Node for tests/node (Stripe's own library signs the test webhooks): Debian's
# only when no node is on PATH, so a newer Node installed otherwise stays.
command -v node >/dev/null || PKGS+=(nodejs npm)
# Debian's chromium for the browser tests (tests/browser; make test sets
# CC_DEPS_BROWSER): playwright-core drives it, no browser is downloaded.
[ -n "${CC_DEPS_BROWSER:-}" ] && PKGS+=(chromium)
[ -n "${CC_EXTRA_PKGS:-}" ] && read -r -a extra <<<"$CC_EXTRA_PKGS" && PKGS+=("${extra[@]}")

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
