#!/usr/bin/env bash
# A Kubernetes control plane for the tests: kube-apiserver and kubectl built from Kubernetes' own Go
# modules on the Go module proxy (etcd comes from etcd.sh), plus the credentials the API server is
# started with: a service-account signing key pair and a static token file with an admin token.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@...` refuses the module (its go.mod replaces the
# k8s.io/* staging modules with ./staging directories), so the script generates a small wrapper
# module that requires k8s.io/kubernetes and replaces every staging module with its published
# release of the same Kubernetes version, then builds the commands from it.
#
# Usage: kubernetes.sh install   → $WEIR_SERVICES_CACHE/kubernetes-<version>/{bin,pki}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${KUBERNETES_VERSION:-v1.37.2}"
# The staging modules are published as v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>.
STAGING_VERSION="v0.${VERSION#v1.}"
HOME_DIR="$WEIR_SERVICES_CACHE/kubernetes-$VERSION"
BIN_DIR="$HOME_DIR/bin"
PKI_DIR="$HOME_DIR/pki"
# kube-controller-manager runs the controllers the provider relies on (Deployments → ReplicaSets →
# pods, garbage collection by owner reference, service accounts); there is no scheduler: the pod
# runner binds pods itself.
COMMANDS=(kube-apiserver kube-controller-manager kubectl)

build() {
  local missing=()
  for c in "${COMMANDS[@]}"; do [[ -x "$BIN_DIR/$c" ]] || missing+=("$c"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  command -v go >/dev/null || { echo "kubernetes.sh: the Go toolchain (go) is needed to build ${missing[*]}" >&2; exit 1; }

  # The wrapper module lives in the cache so that a second run reuses its go.sum.
  local mod="$HOME_DIR/build"
  mkdir -p "$mod" "$BIN_DIR"
  local gomod
  gomod="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -n "$gomod" && -f "$gomod" ]] || { echo "kubernetes.sh: go mod download of k8s.io/kubernetes@$VERSION failed" >&2; exit 1; }
  {
    echo "module weir.test/kubernetes-build"
    echo
    echo "go $(sed -n 's/^go \(.*\)$/\1/p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $VERSION"
    echo
    echo "replace ("
    # Every k8s.io module the release replaces with a ./staging directory.
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*$#\1#p' "$gomod" | while read -r m; do
      echo "	$m => $m $STAGING_VERSION"
    done
    echo ")"
  } > "$mod/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for c in "${COMMANDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
    printf ')\n'
  } > "$mod/tools.go"
  (
    cd "$mod"
    export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
    nice -n 10 go mod tidy -e >/dev/null 2>&1 || true
    # The version the binaries report (kubectl version, /version), as Kubernetes' release build sets it.
    local minor="${VERSION#v1.}"
    minor="${minor%%.*}"
    local ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
    for c in "${missing[@]}"; do
      nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$c.tmp" "k8s.io/kubernetes/cmd/$c"
      mv "$BIN_DIR/$c.tmp" "$BIN_DIR/$c"
    done
  )
}

# Credentials the API server is started with: the key pair that signs and verifies service-account
# tokens, and a static token file whose one admin token (in system:masters) the tests use.
credentials() {
  mkdir -p "$PKI_DIR"
  if [[ ! -f "$PKI_DIR/sa.key" || ! -f "$PKI_DIR/sa.pub" ]]; then
    openssl genrsa -out "$PKI_DIR/sa.key.tmp" 2048 2>/dev/null
    openssl rsa -in "$PKI_DIR/sa.key.tmp" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
    mv "$PKI_DIR/sa.key.tmp" "$PKI_DIR/sa.key"
  fi
  if [[ ! -f "$PKI_DIR/tokens.csv" ]]; then
    local token
    token="$(openssl rand -hex 24)"
    # token,user,uid,"group1,group2"
    (umask 077 && echo "$token,weir-admin,weir-admin,\"system:masters\"" > "$PKI_DIR/tokens.csv.tmp")
    mv "$PKI_DIR/tokens.csv.tmp" "$PKI_DIR/tokens.csv"
  fi
}

install() {
  bash "$(dirname "${BASH_SOURCE[0]}")/etcd.sh" install
  command -v openssl >/dev/null || apt_install openssl
  build
  credentials
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
