#!/usr/bin/env bash
# Tests the C ABI from C: header drift, the conformance cases (cases.json
# and introspection.json), API misuse, a C++ build of the header, 8 threads
# validating during key rotation, the key source and the introspector
# against a loopback server (ffi-c/tests/loopback_server.py, one per run),
# the README's example (built both directly and through pkg-config after an
# install), all again under valgrind memcheck and as an ASan+UBSan build.
# Every C file is compiled from scratch into target/c-tests.
#
# Prints each suite's "N passed, N failed" line and a final total line.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
step() { printf '\n==> %s\n' "$*"; }

target="${CARGO_TARGET_DIR:-target}"
out="$target/c-tests"
cases_json=tests/conformance/cases.json
introspection_json=tests/conformance/introspection.json
lib="$target/release/libtokenlane.a"
syslibs=(-lpthread -ldl -lm)
cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror -g -O1 -Iinclude)
cxxflags=(-std=c++17 -Wall -Wextra -Wpedantic -Werror -g -O1 -Iinclude)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
# --fair-sched=yes: valgrind runs one thread at a time, and its default lock
# may hand the CPU back to a spinning thread for ever (the key-source test's
# validating threads starved the main thread in CI: a hang, not a failure).
vg=(valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect)
# The example exits 1 when it refuses a token, so valgrind reports with 99.
vg_example=(valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
# No suite may hang the run: each program is stopped after this many seconds
# (a failure, with its log's tail). Far above the slowest, valgrind's key source.
suite_timeout=600

total_passed=0
total_failed=0
failures=()

# run NAME CMD...: runs a suite, shows its output, adds its summary line to
# the totals; a non-zero exit without failures in its summary counts as one.
run() {
    local name="$1" log rc summary p f
    shift
    log="$out/$(echo "$name" | tr ' /' '__').log"
    set +e
    if [ "$(type -t "$1")" = file ]; then
        timeout -k 10 "$suite_timeout" "$@" >"$log" 2>&1
    else
        "$@" >"$log" 2>&1 # a shell function: its commands are the suite's
    fi
    rc=$?
    set -e
    [ "$rc" -ne 124 ] || echo "FAIL $name: stopped after ${suite_timeout} s" >>"$log"
    grep -E '^(FAIL|sanitizers|threads|conformance|introspection cases)' "$log" | head -40 || true
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)"
    if [ -n "$summary" ]; then
        p="${summary%% passed*}"
        f="$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')"
    else
        p=0
        f=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        tail -30 "$log"
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    [ "$f" -eq 0 ] || failures+=("$name")
    printf '%-34s %s passed, %s failed\n' "$name:" "$p" "$f"
}

# served NAME CMD...: starts ffi-c/tests/loopback_server.py on 127.0.0.1 (a
# port the OS chooses) in a fresh directory, runs the suite with every
# "{dir}" in CMD replaced by that directory, then stops the server (it also
# stops by itself after 300 s).
served() {
    local name="$1" d a pid
    local args=()
    shift
    d="$(mktemp -d "$out/server.XXXXXX")"
    .venv/bin/python ffi-c/tests/loopback_server.py "$d" --lifetime 300 --cases "$introspection_json" >"$d/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        [ -s "$d/issuer" ] && break
        sleep 0.1
    done
    for a in "$@"; do args+=("${a//\{dir\}/$d}"); done
    run "$name" "${args[@]}"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

step "setup (pinned cbindgen, compilers, valgrind, Python venv)"
bash scripts/setup-c.sh
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ ! -f "$cases_json" ] || [ ! -f "$introspection_json" ]; then
    echo "missing $cases_json or $introspection_json (see tests/conformance/README.md)" >&2
    exit 1
fi

step "build libtokenlane (release: staticlib + cdylib)"
cargo build --release -p tokenlane-ffi
rm -rf "$out"
mkdir -p "$out"

step "header: include/tokenlane.h matches a fresh cbindgen run"
cbindgen --quiet --config ffi-c/cbindgen.toml --crate tokenlane-ffi --output "$out/tokenlane.h" ffi-c
if diff -u include/tokenlane.h "$out/tokenlane.h" >"$out/header.diff"; then
    echo "header is up to date"
    total_passed=$((total_passed + 1))
else
    head -60 "$out/header.diff"
    echo "include/tokenlane.h is stale: run cbindgen --config ffi-c/cbindgen.toml --crate tokenlane-ffi --output include/tokenlane.h ffi-c"
    total_failed=$((total_failed + 1))
    failures+=("header drift")
fi

step "README: its examples are ffi-c/examples/validate.c and remote.c, verbatim"
for example in validate remote; do
    awk -v want="<!-- example: ffi-c/examples/$example.c -->" '$0 == want {grab=1; next}
         grab && /^```c$/ {inside=1; next}
         inside && /^```$/ {exit}
         inside {print}' ffi-c/README.md >"$out/readme-$example.c"
    if diff -u "ffi-c/examples/$example.c" "$out/readme-$example.c" >"$out/readme-$example.diff"; then
        echo "README example is the tested file ffi-c/examples/$example.c"
        total_passed=$((total_passed + 1))
    else
        head -40 "$out/readme-$example.diff"
        total_failed=$((total_failed + 1))
        failures+=("README example differs from ffi-c/examples/$example.c")
    fi
done

step "convert the conformance cases for C"
.venv/bin/python ffi-c/tests/cases_to_lines.py "$cases_json" >"$out/cases.txt"
.venv/bin/python ffi-c/tests/cases_to_lines.py "$introspection_json" >"$out/introspection.txt"

step "compile (gcc -std=c99 -Wall -Wextra -Wpedantic -Werror; g++ -std=c++17)"
for flavour in plain asan; do
    extra=()
    [ "$flavour" = asan ] && extra=("${san[@]}" -DTL_EXPECT_SANITIZERS)
    d="$out/$flavour"
    mkdir -p "$d"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/conformance" ffi-c/tests/conformance.c ffi-c/tests/cases.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -pthread -o "$d/threads" ffi-c/tests/threads.c ffi-c/tests/cases.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/misuse" ffi-c/tests/misuse.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/introspection" ffi-c/tests/introspection.c ffi-c/tests/cases.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -pthread -o "$d/keysource" ffi-c/tests/keysource.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/introspector" ffi-c/tests/introspector.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/validate" ffi-c/examples/validate.c "$lib" "${syslibs[@]}"
    gcc "${cflags[@]}" "${extra[@]}" -o "$d/remote" ffi-c/examples/remote.c "$lib" "${syslibs[@]}"
    g++ "${cxxflags[@]}" "${extra[@]}" -o "$d/header-cpp" ffi-c/tests/header.cpp "$lib" "${syslibs[@]}"
done
echo "compiled"

# The README's example runs on an accepted conformance token (one the
# example's fixed policy also accepts), then on the same token 400 days
# later, when it has expired.
.venv/bin/python - "$cases_json" "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
out = sys.argv[2]
def fits(c):
    p, srcs = c["policy"], doc["keysets"][c["keyset"]]
    return (c["lane"] == "access" and c["expect"].get("ok") and c["expect"].get("sub")
            and len(srcs) == 1 and srcs[0]["kind"] == "jwks"
            and p.get("typ", "strict") == "strict" and "max_token_bytes" not in p
            and set(p["algorithms"]) <= {"RS256", "ES256"} and len(p["audience"]) == 1
            and p.get("leeway") == 60 and "'" not in c["token"])
c = next(c for c in doc["cases"] if fits(c))
p = c["policy"]
open(f"{out}/jwks.json", "w").write(doc["keysets"][c["keyset"]][0]["data"])
with open(f"{out}/example.env", "w") as f:
    f.write(f"ISSUER='{p['issuer']}'\nAUDIENCE='{p['audience'][0]}'\nNOW={c['now']}\n")
    f.write(f"TOKEN='{c['token']}'\nSUB='{c['expect']['sub']}'\nLATER={c['now'] + 86400 * 400}\n")
print(f"example token: {c['name']}")
PY
# shellcheck disable=SC1091
. "$out/example.env"

example_suite() { # BINARY [RUNNER...]: the example accepts, then refuses
    local bin="$1" p=0 f=0 o
    shift
    if o="$("$@" "$bin" "$out/jwks.json" "$ISSUER" "$AUDIENCE" "$TOKEN" "$NOW")" &&
        grep -q "^accepted: sub=$SUB " <<<"$o"; then
        p=$((p + 1))
    else
        echo "FAIL example did not accept: $o"
        f=$((f + 1))
    fi
    set +e
    o="$("$@" "$bin" "$out/jwks.json" "$ISSUER" "$AUDIENCE" "$TOKEN" "$LATER" 2>&1)"
    rc=$?
    set -e
    if [ "$rc" -eq 1 ] && grep -q '^HTTP 401$' <<<"$o" &&
        grep -q '^WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="the token has expired"$' <<<"$o"; then
        p=$((p + 1))
    else
        echo "FAIL example did not refuse as expected (exit $rc): $o"
        f=$((f + 1))
    fi
    echo "$p passed, $f failed"
    [ "$f" -eq 0 ]
}

remote_example_suite() { # SERVER_DIR BINARY [RUNNER...]: a JWT and an opaque
    # token accepted, then a refresh token refused with 401
    local dir="$1" bin="$2" p=0 f=0 o rc
    shift 2
    set +e
    o="$("$@" "$bin" "$(cat "$dir/issuer")" https://api.example rs 's3cret:&' "$(cat "$dir/token_a")" \
        opaque-good opaque-refresh 2>"$dir/remote-example.err")"
    rc=$?
    set -e
    if [ "$rc" -eq 1 ] && [ "$(grep -c '^accepted: sub=user-1 via jwt$' <<<"$o")" -eq 1 ] &&
        [ "$(grep -c '^accepted: sub=user-1 via introspection$' <<<"$o")" -eq 1 ] &&
        grep -q '^HTTP 401: missing_claim$' <<<"$o" && grep -q '^keys \[1\]: jwks fetched' "$dir/remote-example.err"; then
        p=$((p + 1))
    else
        echo "FAIL remote example (exit $rc): $o $(cat "$dir/remote-example.err")"
        f=$((f + 1))
    fi
    echo "$p passed, $f failed"
    [ "$f" -eq 0 ]
}

step "run"
run "conformance" "$out/plain/conformance" "$out/cases.txt"
run "misuse" "$out/plain/misuse"
served "introspection conformance" "$out/plain/introspection" "$out/introspection.txt" "{dir}"
served "key source (loopback)" "$out/plain/keysource" "{dir}" 200
served "introspector (loopback)" "$out/plain/introspector" "{dir}"
run "C++ header" "$out/plain/header-cpp"
run "threads + key rotation" "$out/plain/threads" "$out/cases.txt" 300
run "README example" example_suite "$out/plain/validate"
served "README remote example" remote_example_suite "{dir}" "$out/plain/remote"

step "valgrind memcheck (no errors, no definite or indirect leaks)"
run "valgrind conformance" "${vg[@]}" "$out/plain/conformance" "$out/cases.txt"
run "valgrind misuse" "${vg[@]}" "$out/plain/misuse"
served "valgrind introspection" "${vg[@]}" "$out/plain/introspection" "$out/introspection.txt" "{dir}"
served "valgrind key source" "${vg[@]}" "$out/plain/keysource" "{dir}" 5
served "valgrind introspector" "${vg[@]}" "$out/plain/introspector" "{dir}"
run "valgrind C++ header" "${vg[@]}" "$out/plain/header-cpp"
run "valgrind threads" "${vg[@]}" "$out/plain/threads" "$out/cases.txt" 3 16
run "valgrind README example" example_suite "$out/plain/validate" "${vg_example[@]}"
served "valgrind remote example" remote_example_suite "{dir}" "$out/plain/remote" "${vg_example[@]}"

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run "asan conformance" "$out/asan/conformance" "$out/cases.txt"
run "asan misuse (asserts asan linked)" "$out/asan/misuse"
served "asan introspection" "$out/asan/introspection" "$out/introspection.txt" "{dir}"
served "asan key source" "$out/asan/keysource" "{dir}" 50
served "asan introspector" "$out/asan/introspector" "{dir}"
run "asan C++ header" "$out/asan/header-cpp"
run "asan threads" "$out/asan/threads" "$out/cases.txt" 50
run "asan README example" example_suite "$out/asan/validate"
served "asan remote example" remote_example_suite "{dir}" "$out/asan/remote"
unset ASAN_OPTIONS UBSAN_OPTIONS

step "install, then build the example with pkg-config"
prefix="$PWD/$out/prefix"
bash scripts/install-c.sh "$prefix" >"$out/install.log" 2>&1 || { cat "$out/install.log"; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$out/validate-shared" ffi-c/examples/validate.c $(pkg-config --cflags --libs tokenlane)
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$out/validate-static" ffi-c/examples/validate.c \
    $(pkg-config --cflags tokenlane) "$prefix/lib/libtokenlane.a" $(pkg-config --static --libs-only-l tokenlane | sed 's/-ltokenlane//')
run "pkg-config example (shared)" example_suite "$out/validate-shared" env LD_LIBRARY_PATH="$prefix/lib"
run "pkg-config example (static)" example_suite "$out/validate-static"

step "C ABI summary"
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "C: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
