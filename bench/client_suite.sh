#!/usr/bin/env bash
# The client half's wall time, end to end: `cancel-conformance client` with
# the project's own Rust client (`cancel-conformance adapter`, release
# build), process start to exit, every case in cases/client/ at the default
# settings (200 ms client timeout, 3 attempts, 6 cases at a time), plain
# HTTP and --tls. Prints one line per run and the median; the target is
# under 2 s (a benchmark, not a timed test: this machine is shared).
#
#   bash bench/client_suite.sh          # REPS=5
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-5}"
[ "${SKIP_BUILD:-}" = 1 ] || (cd "$ROOT" && cargo build --release --quiet --locked)

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for mode in plain tls; do
    flag=""
    [ "$mode" = tls ] && flag="--tls"
    times=()
    for _ in $(seq "$REPS"); do
        start=$(date +%s.%N)
        (cd "$ROOT" && "$BIN" client -q $flag --adapter "$BIN adapter" >/dev/null)
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sed "s/^/client suite ($mode), s: /"
    echo "client suite ($mode), median of $REPS: $(printf '%s\n' "${times[@]}" | median) s (target < 2 s)"
done
