#!/usr/bin/env bash
# Install the Node packages the tests use (tests/node/package-lock.json,
# exactly as locked) when tests/node/node_modules is missing or older than
# the lockfile.  Quiet when up to date.  Needs node and npm (scripts/deps.sh
# installs Debian's when no node is on PATH).
set -euo pipefail
DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/node"

for tool in node npm; do
    command -v "$tool" >/dev/null || {
        echo "npm.sh: $tool is not installed (scripts/deps.sh installs nodejs and npm)" >&2
        exit 1
    }
done
# The stamp npm ci leaves is node_modules/.package-lock.json; the folder's
# own time would not move when npm ci rewrites an existing tree.
STAMP="$DIR/node_modules/.package-lock.json"
if [ -f "$STAMP" ] && [ ! "$DIR/package-lock.json" -nt "$STAMP" ]; then
    exit 0
fi
echo "npm.sh: installing tests/node packages (npm ci)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error) || {
    echo "npm.sh: npm ci failed in tests/node" >&2
    exit 1
}
touch "$STAMP"
