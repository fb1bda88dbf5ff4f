#!/usr/bin/env bash
# Node.js and npm, for the VS Code extension in editors/vscode: its tests
# (tests/test_vscode_extension.py) and its package (editors/vscode/build.sh). Installs Debian's
# nodejs and npm, nothing else; the extension's own npm packages come from the npm registry with
# `npm ci`. Idempotent: it installs only when `node` or `npm` is missing. Debian 12 ships Node.js
# 18; the packaging tool (@vscode/vsce 3) asks for Node.js 20, which this project's machines have.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q nodejs npm
command -v node >/dev/null && command -v npm >/dev/null
