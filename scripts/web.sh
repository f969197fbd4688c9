#!/usr/bin/env bash
# Build the patient pages and the chat widget into htdocs/ (make build):
# npm ci in web/ when web/node_modules is missing or older than the
# lockfile (esbuild, exactly as locked), then web/build.mjs.  Generated
# files (htdocs/*.html, htdocs/assets/, htdocs/widget.js) are git-ignored.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
dir="$top/web"
for tool in node npm; do
    command -v "$tool" >/dev/null || {
        echo "web.sh: $tool is not installed (scripts/deps.sh installs nodejs and npm)" >&2
        exit 1
    }
done
stamp="$dir/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    echo "web.sh: installing web/ packages (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || {
        echo "web.sh: npm ci failed in web/" >&2
        exit 1
    }
    touch "$stamp"
fi
exec node "$dir/build.mjs" "$top/htdocs"
