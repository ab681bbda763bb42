#!/usr/bin/env bash
# Prometheus (Debian package `prometheus`): the tests run /usr/bin/prometheus themselves with a
# generated scrape configuration, on loopback and a free port; the packaged service is not used.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  install)
    apt_install prometheus
    # The package starts its own service on :9090; the tests do not need it (and it would take the
    # port range of nothing of ours, but it is one more process on the machine).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
      as_root systemctl stop prometheus || true
    fi
    prometheus --version >/dev/null
    ;;
  *)
    echo "usage: $0 install" >&2
    exit 2
    ;;
esac
