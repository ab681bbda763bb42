#!/usr/bin/env bash
# ZooKeeper (Debian's zookeeper, run by Java 17): the coordination service of high-availability.type zookeeper.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  install)
    [[ -d /usr/share/zookeeper ]] || apt_install zookeeper
    command -v java >/dev/null || apt_install openjdk-17-jre-headless
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
