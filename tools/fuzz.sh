#!/usr/bin/env bash
# fuzz.sh [SECONDS]: build and run every fuzz target for SECONDS each (default 60).
#
#   tests/fuzz/fuzz_*.c   libFuzzer targets, built with clang under ASan and UBSan against every
#                         c_src/*.c (a new module or a new target is picked up by its name)
#   tests/fuzz/fuzz_*.py  atheris targets, run with the project's Python
#
# Each target keeps its corpus in build/fuzz/corpus/NAME (seeded from tests/fuzz/seeds/NAME/
# when that folder exists) and writes crashes to build/fuzz/artifacts/NAME/. Optional extra
# libFuzzer flags, one per line, in tests/fuzz/NAME.options. Fails if any target does not
# build or finds anything, and prints the reproducer and the command that replays it.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-${FUZZ_SECONDS:-60}}
CLANG=${CLANG:-clang}
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c99
        -Wall -Wextra -Werror -Ic_src/include -Ic_src/gen)
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
OUT=build/fuzz
DIR=${FUZZ_DIR:-tests/fuzz} # where the targets are (another folder only to test this script)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PYTHONPATH="$PWD/host${PYTHONPATH:+:$PYTHONPATH}"

mkdir -p "$OUT/bin" "$OUT/logs"
failed=()
total=0

options_for() { # NAME -> extra flags from tests/fuzz/NAME.options
    local f="$DIR/$1.options"
    [ -f "$f" ] && grep -v '^[[:space:]]*\(#\|$\)' "$f" || true
}

run_target() { # NAME COMMAND... : run one fuzzer for SECONDS_EACH and judge it
    local name=$1; shift
    local corpus="$OUT/corpus/$name" artifacts="$OUT/artifacts/$name" log="$OUT/logs/$name.log"
    local seeds=()
    mkdir -p "$corpus" "$artifacts"
    [ -d "$DIR/seeds/$name" ] && seeds=("$DIR/seeds/$name")
    local before
    before=$(find "$artifacts" -type f | wc -l)
    local extra=()
    mapfile -t extra < <(options_for "$name")
    "$@" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "${seeds[@]}" > "$log" 2>&1
    local rc=$?
    local new
    new=$(find "$artifacts" -type f -newer "$log.start" 2>/dev/null | head -n 1)
    if [ $rc -eq 0 ] && [ -z "$new" ]; then
        local runs added
        runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
        added=$(awk '/^stat::new_units_added:/ {print $2}' "$log")
        echo "fuzz: $name ok: ${SECONDS_EACH} s, ${runs:-?} runs, corpus" \
             "$(find "$corpus" -type f | wc -l) inputs (${added:-?} new)"
        return 0
    fi
    echo "fuzz: $name FAILED (exit $rc); log: $log" >&2
    grep -E 'check failed|ERROR:|SUMMARY:|runtime error|Traceback|Error|^  ' "$log" | head -n 20 >&2
    if [ -n "$new" ]; then
        echo "fuzz: reproducer: $new" >&2
        echo "fuzz: replay with: PYTHONPATH=host $* $new" >&2
    fi
    failed+=("$name")
    return 1
}

# C targets.
sources=(c_src/*.c)
for target in "$DIR"/fuzz_*.c; do
    [ -e "$target" ] || continue
    name=$(basename "$target" .c)
    total=$((total + 1))
    bin="$OUT/bin/$name"
    if ! "$CLANG" "${CFLAGS[@]}" "$target" "${sources[@]}" -lm -o "$bin" 2> "$OUT/logs/$name.build.log"; then
        echo "fuzz: $name does not build; log: $OUT/logs/$name.build.log" >&2
        head -n 20 "$OUT/logs/$name.build.log" >&2
        failed+=("$name (build)")
        continue
    fi
    touch "$OUT/logs/$name.log.start"
    run_target "$name" "$bin"
done

# Python targets (atheris).
for target in "$DIR"/fuzz_*.py; do
    [ -e "$target" ] || continue
    name=$(basename "$target" .py)
    total=$((total + 1))
    touch "$OUT/logs/$name.log.start"
    run_target "$name" "$PYTHON" "$target"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of $total target(s) failed: ${failed[*]}" >&2
    exit 1
fi
if [ $total -eq 0 ]; then
    echo "fuzz: no targets in $DIR" >&2
    exit 1
fi
echo "fuzz: $total target(s), ${SECONDS_EACH} s each, no findings"
