#!/usr/bin/env bash
# Apache Kafka (KRaft, broker + controller in one JVM) from its official artifacts on Maven Central:
# org.apache.kafka:kafka_2.13 (the server) and org.apache.kafka:kafka-tools (the perf tools) with
# their runtime dependencies, copied into $WEIR_SERVICES_CACHE/kafka-<version>/libs and run with
# `java -cp 'libs/*'` by test/helpers/services/kafka.ts. Needs Java 17+ and Maven.
#   bash test/services/kafka.sh install   # idempotent
#   bash test/services/kafka.sh libs      # prints the libs directory
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${WEIR_KAFKA_VERSION:-4.1.1}"
HOME_DIR="$WEIR_SERVICES_CACHE/kafka-$KAFKA_VERSION"
LIBS="$HOME_DIR/libs"

install() {
  [[ -f "$HOME_DIR/.complete" ]] && return 0
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  mkdir -p "$HOME_DIR"
  cat >"$HOME_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>weir.test</groupId>
  <artifactId>kafka-server</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$LIBS"
  mvn -q -B -f "$HOME_DIR/pom.xml" -Dmaven.repo.local="$WEIR_SERVICES_CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS"
  touch "$HOME_DIR/.complete"
}

case "${1:-install}" in
  install) install ;;
  libs) echo "$LIBS" ;;
  *) echo "usage: $0 install|libs" >&2; exit 2 ;;
esac
