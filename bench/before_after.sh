#!/usr/bin/env bash
# Before and after, side by side: the bench/run.sh figures that a change of
# code (not of behaviour) can move, for the release binary of REV and of
# the working tree, measured alternately in one run so that a noisy spell
# hits both alike:
#   - the whole server suite, `run -q` against its embedded reference
#     server, wall time from process start to exit (as bench/suite_speed.sh);
#   - the whole client suite with the project's own client, `client -q
#     --adapter "<bin> adapter"` (as bench/client_suite.sh);
#   - signed cancels per second against `serve`, and the server's CPU time
#     per answer (as bench/throughput.sh).
#
#   bash bench/before_after.sh REV           # REPS=7 DURATION=5 CONNECTIONS=32
#   BEFORE_BIN=path/to/old/cancel-conformance bash bench/before_after.sh
#
# REV is built from a clean checkout in a temporary directory outside this
# repository (cargo would take it for a member of this workspace), a release build
# of its own, minutes on 2 cores) unless BEFORE_BIN names a binary (then
# BEFORE_ROOT names the checkout whose cases it runs; default: this one).
# Each binary runs its own checkout's cases, so the suite figures are also
# given per case. Results go to bench/.work/results/before_after.jsonl; the
# summary is printed.
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-7}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
PAYMENTS="${PAYMENTS:-1000}"
POOL_SIZE="${POOL_SIZE:-2000}"
OUT="$RESULTS/before_after.jsonl"

ensure_apt wrk curl
[ "${SKIP_BUILD:-}" = 1 ] || build
AFTER_BIN="$BIN"
if [ -z "${BEFORE_BIN:-}" ]; then
    REV="${1:?usage: bash bench/before_after.sh REV (or BEFORE_BIN=...)}"
    BEFORE_CHECKOUT="${TMPDIR:-/tmp}/cancel-conformance-before-$$"
    echo "building $REV in $BEFORE_CHECKOUT" >&2
    git -C "$ROOT" worktree prune
    git -C "$ROOT" worktree add --detach --quiet "$BEFORE_CHECKOUT" "$REV"
    (cd "$BEFORE_CHECKOUT" && CARGO_TARGET_DIR="$WORK/before-target" \
        cargo build --release --locked --quiet --bin cancel-conformance)
    BEFORE_BIN="$WORK/before-target/release/cancel-conformance"
    BEFORE_ROOT="$BEFORE_CHECKOUT"
fi
BEFORE_ROOT="${BEFORE_ROOT:-$ROOT}"
: >"$OUT"

# The suites: alternate the two binaries, the order swapped every
# repetition. seconds BIN ARGS...: one run's wall time; a failing run stops
# the benchmark (it would measure a broken binary).
seconds() {
    python3 - "$@" <<'PY'
import subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - started
if done.returncode != 0:
    sys.exit(f"{' '.join(sys.argv[2:])} exited {done.returncode}")
print(f"{elapsed:.4f}")
PY
}
# BIN CHECKOUT: each binary runs the cases of its own checkout.
server_suite() { seconds "$2" "$1" run -q; }
client_suite() { seconds "$2" "$1" client -q --adapter "$1 adapter"; }
cases_of() { find "$1/cases/$2" -name '*.yaml' | wc -l; }
for suite in server_suite client_suite; do
    echo "$suite: $REPS repetitions of each binary" >&2
    "$suite" "$BEFORE_BIN" "$BEFORE_ROOT" >/dev/null
    "$suite" "$AFTER_BIN" "$ROOT" >/dev/null
    for rep in $(seq "$REPS"); do
        order=(before after)
        [ $((rep % 2)) -eq 0 ] && order=(after before)
        for which in "${order[@]}"; do
            bin=$BEFORE_BIN checkout=$BEFORE_ROOT
            [ "$which" = after ] && bin=$AFTER_BIN checkout=$ROOT
            took=$("$suite" "$bin" "$checkout")
            echo "{\"rep\":$rep,\"bench\":\"$suite\",\"which\":\"$which\",\"seconds\":$took}" >>"$OUT"
        done
    done
done

# Throughput: one serve of each binary, the same payments on both.
BIN=$BEFORE_BIN start_serve before-serve
BEFORE_PORT=$PORT BEFORE_PID=$STARTED
BIN=$AFTER_BIN start_serve after-serve
AFTER_PORT=$PORT AFTER_PID=$STARTED
first=$(seed "$BEFORE_PORT" "$PAYMENTS")
[ "$first" = "$(seed "$AFTER_PORT" "$PAYMENTS")" ] || { echo "the two servers seeded different ids" >&2; exit 1; }
POOL="$WORK/before-after-pool.tsv"
make_pool "$first" "$PAYMENTS" "$POOL_SIZE" sequential "$POOL"
check_pool "$BEFORE_PORT" "$POOL" S
check_pool "$AFTER_PORT" "$POOL" S
load "$BEFORE_PORT" "$POOL" "$WRK_THREADS" "$CONNECTIONS" 1 >/dev/null
load "$AFTER_PORT" "$POOL" "$WRK_THREADS" "$CONNECTIONS" 1 >/dev/null
echo "throughput: $REPS repetitions of ${DURATION}s each" >&2
for rep in $(seq "$REPS"); do
    order=(before after)
    [ $((rep % 2)) -eq 0 ] && order=(after before)
    for which in "${order[@]}"; do
        port=$BEFORE_PORT pid=$BEFORE_PID
        [ "$which" = after ] && port=$AFTER_PORT pid=$AFTER_PID
        ticks_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        result=$(load "$port" "$POOL" "$WRK_THREADS" "$CONNECTIONS" "$DURATION")
        ticks_after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        echo "{\"rep\":$rep,\"bench\":\"throughput\",\"which\":\"$which\",\"server_cpu_ticks\":$((ticks_after - ticks_before)),\"result\":$result}" >>"$OUT"
    done
done
check_pool "$BEFORE_PORT" "$POOL" S
check_pool "$AFTER_PORT" "$POOL" S
echo "{\"bench\":\"cases\",\"before\":{\"server\":$(cases_of "$BEFORE_ROOT" server),\"client\":$(cases_of "$BEFORE_ROOT" client)},\"after\":{\"server\":$(cases_of "$ROOT" server),\"client\":$(cases_of "$ROOT" client)}}" >>"$OUT"
[ -n "${BEFORE_CHECKOUT:-}" ] && git -C "$ROOT" worktree remove --force "$BEFORE_CHECKOUT"

python3 - "$OUT" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
cases = next(r for r in rows if r["bench"] == "cases")
tck = int(sys.argv[2])
def figures(bench, which, pick):
    return [pick(r) for r in rows if r["bench"] == bench and r["which"] == which]
def rps(r):
    return r["result"]["rps"]
def cpu_us(r):
    return r["server_cpu_ticks"] / tck * 1e6 / max(r["result"]["requests"], 1)
measures = [
    ("server suite wall time, s (lower is better)", "server_suite", lambda r: r["seconds"]),
    ("client suite wall time, s (lower is better)", "client_suite", lambda r: r["seconds"]),
    ("signed cancels per second (higher is better)", "throughput", rps),
    ("serve CPU per answer, µs (lower is better)", "throughput", cpu_us),
]
print("| measure | before (median, range) | after (median, range) | after ÷ before |")
print("|---|---|---|---|")
for name, bench, pick in measures:
    b, a = figures(bench, "before", pick), figures(bench, "after", pick)
    mb, ma = statistics.median(b), statistics.median(a)
    print(f"| {name} | {mb:.4g} ({min(b):.4g}–{max(b):.4g}) | {ma:.4g} ({min(a):.4g}–{max(a):.4g}) | {ma / mb:.3f} |")
    if bench.endswith("_suite"):
        half = bench.split("_")[0]
        nb, na = cases["before"][half], cases["after"][half]
        print(f"| … per case, ms ({nb} and {na} case files) | {mb / nb * 1e3:.3g} | {ma / na * 1e3:.3g} | {(ma / na) / (mb / nb):.3f} |")
PY
