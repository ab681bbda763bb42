# Shared by the scripts in test/services/: each script installs one real server from this machine's
# registries (Debian packages, Maven Central, the Go module proxy) and is idempotent.
# Sourced, not run.

# Where artifacts fetched by Maven or Go are kept: the user's cache directory, so every clone of the
# project on this machine (CI runs on a fresh one) reuses what an earlier run fetched and built.
WEIR_SERVICES_CACHE="${WEIR_SERVICES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/services}"
export WEIR_SERVICES_CACHE
mkdir -p "$WEIR_SERVICES_CACHE"

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# apt_install PACKAGE... — installs Debian packages, running `apt-get update` at most once per day.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local stamp="$WEIR_SERVICES_CACHE/.apt-updated"
  if [[ ! -f "$stamp" || -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]]; then
    as_root apt-get update -q >/dev/null && touch "$stamp"
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
