#!/usr/bin/env bash
# PostgreSQL from Debian's packages (postgresql: the distribution's supported major). The tests run
# their own server in a fresh data directory (initdb), as the postgres user when run as root
# (PostgreSQL refuses to run as root), on a free loopback port.
# Usage: postgresql.sh install
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install() {
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then return 0; fi
  apt_install postgresql
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
