#!/usr/bin/env bash
# Installs what the gateway tests and benchmark need, from Debian (bookworm):
# nginx (the light build has auth_request), redis-server and wrk. Versions
# are pinned; when the mirror no longer carries a pinned version (Debian
# security updates replace them), the current bookworm version is installed
# and the script says so. Idempotent: installed packages are left alone.
set -euo pipefail
PINS=(
    "nginx-light=1.22.1-9+deb12u7"
    "redis-server=5:7.0.15-1~deb12u7"
    "wrk=4.1.0-3+b2"
)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for pin in "${PINS[@]}"; do
    pkg="${pin%%=*}"
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pin")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "+ nginx-light, redis-server, wrk already installed"
    exit 0
fi
echo "+ apt-get update"
$SUDO apt-get update -qq
echo "+ apt-get install ${missing[*]}"
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    echo "setup-gateway: a pinned version is gone from the mirror; installing bookworm's current ones" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}"
fi
nginx -V 2>&1 | grep -q -- --with-http_auth_request_module || {
    echo "setup-gateway: this nginx lacks auth_request" >&2
    exit 1
}
