#!/usr/bin/env bash
# Builds libtokenlane (release) and installs the C library:
#   PREFIX/include/tokenlane.h
#   PREFIX/lib/libtokenlane.a, PREFIX/lib/libtokenlane.so
#   PREFIX/lib/pkgconfig/tokenlane.pc
# so that `cc app.c $(pkg-config --cflags --libs tokenlane)` works (with
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig when PREFIX is not a system prefix).
#
# Usage: scripts/install-c.sh PREFIX      (e.g. /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:?usage: scripts/install-c.sh PREFIX}"
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
target="${CARGO_TARGET_DIR:-target}"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"

cargo build --release -p tokenlane-ffi
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 include/tokenlane.h "$prefix/include/tokenlane.h"
install -m 0644 "$target/release/libtokenlane.a" "$prefix/lib/libtokenlane.a"
install -m 0755 "$target/release/libtokenlane.so" "$prefix/lib/libtokenlane.so"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" ffi-c/tokenlane.pc.in |
    grep -v '^#' >"$prefix/lib/pkgconfig/tokenlane.pc"
echo "installed tokenlane $version C library into $prefix"
