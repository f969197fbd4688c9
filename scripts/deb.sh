#!/usr/bin/env bash
# make deb: the Debian package, built from a copy of this tree (tracked and
# new files, not build/ or var/) with dpkg-buildpackage -us -uc, then
# checked by lintian.  Leaves build/deb/libapache2-mod-concierge_*.deb.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CC_EXTRA_PKGS="debhelper dpkg-dev fakeroot lintian" "$top/scripts/deps.sh"
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
# One version: the module reports MC_VERSION in /api/admin/health.
modver=$(sed -nE 's/^#define MC_VERSION +"([^"]+)".*/\1/p' "$top/mod_concierge/mc_private.h")
if [ "${ver%%-*}" != "$modver" ]; then
    echo "deb: debian/changelog says $ver, mc_private.h MC_VERSION $modver" >&2
    exit 1
fi
work=$(mktemp -d /tmp/cc-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/mod-concierge-$ver
mkdir -p "$src"
( cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - ) | tar -xf - -C "$src"
( cd "$src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 ) \
    || { tail -n 40 "$work/build.log" >&2; echo "deb: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$top/build/deb"
cp "$work"/*.deb "$top/build/deb/"
deb=$(ls "$top"/build/deb/libapache2-mod-concierge_"$ver"_*.deb | tail -n1)
echo "deb: $deb"
lintian --fail-on error "$deb" && echo "deb: lintian found no errors"
