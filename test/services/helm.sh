#!/usr/bin/env bash
# Helm (the Kubernetes package manager), built from its Go module on the Go module proxy: the tests
# lint and render the operator's chart (deploy/helm/) with it.
# Usage: helm.sh install   → prints the path of $WEIR_SERVICES_CACHE/bin/helm
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${HELM_VERSION:-v3.21.4}"
BIN="$WEIR_SERVICES_CACHE/bin/helm"

install() {
  if [[ -x "$BIN" && -f "$BIN.version" && "$(cat "$BIN.version")" == "$VERSION" ]]; then
    echo "$BIN"
    return 0
  fi
  command -v go >/dev/null || { echo "helm.sh: the Go toolchain (go) is needed to build helm" >&2; exit 1; }
  mkdir -p "$(dirname "$BIN")"
  # Built into a scratch GOBIN and moved into place, so an interrupted build leaves no half binary.
  local tmpbin
  tmpbin="$(mktemp -d)"
  trap 'rm -rf "$tmpbin"' EXIT
  # `helm version` reports the release it was built from, as Helm's own release build sets it.
  GOBIN="$tmpbin" CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@$VERSION"
  mv "$tmpbin/helm" "$BIN"
  echo "$VERSION" > "$BIN.version"
  echo "$BIN"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
