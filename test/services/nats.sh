#!/usr/bin/env bash
# NATS server with JetStream, from Debian's nats-server package. test/helpers/services/nats.ts runs
# it with `-js -sd <fresh dir> -a 127.0.0.1 -p <free port>`.
#   bash test/services/nats.sh install   # idempotent
#   bash test/services/nats.sh bin       # prints the server binary
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin() {
  command -v nats-server 2>/dev/null || { [[ -x /usr/sbin/nats-server ]] && echo /usr/sbin/nats-server; } || { [[ -x /usr/bin/nats-server ]] && echo /usr/bin/nats-server; }
}

case "${1:-install}" in
  install) bin >/dev/null || apt_install nats-server ;;
  bin) bin ;;
  *) echo "usage: $0 install|bin" >&2; exit 2 ;;
esac
