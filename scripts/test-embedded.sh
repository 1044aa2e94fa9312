#!/usr/bin/env bash
# Builds the embedded firmware (embedded/, thumbv7em-none-eabihf, no heap)
# in release and runs it on an emulated Cortex-M4 (QEMU mps2-an386).
# Fails if any verdict is wrong, the firmware faults or panics, the summary
# line is missing, the run times out, or the image references a heap or
# links core::fmt.
#
#   scripts/test-embedded.sh                 # default features: es256 + hs256
#   FEATURES="--no-default-features --features es256" scripts/test-embedded.sh
#
# Without FEATURES it runs four images: the default one; ES256 on the
# p256-cm4 backend + HS256 with Wycheproof's P-256 file run through both
# ES256 backends (`cm4,es256,hs256,wycheproof`: rustcrypto and cm4 must
# agree with the file); p256-cm4 alone, without the p256 crate, plus the
# check of the firmware's memcpy/memmove/memset (`cm4,wycheproof,memtest`);
# and Ed25519 alone (`eddsa`). The vectors are packed from ../shared/vectors/wycheproof
# by embedded/gen_wycheproof.py.
#
# Installs what it needs when missing: the Rust target, qemu-system-arm and
# binutils-arm-none-eabi (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FEATURES=${FEATURES:-}
TIMEOUT=${TIMEOUT:-120}

if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    echo "+ rustup target add thumbv7em-none-eabihf"
    rustup target add thumbv7em-none-eabihf
fi
missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v arm-none-eabi-nm >/dev/null || missing+=(binutils-arm-none-eabi)
if [ ${#missing[@]} -gt 0 ]; then
    echo "+ apt-get install -y ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The committed tokens must be what the independent generator writes.
if [ -x .venv/bin/python ]; then
    .venv/bin/python embedded/gen_tokens.py --check
else
    echo "note: no .venv (scripts/setup.sh makes it); skipping the tokens.rs freshness check"
fi

# Builds one image with the cargo feature arguments $1, runs it, checks it.
run_image() {
local FEATURES=$1
echo "+ (cd embedded && cargo build --release --locked $FEATURES)"
# shellcheck disable=SC2086 # FEATURES is a list of cargo arguments
(cd embedded && cargo build --release --locked $FEATURES) || return 1
ELF=$ROOT/embedded/target/thumbv7em-none-eabihf/release/tokenlane-embedded

# No heap by construction: no allocator symbol may be in the image.
if arm-none-eabi-nm "$ELF" | grep -Eq '__rust_alloc|__rdl_alloc|__rg_alloc|__rust_no_alloc_shim|malloc'; then
    echo "FAIL: the firmware references a heap allocator:" >&2
    arm-none-eabi-nm "$ELF" | grep -E '__rust_alloc|__rdl_alloc|__rg_alloc|malloc' >&2
    return 1
fi

# No core::fmt: the firmware prints without it (embedded/src/out.rs) and
# its panic handler reads no message or location, so any core::fmt symbol
# means something in the image formats (e.g. a Display impl reached from
# tokenlane's validation path). The diagnostic `panic-location` feature
# brings it back on purpose.
if [[ $FEATURES != *panic-location* ]] && arm-none-eabi-nm -C "$ELF" | grep -q 'core::fmt'; then
    echo "FAIL: core::fmt is linked into the firmware:" >&2
    arm-none-eabi-nm -C -S --size-sort "$ELF" | grep 'core::fmt' >&2
    return 1
fi

LOG=$(mktemp)
echo "+ qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native -kernel $ELF"
set +e
timeout "$TIMEOUT" qemu-system-arm -M mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel "$ELF" </dev/null >"$LOG" 2>&1
rc=$?
set -e
sed 's/^/  | /' "$LOG"

fail=0
if [ "$rc" -eq 124 ]; then
    echo "FAIL: the firmware did not exit within ${TIMEOUT}s" >&2
    fail=1
elif [ "$rc" -ne 0 ]; then
    echo "FAIL: the firmware exited with status $rc" >&2
    fail=1
fi
if grep -Eq '^\[FAIL\]|HardFault|panic|unexpected exception' "$LOG"; then
    echo "FAIL: a wrong verdict or a fault (lines above)" >&2
    fail=1
fi
summary=$(grep -E '^embedded: [0-9]+ passed, [0-9]+ failed$' "$LOG" || true)
if [ -z "$summary" ]; then
    echo "FAIL: no summary line" >&2
    fail=1
elif ! grep -Eq '^embedded: [1-9][0-9]* passed, 0 failed$' <<<"$summary"; then
    fail=1
fi
ok_lines=$(grep -c '^\[ok\]' "$LOG" || true)
if [ -n "$summary" ] && ! grep -q "^embedded: $ok_lines passed" <<<"$summary"; then
    echo "FAIL: the summary does not match the $ok_lines [ok] lines" >&2
    fail=1
fi
rm -f "$LOG"
echo "${summary:-embedded: no summary line}"
return "$fail"
}

status=0
if [ -n "$FEATURES" ]; then
    run_image "$FEATURES" || status=1
else
    run_image "" || status=1
    python3 embedded/gen_wycheproof.py
    run_image "--no-default-features --features cm4,es256,hs256,wycheproof" || status=1
    run_image "--no-default-features --features cm4,wycheproof,memtest" || status=1
    run_image "--no-default-features --features eddsa" || status=1
fi
exit "$status"
