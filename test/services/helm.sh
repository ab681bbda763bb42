#!/usr/bin/env bash
# Helm (the Kubernetes package manager), built from its Go module on the Go module proxy: the tests
# lint and render the operator's chart (deploy/helm/) with it.
# Usage: helm.sh install   → prints the path of $WEIR_SERVICES_CACHE/bin/helm
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${HELM_VERSION:-v3.21.4}"
BIN="$WEIR_SERVICES_CACHE/bin/helm"
# What the binary was built from and with (a change rebuilds it).
STAMP="$VERSION kube-version-ldflags"

install() {
  if [[ -x "$BIN" && -f "$BIN.version" && "$(cat "$BIN.version")" == "$STAMP" ]]; then
    echo "$BIN"
    return 0
  fi
  command -v go >/dev/null || { echo "helm.sh: the Go toolchain (go) is needed to build helm" >&2; exit 1; }
  mkdir -p "$(dirname "$BIN")"
  # Built into a scratch GOBIN and moved into place, so an interrupted build leaves no half binary.
  TMPBIN="$(mktemp -d)"
  trap 'rm -rf "$TMPBIN"' EXIT
  # As Helm's own release build (its Makefile): `helm version` reports the release, and the
  # Kubernetes version `helm template` and `helm lint` assume is the one of the client-go it is
  # built with (v0.36.x → 1.36), not the built-in fallback 1.20.
  local gomod kube ldflags
  gomod="$(GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -n "$gomod" && -f "$gomod" ]] || { echo "helm.sh: go mod download of helm.sh/helm/v3@$VERSION failed" >&2; exit 1; }
  kube="$(sed -n 's#^[[:space:]]*k8s.io/client-go v0\.\([0-9]*\)\..*$#\1#p' "$gomod" | head -1)"
  [[ -n "$kube" ]] || { echo "helm.sh: no k8s.io/client-go version in $gomod" >&2; exit 1; }
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube"
  done
  GOBIN="$TMPBIN" CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" nice -n 10 go install -trimpath -ldflags "$ldflags" \
    "helm.sh/helm/v3/cmd/helm@$VERSION"
  mv "$TMPBIN/helm" "$BIN"
  echo "$STAMP" > "$BIN.version"
  echo "$BIN"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
