# Shared by the bench/*.sh scripts (sourced, not run).
#
# Everything a script needs it installs itself, into bench-local places that
# bench/.gitignore keeps out of git: wrk and hyperfine from Debian, Schemathesis
# into bench/.venv (bench/requirements.txt), Prism into bench/node_modules
# (bench/package-lock.json). Every server a script starts listens on
# 127.0.0.1, is recorded by PID, and is stopped by that PID when the script
# ends, however it ends.

set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
WORK="$BENCH/.work"
RESULTS="$WORK/results"
BIN="$ROOT/target/release/cancel-conformance"
# The benchmark helpers of the test kit (testkit/src/bin/).
TESTKIT="$ROOT/target/release"
mkdir -p "$WORK" "$RESULTS"

# ----- installing what the benchmarks use

ensure_apt() {
    local missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing ${missing[*]} from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
}

ensure_venv() {
    local venv="$BENCH/.venv"
    if [ ! -x "$venv/bin/schemathesis" ] || ! cmp -s "$BENCH/requirements.txt" "$venv/.requirements"; then
        echo "installing Schemathesis into bench/.venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$BENCH/requirements.txt"
        cp "$BENCH/requirements.txt" "$venv/.requirements"
    fi
}

ensure_prism() {
    if [ ! -x "$BENCH/node_modules/.bin/prism" ] ||
        ! cmp -s "$BENCH/package-lock.json" "$BENCH/node_modules/.bench-lock.json"; then
        echo "installing Prism into bench/node_modules" >&2
        (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$BENCH/package-lock.json" "$BENCH/node_modules/.bench-lock.json"
    fi
}

build() {
    echo "building the release binaries" >&2
    (cd "$ROOT" && cargo build --release --locked --quiet --bin cancel-conformance \
        && cargo build --release --locked --quiet -p cancel-conformance-testkit \
            --bin bare_axum --bin sign_rate --bin bench_requests)
}

# ----- processes

STARTED_PIDS=()

# start NAME CMD ARGS...: runs CMD in the background with its output in
# $WORK/NAME.out and .err; sets STARTED to its PID.
start() {
    local name=$1
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    STARTED=$!
    STARTED_PIDS+=("$STARTED")
}

# stop PID: SIGINT (servers shut down gracefully), then SIGKILL after 5 s.
stop() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_all() {
    local pid
    for pid in "${STARTED_PIDS[@]:-}"; do
        [ -n "$pid" ] && stop "$pid"
    done
    STARTED_PIDS=()
}
trap stop_all EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until something accepts on 127.0.0.1:PORT (10 s at most).
wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 1000); do
        (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { echo "process $pid died; see $WORK/*.err" >&2; return 1; }
        sleep 0.01
    done
    echo "nothing listens on port $port after 10 s" >&2
    return 1
}

# start_serve NAME [SERVE ARGS...]: a reference server on a free port; sets
# PORT and STARTED.
start_serve() {
    local name=$1
    shift
    PORT=$(free_port)
    start "$name" "$BIN" serve --addr "127.0.0.1:$PORT" "$@"
    wait_port "$PORT" "$STARTED"
}

# seed PORT COUNT [STATE]: bulk-seeds COUNT card payments; prints the first
# paymentId.
seed() {
    local port=$1 count=$2 state=${3:-paid}
    curl -sS --fail -X POST "http://127.0.0.1:$port/control/v1/payments" \
        -H 'Content-Type: application/json' \
        -d "{\"state\":\"$state\",\"method\":\"card\",\"count\":$count}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["first"]["paymentId"])'
}

# make_pool FIRST COUNT REQUESTS PICK OUT: pre-signed cancel requests.
make_pool() {
    "$TESTKIT/bench_requests" --first-payment-id "$1" --count "$2" --requests "$3" \
        --pick "$4" --out "$5"
}

# check_pool PORT POOL EXPECTED_STATUS: sends the pool's first request with
# curl and checks the answer's resultStatus (a pool that no longer verifies
# would otherwise measure the speed of F answers).
check_pool() {
    local port=$1 pool=$2 expected=$3 time signature body answer
    IFS=$'\t' read -r time signature body <"$pool"
    answer=$(curl -sS -X POST "http://127.0.0.1:$port/ams/api/v1/payments/cancel" \
        -H 'Content-Type: application/json; charset=UTF-8' \
        -H 'Client-Id: CONFORMANCE_TEST_CLIENT' -H "Request-Time: $time" \
        -H "Signature: $signature" --data-binary "$body")
    case "$answer" in
    *"\"resultStatus\":\"$expected\""*) ;;
    *) echo "unexpected answer on port $port: $answer" >&2; return 1 ;;
    esac
}

# load PORT POOL THREADS CONNECTIONS SECONDS: one wrk run; prints its JSON line.
load() {
    POOL="$2" wrk -t"$3" -c"$4" -d"$5s" --timeout 10s -s "$BENCH/cancel.lua" \
        "http://127.0.0.1:$1" | tail -n 1
}

# ----- the RSA ceiling of this machine

# openssl_speed THREADS: RSA-2048 sign and verify rates of
# `openssl speed rsa2048` on THREADS processes (`-multi`); prints
# {"sign_per_s":...,"verify_per_s":...}. OpenSSL 3.0 times one process by
# the user CPU time it got, so a neighbour on the cores does not lower that
# rate (it is what one whole core does); with `-multi` it sums the
# processes' wall-clock rates, which a neighbour does lower, as it lowers a
# server's requests per second.
openssl_speed() {
    local options=()
    [ "$1" -gt 1 ] && options+=(-multi "$1")
    openssl speed -seconds "${SIGN_SECONDS:-2}" "${options[@]}" rsa2048 2>/dev/null | python3 -c '
import json, re, sys
text = sys.stdin.read()
found = re.findall(r"rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)", text)
if not found:
    sys.exit("no rsa 2048 line in the output of openssl speed")
sign_s, verify_s, sign, verify = found[-1]
print(json.dumps({"sign_per_s": float(sign), "verify_per_s": float(verify)}))'
}

# rss_kb PID: resident memory now, and its peak, from /proc/PID/status.
rss_kb() {
    awk '/^VmRSS:/ {rss=$2} /^VmHWM:/ {hwm=$2} END {print rss, hwm}' "/proc/$1/status"
}

machine_json() {
    python3 - <<'EOF'
import json, os, platform, subprocess, time
model = "unknown"
with open("/proc/cpuinfo") as info:
    for line in info:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
with open("/proc/loadavg") as load:
    loadavg = load.read().split()[:3]
print(json.dumps({
    "nproc": os.cpu_count(),
    "cpu_model": model,
    "kernel": platform.release(),
    "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    "loadavg_at_start": loadavg,
    "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
    "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
}))
EOF
}
