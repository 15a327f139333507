#!/usr/bin/env bash
# Server throughput, side by side: signed cancels per second against
# `cancel-conformance serve` (answers signed, and --unsigned-answers), a bare
# axum handler on the same transport (alone, plus the request's RSA verify,
# plus verify and sign), Prism mocking spec/openapi.json, the RSA-2048 rate
# of the crate's own signing on the same cores (testkit/src/bin/sign_rate.rs), and
# `openssl speed rsa2048` on one and two processes, the ceiling.
#
#   bash bench/throughput.sh           # REPS=5 DURATION=5 CONNECTIONS=32 WRK_THREADS=2
#
# Each repetition measures every target once, in a rotated order, so that a
# noisy spell hits them alike; results go to bench/.work/results/throughput.jsonl.
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-5}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
PAYMENTS="${PAYMENTS:-1000}"
POOL_SIZE="${POOL_SIZE:-2000}"
SIGN_SECONDS="${SIGN_SECONDS:-2}"
OUT="$RESULTS/throughput.jsonl"

ensure_apt wrk curl
ensure_prism
[ "${SKIP_BUILD:-}" = 1 ] || build
: >"$OUT"

declare -A PORTS PIDS
add_target() { PORTS[$1]=$PORT; PIDS[$1]=$STARTED; }

start_serve serve-signed && add_target serve_signed
start_serve serve-unsigned --unsigned-answers && add_target serve_unsigned
for work in none verify verify-sign; do
    PORT=$(free_port)
    start "bare-$work" "$TESTKIT/bare_axum" --addr "127.0.0.1:$PORT" --work "$work"
    wait_port "$PORT" "$STARTED"
    add_target "bare_${work//-/_}"
done
PORT=$(free_port)
start prism "$BENCH/node_modules/.bin/prism" mock --host 127.0.0.1 --port "$PORT" \
    --verboseLevel warn "$ROOT/spec/openapi.json"
wait_port "$PORT" "$STARTED"
add_target prism

# The same payments on both reference servers (fresh servers hand out the
# same ids), cancelled in turn: the first cancel of each is S, every later
# one an idempotent S repeat.
first=$(seed "${PORTS[serve_signed]}" "$PAYMENTS")
first_unsigned=$(seed "${PORTS[serve_unsigned]}" "$PAYMENTS")
[ "$first" = "$first_unsigned" ] || { echo "the two servers seeded different ids" >&2; exit 1; }
POOL="$WORK/throughput-pool.tsv"
make_pool "$first" "$PAYMENTS" "$POOL_SIZE" sequential "$POOL"
check_pool "${PORTS[serve_signed]}" "$POOL" S
check_pool "${PORTS[serve_unsigned]}" "$POOL" S

targets=(serve_signed serve_unsigned bare_none bare_verify bare_verify_sign prism)
echo "warming up" >&2
for target in "${targets[@]}"; do
    load "${PORTS[$target]}" "$POOL" "$WRK_THREADS" "$CONNECTIONS" 1 >/dev/null
done

for rep in $(seq "$REPS"); do
    # Rotate the order from one repetition to the next.
    n=${#targets[@]}
    for i in $(seq 0 $((n - 1))); do
        target=${targets[$(((i + rep) % n))]}
        if [ "$target" = serve_signed ]; then
            # The RSA rates right before the signed server, so that the
            # ratio of the two compares moments next to each other.
            sign=$("$TESTKIT/sign_rate" --threads 2 --seconds "$SIGN_SECONDS")
            echo "{\"rep\":$rep,\"target\":\"sign_rate\",\"result\":$sign}" >>"$OUT"
            # OpenSSL, the ceiling: one process (CPU time per signature)
            # and two (`-multi 2`, signatures per second of wall clock).
            for processes in 1 2; do
                rates=$(openssl_speed "$processes")
                echo "{\"rep\":$rep,\"target\":\"openssl_speed_$processes\",\"result\":$rates}" >>"$OUT"
            done
        fi
        pid=${PIDS[$target]}
        before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        result=$(load "${PORTS[$target]}" "$POOL" "$WRK_THREADS" "$CONNECTIONS" "$DURATION")
        after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        echo "{\"rep\":$rep,\"target\":\"$target\",\"server_cpu_ticks\":$((after - before)),\"result\":$result}" >>"$OUT"
        printf 'rep %s %-17s %s\n' "$rep" "$target" "$result" >&2
    done
done
# Every load run answered 2xx (wrk counts the rest as non_2xx), and the
# servers still answer S.
check_pool "${PORTS[serve_signed]}" "$POOL" S
check_pool "${PORTS[serve_unsigned]}" "$POOL" S
echo "{\"target\":\"settings\",\"result\":{\"reps\":$REPS,\"duration_s\":$DURATION,\"connections\":$CONNECTIONS,\"wrk_threads\":$WRK_THREADS,\"payments\":$PAYMENTS,\"pool\":$POOL_SIZE}}" >>"$OUT"
echo "wrote $OUT" >&2
