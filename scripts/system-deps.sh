#!/usr/bin/env bash
# Installs the system packages the test suite needs (browser, database server) when they are missing.
# Debian packages only; nothing is downloaded from elsewhere. Needs root (or sudo) only when something is missing.
set -euo pipefail
need=()
# The browser tests drive Debian's chromium headless (Playwright never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The audit store's tests start a throwaway PostgreSQL server (initdb/pg_ctl from Debian's package).
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
# Fonts so Chinese text renders in the browser screenshots and approval files.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# Approval-file PDFs embed a GB 2312 cut of WenQuanYi Micro Hei (TrueType: fast to subset); the tests read
# the PDFs back with poppler's pdftotext and pdftoppm.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
