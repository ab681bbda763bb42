#!/usr/bin/env bash
# Chromium from Debian's packages, for the dashboard's browser tests (driven by playwright-core
# through /usr/bin/chromium: no browser is downloaded).
# Usage: chromium.sh install
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  apt_install chromium
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
