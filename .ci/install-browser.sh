#!/usr/bin/env bash
# Debian's Chromium (and chromedriver), for the browser test of the HTML report
# (tests/test_report_browser.py) and docs/make_screenshot.py. Playwright drives this system
# browser; nothing is downloaded besides Debian packages. Idempotent: it installs only when
# /usr/bin/chromium is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q chromium chromium-driver
test -x /usr/bin/chromium
