#!/usr/bin/env bash
# Installs the system packages the test suite needs (browser, database server) when they are missing.
# Debian packages only; nothing is downloaded from elsewhere.
set -euo pipefail
need=()
# (filled in by later steps: chromium for the browser tests, postgresql for the audit store)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
