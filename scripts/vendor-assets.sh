#!/bin/bash
# Re-fetch the JavaScript the portal serves itself (no CDN: the portal works offline).
# The pinned versions live in package.json; the fetched files are committed under
# src/antenna/portal/static/portal/vendor/ so a Python-only machine can run `make demo`.
# Needs npm (Node.js). Usage: scripts/vendor-assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSION=$(node -p "require('./package.json').dependencies['chart.js']")
DEST="$ROOT/src/antenna/portal/static/portal/vendor/chart.js"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p "$DEST"
cp "$WORK/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
cp "$WORK/package/LICENSE.md" "$DEST/LICENSE.md"
echo "chart.js $VERSION (npm, dist/chart.umd.min.js)" > "$DEST/VERSION"
sha256sum "$DEST/chart.umd.min.js" | cut -d' ' -f1 >> "$DEST/VERSION"
echo "Vendored chart.js $VERSION into $DEST"
