#!/usr/bin/env bash
# Builds the Flink baseline of the Nexmark benchmark (bench/flink/: the queries as Flink DataStream
# programs) with Maven, from Maven Central artifacts kept in $WEIR_SERVICES_CACHE/m2, into
# $WEIR_SERVICES_CACHE/flink-bench (nothing is written into the source tree). Idempotent: a build
# from the same sources (pom.xml and src/, by content hash) is not redone.
#   bash bench/flink/build.sh             # build if needed
#   bash bench/flink/build.sh classpath   # build if needed, then print the java classpath
# Needs a JDK 17+ and Maven; run as root without them, it installs them from Debian's packages.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../test/services/lib.sh"

OUT="$WEIR_SERVICES_CACHE/flink-bench"
mkdir -p "$OUT"

sources_hash() {
  (cd "$HERE" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

build() {
  local hash
  hash="$(sources_hash)"
  [[ -f "$OUT/classpath" && "$(cat "$OUT/.built" 2>/dev/null)" == "$hash" ]] && return 0
  command -v javac >/dev/null || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null || apt_install maven
  rm -f "$OUT/.built" "$OUT/classpath"
  mvn -q -B -f "$HERE/pom.xml" -Dmaven.repo.local="$WEIR_SERVICES_CACHE/m2" -DflinkBench.buildDir="$OUT/target" \
    package dependency:build-classpath -Dmdep.outputFile="$OUT/deps.txt" >"$OUT/build.log" 2>&1 ||
    { cat "$OUT/build.log" >&2; echo "bench/flink: Maven build failed (log above, also in $OUT/build.log)" >&2; exit 1; }
  echo "$OUT/target/flink-nexmark-1.jar:$(cat "$OUT/deps.txt")" >"$OUT/classpath"
  echo "$hash" >"$OUT/.built"
}

# One build at a time (the bench and a test may ask at once).
exec 9>"$OUT/.lock"
flock 9
case "${1:-build}" in
  build) build ;;
  classpath) build && cat "$OUT/classpath" ;;
  *) echo "usage: $0 [build|classpath]" >&2; exit 2 ;;
esac
