#!/usr/bin/env bash
# Packages the VS Code extension: editors/vscode/build.sh [OUT_DIR] writes
# OUT_DIR/aicxs-<version>.vsix (OUT_DIR defaults to editors/vscode/dist). Runs from any
# directory; idempotent. The only network it may use is the npm registry, for `npm ci` when
# node_modules is missing or older than package-lock.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here"

# npm ci writes node_modules/.package-lock.json last; a lock file newer than it means stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

version="$(node -p 'require("./package.json").version')"
# The project has no public repository address yet: vsce would otherwise stop and ask.
npx --no-install vsce package --allow-missing-repository --out "$out/aicxs-$version.vsix"
