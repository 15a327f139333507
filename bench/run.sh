#!/usr/bin/env bash
# Every benchmark, then BENCHMARKS.md at the repository root.
#
#   bash bench/run.sh                  # about 25 minutes on 2 cores
#   REPS=3 DURATION=3 bash bench/run.sh
#
# Installs what it needs under bench/ (wrk and hyperfine from Debian,
# Schemathesis in bench/.venv, Prism in bench/node_modules), builds the
# release binaries, runs bench/rsa_backends.sh (the RSA libraries beside
# `openssl speed`), bench/build_time.sh (two clean release builds of
# committed trees), bench/suite_speed.sh, bench/throughput.sh and
# bench/scale.sh, and writes the report with bench/report.py. Only
# loopback is used; every server started is stopped by its PID.
source "$(dirname "$0")/lib.sh"

ensure_apt wrk curl
ensure_venv
ensure_prism
build
rm -f "$RESULTS"/*.jsonl
machine_json >"$RESULTS/machine.json"
bash "$BENCH/rsa_backends.sh"
bash "$BENCH/build_time.sh"
SKIP_BUILD=1 bash "$BENCH/suite_speed.sh"
SKIP_BUILD=1 bash "$BENCH/throughput.sh"
SKIP_BUILD=1 bash "$BENCH/scale.sh"
machine_json >"$RESULTS/machine_end.json"
python3 "$BENCH/report.py" "$RESULTS" "$ROOT/BENCHMARKS.md"
