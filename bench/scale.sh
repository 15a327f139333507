#!/usr/bin/env bash
# Scale, side by side: resident memory and cancel latency of `serve` holding
# 1 thousand, 100 thousand and 1 million seeded payments (one server per
# size, answers signed and --unsigned-answers, all running at once and
# measured in turn), and the time from `serve` start to its first answer.
#
#   bash bench/scale.sh                # REPS=15 DURATION=1 CONNECTIONS=2 STARTS=10
#
# The payments are seeded with the bulk form of the control plane
# (INTERPRETING.md §5); each load run cancels payments drawn at random from
# the whole range, so lookups touch the entire store. Memory is VmRSS (and
# its peak VmHWM) from /proc/PID/status. Results go to
# bench/.work/results/scale.jsonl.
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-15}"
DURATION="${DURATION:-1}"
CONNECTIONS="${CONNECTIONS:-2}"
POOL_SIZE="${POOL_SIZE:-4000}"
STARTS="${STARTS:-10}"
SIZES="${SIZES:-1000 100000 1000000}"
OUT="$RESULTS/scale.jsonl"

ensure_apt wrk curl
[ "${SKIP_BUILD:-}" = 1 ] || build
: >"$OUT"

# ----- time to first answer

ONE="$WORK/startup-pool.tsv"
make_pool 2026112600000000000000001 1 1 sequential "$ONE"
python3 "$BENCH/startup.py" "$BIN" "$ONE" "$STARTS" | while read -r line; do
    echo "{\"kind\":\"startup\",\"result\":$line}" >>"$OUT"
done

# ----- one server per size and signing mode

declare -A PORTS PIDS POOLS
targets=()
for size in $SIZES; do
    for mode in signed unsigned; do
        name="${mode}_$size"
        flags=()
        [ "$mode" = unsigned ] && flags=(--unsigned-answers)
        start_serve "scale-$name" "${flags[@]}"
        PORTS[$name]=$PORT
        PIDS[$name]=$STARTED
        empty=$(rss_kb "$STARTED")
        seeded_at=$(date +%s.%N)
        first=$(seed "$PORT" "$size")
        seed_s=$(awk -v a="$seeded_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
        seeded=$(rss_kb "$STARTED")
        POOLS[$name]="$WORK/scale-pool-$size.tsv"
        [ -s "${POOLS[$name]}" ] && [ "$mode" = unsigned ] ||
            make_pool "$first" "$size" "$POOL_SIZE" random "${POOLS[$name]}"
        check_pool "$PORT" "${POOLS[$name]}" S
        echo "{\"kind\":\"seeded\",\"target\":\"$name\",\"size\":$size,\"seed_s\":$seed_s,\"rss_empty_kb\":${empty% *},\"rss_seeded_kb\":${seeded% *},\"hwm_seeded_kb\":${seeded#* }}" >>"$OUT"
        echo "seeded $name in ${seed_s}s: VmRSS ${seeded% *} kB" >&2
        targets+=("$name")
    done
done

for target in "${targets[@]}"; do
    load "${PORTS[$target]}" "${POOLS[$target]}" 1 "$CONNECTIONS" 1 >/dev/null
done
for rep in $(seq "$REPS"); do
    n=${#targets[@]}
    for i in $(seq 0 $((n - 1))); do
        target=${targets[$(((i + rep) % n))]}
        pid=${PIDS[$target]}
        before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        result=$(load "${PORTS[$target]}" "${POOLS[$target]}" 1 "$CONNECTIONS" "$DURATION")
        after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        echo "{\"kind\":\"latency\",\"rep\":$rep,\"target\":\"$target\",\"server_cpu_ticks\":$((after - before)),\"result\":$result}" >>"$OUT"
        printf 'rep %s %-16s %s\n' "$rep" "$target" "$result" >&2
    done
done
for target in "${targets[@]}"; do
    rss=$(rss_kb "${PIDS[$target]}")
    echo "{\"kind\":\"memory_after_load\",\"target\":\"$target\",\"rss_kb\":${rss% *},\"hwm_kb\":${rss#* }}" >>"$OUT"
done
echo "{\"kind\":\"settings\",\"result\":{\"reps\":$REPS,\"duration_s\":$DURATION,\"connections\":$CONNECTIONS,\"pool\":$POOL_SIZE,\"starts\":$STARTS}}" >>"$OUT"
echo "wrote $OUT" >&2
