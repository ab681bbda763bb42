#!/usr/bin/env bash
# SeaweedFS (an S3-compatible object store), built from its Go module on the Go module proxy.
# `go install module@version` refuses it (its go.mod has a replace directive), so the module is
# downloaded and built as the main module: `go mod download`, then `go build ./weed` in a copy.
# Usage: seaweedfs.sh install   → $WEIR_SERVICES_CACHE/bin/weed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
BIN="$WEIR_SERVICES_CACHE/bin/weed"

install() {
  if [[ -x "$BIN" && -f "$BIN.version" && "$(cat "$BIN.version")" == "$VERSION" ]]; then
    return 0
  fi
  command -v go >/dev/null || { echo "seaweedfs.sh: the Go toolchain (go) is needed to build weed" >&2; exit 1; }
  local dir
  dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "seaweedfs.sh: go mod download of seaweedfs@$VERSION failed" >&2; exit 1; }
  SRC="$(mktemp -d)"
  trap 'chmod -R u+w "$SRC" 2>/dev/null; rm -rf "$SRC"' EXIT
  cp -r "$dir/." "$SRC/"
  chmod -R u+w "$SRC"
  mkdir -p "$(dirname "$BIN")"
  (cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" ./weed)
  mv "$BIN.tmp" "$BIN"
  echo "$VERSION" > "$BIN.version"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
