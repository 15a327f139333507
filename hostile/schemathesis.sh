#!/usr/bin/env bash
# A peer's fuzzer against the reference server: Schemathesis, driven by
# spec/openapi.json, against `cancel-conformance serve` on loopback.
#
#   bash hostile/schemathesis.sh                  # what CI runs (50 examples per operation, seed 8)
#   MAX_EXAMPLES=500 SEED=$RANDOM bash hostile/schemathesis.sh
#
# Passes when no answer is a 5xx, every answer is valid against the
# response schema and its headers, and every answer is signed by the
# provider key (hostile/schemathesis_hooks.py, which also signs most
# requests with the TEST-ONLY merchant key so the business rules are
# reached). The server is started on a free port and stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
SEED="${SEED:-8}"
VENV=hostile/.venv
BIN=target/debug/cancel-conformance

if [ ! -x "$VENV/bin/schemathesis" ] || ! cmp -s hostile/requirements.txt "$VENV/.requirements"; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r hostile/requirements.txt
    cp hostile/requirements.txt "$VENV/.requirements"
fi
cargo build --locked --quiet --bin cancel-conformance

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cc-schemathesis.XXXXXX")
server_pid=
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        # serve shuts down gracefully on SIGINT; KILL only if it does not.
        kill -INT "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap stop_server EXIT

# Port 0: the server picks a free port and prints its URL.
"$BIN" serve --addr 127.0.0.1:0 >"$scratch/serve.out" 2>"$scratch/serve.err" &
server_pid=$!
base_url=
for _ in $(seq 100); do
    base_url=$(sed -n 's|^cancel API at \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$scratch/serve.out")
    [ -n "$base_url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/serve.err" >&2; exit 1; }
    sleep 0.1
done
[ -n "$base_url" ] || { echo "serve did not start within 10 s" >&2; exit 1; }
echo "reference server at $base_url (pid $server_pid)"

# Checks left out, each because it assumes HTTP semantics this API does not
# have (rule http.status-200: every result, S, F and U, is HTTP 200 with a
# result object). The hooks' `never_success_unless_valid_and_signed` check
# replaces all three with what the API does promise: such requests get F.
#   negative_data_rejection  expects 4xx for a schema-invalid request; we answer 200 F PARAM_ILLEGAL (or the earlier auth F)
#   missing_required_header  expects 4xx without Client-Id/Request-Time/Signature; we answer 200 F CLIENT_INVALID/PARAM_ILLEGAL/INVALID_SIGNATURE
#   unsupported_method       expects 405 for GET/PUT/...; we answer 200 F METHOD_NOT_SUPPORTED (rule codes.method-not-supported)
# Workers: 1. With several, CPython 3.11's compiler races in Hypothesis'
# code generation ("SystemError: AST constructor recursion depth mismatch"),
# an error of the fuzzer, not of the server.
export CC_BASE_URL="$base_url"
export SCHEMATHESIS_HOOKS=schemathesis_hooks
export PYTHONPATH="$PWD/hostile${PYTHONPATH:+:$PYTHONPATH}"
status=0
timeout 900 "$VENV/bin/schemathesis" --config-file hostile/schemathesis.toml run spec/openapi.json \
    --url "$base_url" \
    --checks all \
    --exclude-checks negative_data_rejection,missing_required_header,unsupported_method \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 10 \
    --continue-on-failure \
    --suppress-health-check too_slow \
    --no-color || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: the reference server died during the run" >&2
    cat "$scratch/serve.err" >&2
    exit 1
fi
if [ -s "$scratch/serve.err" ]; then
    echo "FAIL: the reference server wrote to stderr:" >&2
    cat "$scratch/serve.err" >&2
    exit 1
fi
exit "$status"
