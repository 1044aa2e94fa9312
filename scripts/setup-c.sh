#!/usr/bin/env bash
# Installs what the C ABI tests need, idempotently: cbindgen at the pinned
# version (point releases change the header's whitespace, so the version is
# part of the header-drift check), and gcc/g++/valgrind/pkg-config from
# Debian when they are missing. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.0

have_cbindgen() {
    command -v cbindgen >/dev/null 2>&1 &&
        [ "$(cbindgen --version 2>/dev/null)" = "cbindgen ${CBINDGEN_VERSION}" ]
}
if ! have_cbindgen; then
    echo "+ cargo install cbindgen --version ${CBINDGEN_VERSION} --locked"
    cargo install cbindgen --version "${CBINDGEN_VERSION}" --locked --quiet
fi

missing=()
for tool in gcc:gcc g++:g++ valgrind:valgrind pkg-config:pkg-config make:make; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "+ apt-get install -y ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
