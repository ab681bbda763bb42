#!/usr/bin/env bash
# etcd (Debian's etcd-server): the coordination service of high-availability.type etcd.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  install) command -v etcd >/dev/null || apt_install etcd-server ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
