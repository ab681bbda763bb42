#!/usr/bin/env bash
# Apache Flink (local MiniCluster) for the Nexmark baseline: builds bench/flink/ (the queries as
# Flink DataStream programs, Flink's artifacts from Maven Central) into
# $WEIR_SERVICES_CACHE/flink-bench, so test/integration/flink-baseline.test.ts and `npm run bench`
# find it built. Needs Java 17+ and Maven (installed from Debian's packages when missing).
#   bash test/services/flink.sh install     # idempotent
#   bash test/services/flink.sh classpath   # prints the java classpath
set -euo pipefail
BUILD="$(dirname "${BASH_SOURCE[0]}")/../../bench/flink/build.sh"

case "${1:-install}" in
  install) bash "$BUILD" build ;;
  classpath) bash "$BUILD" classpath ;;
  *) echo "usage: $0 install|classpath" >&2; exit 2 ;;
esac
