#!/usr/bin/env bash
# Suite speed, side by side: the end-to-end wall time of
# `cancel-conformance run` (release build, process start to exit) for the
# whole server suite, and its time per HTTP exchange next to Schemathesis
# driving the same reference server from spec/openapi.json.
#
#   bash bench/suite_speed.sh          # REPS=5 ST_SMALL=25 ST_LARGE=100
#
# Exchanges are counted by one counting proxy (bench/count_proxy.py) in a run
# of each tool of its own; the timed runs go straight to the server. Results
# go to bench/.work/results/suite_speed.jsonl.
source "$(dirname "$0")/lib.sh"

REPS="${REPS:-5}"
ST_SMALL="${ST_SMALL:-25}"
ST_LARGE="${ST_LARGE:-100}"
OUT="$RESULTS/suite_speed.jsonl"

ensure_apt curl
ensure_venv
[ "${SKIP_BUILD:-}" = 1 ] || build
: >"$OUT"

start_serve suite-serve
SERVE_PORT=$PORT
SERVE_PID=$STARTED

ST_CONFIG="$WORK/schemathesis.toml"
printf '[cache]\nenabled = false\n' >"$ST_CONFIG"
# schemathesis_cmd PORT MAX_EXAMPLES
schemathesis_cmd() {
    echo "env SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=$BENCH:$ROOT/hostile" \
        "$BENCH/.venv/bin/schemathesis --config-file $ST_CONFIG run $ROOT/spec/openapi.json" \
        "--url http://127.0.0.1:$1 --checks all" \
        "--exclude-checks negative_data_rejection,missing_required_header,unsupported_method" \
        "--max-examples $2 --seed 8 --workers 1 --suppress-health-check too_slow" \
        "--continue-on-failure --no-color"
}
ours_endpoint_cmd() { echo "$BIN run -q --endpoint http://127.0.0.1:$1"; }
OURS_EMBEDDED="$BIN run -q"

# ----- counting: each tool once through the counting proxy

count() {
    local name=$1 command=$2 proxy_port stats
    proxy_port=$(free_port)
    stats="$WORK/count-$name.json"
    start "proxy-$name" python3 "$BENCH/count_proxy.py" "$proxy_port" "$SERVE_PORT" "$stats"
    local proxy_pid=$STARTED
    wait_port "$proxy_port" "$proxy_pid"
    # shellcheck disable=SC2086 # the commands are word lists on purpose
    (cd "$ROOT" && eval "$(${command} "$proxy_port")" >"$WORK/count-$name.log" 2>&1) || true
    kill -TERM "$proxy_pid"
    wait "$proxy_pid" 2>/dev/null || true
    echo "{\"kind\":\"count\",\"tool\":\"$name\",\"result\":$(cat "$stats")}" >>"$OUT"
    echo "counted $name: $(cat "$stats")" >&2
}
ours_count_cmd() { ours_endpoint_cmd "$1"; }
st_small_cmd() { schemathesis_cmd "$1" "$ST_SMALL"; }
st_large_cmd() { schemathesis_cmd "$1" "$ST_LARGE"; }
count ours ours_count_cmd
count schemathesis_small st_small_cmd
count schemathesis_large st_large_cmd
# Schemathesis' own count of the test cases it generated, for comparison.
for size in small large; do
    summary=$(grep -E '[0-9]+ generated' "$WORK/count-schemathesis_$size.log" | tail -n 1 | sed 's/"/\\"/g' || true)
    echo "{\"kind\":\"schemathesis_summary\",\"tool\":\"schemathesis_$size\",\"result\":\"${summary}\"}" >>"$OUT"
done

# ----- timing: interleaved, process start to exit, straight to the server

python3 - "$OUT" "$REPS" <<EOF
import json, subprocess, sys, time
out, reps = sys.argv[1], int(sys.argv[2])
commands = {
    "ours_embedded": "$OURS_EMBEDDED",
    "ours_endpoint": "$(ours_endpoint_cmd "$SERVE_PORT")",
    "schemathesis_small": "$(schemathesis_cmd "$SERVE_PORT" "$ST_SMALL")",
    "schemathesis_large": "$(schemathesis_cmd "$SERVE_PORT" "$ST_LARGE")",
}
names = list(commands)
with open(out, "a") as results:
    for rep in range(1, reps + 1):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            started = time.perf_counter()
            done = subprocess.run(commands[name], shell=True, cwd="$ROOT",
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            if name.startswith("ours") and done.returncode != 0:
                sys.exit(f"{name} failed (exit {done.returncode}): the suite must pass")
            results.write(json.dumps({"kind": "time", "tool": name, "rep": rep,
                                      "wall_s": wall, "exit": done.returncode}) + "\n")
            print(f"rep {rep} {name:20} {wall:.3f} s (exit {done.returncode})", file=sys.stderr)
EOF
kill -0 "$SERVE_PID" || { echo "the reference server died" >&2; exit 1; }
echo "{\"kind\":\"settings\",\"result\":{\"reps\":$REPS,\"st_small\":$ST_SMALL,\"st_large\":$ST_LARGE}}" >>"$OUT"
echo "wrote $OUT" >&2
