#!/usr/bin/env bash
# Clean release build time and binary size, for two commits built the same
# way one after the other: by default the last commit that signed with ring
# and the working tree's HEAD.
#
#   bash bench/build_time.sh                 # BEFORE=<ring commit> AFTER=HEAD
#   BEFORE=main AFTER=HEAD ROUNDS=2 bash bench/build_time.sh
#
# Each commit is checked out into its own directory under bench/.work and
# built with `cargo build --release --locked` into a fresh, empty
# CARGO_TARGET_DIR (every dependency compiled from source; the crates
# themselves come from the local cargo cache, so the network is not timed).
# Rounds alternate the two commits (before, after, before, after, ...), so a
# busy spell on this shared machine hits both. Appends one JSON line per
# build to bench/.work/results/build.jsonl.
source "$(dirname "$0")/lib.sh"

# 04478c1 is the last commit whose signatures and TLS went through ring.
BEFORE=${BEFORE:-04478c1}
AFTER=${AFTER:-HEAD}
ROUNDS=${ROUNDS:-1}

checkout() {
    local ref=$1 dir=$2
    rm -rf "$dir"
    mkdir -p "$dir"
    git -C "$ROOT" archive "$ref" | tar -x -C "$dir"
}

measure() {
    local label=$1 ref=$2 round=$3
    local src="$WORK/build-src-$label" target="$WORK/build-target-$label"
    local commit
    commit=$(git -C "$ROOT" rev-parse --short "$ref")
    checkout "$ref" "$src"
    rm -rf "$target"
    # The wall time, and the CPU time (user + system) of cargo and every
    # compiler it ran: the wall time grows with the neighbours' load, the
    # CPU time hardly does, and CPU time ÷ 2 is what the build would take
    # at best on two otherwise idle cores.
    python3 - "$src" "$target" "$label" "$commit" "$round" <<'EOF' | tee -a "$RESULTS/build.jsonl"
import json, os, resource, subprocess, sys, time
src, target, label, commit, rnd = sys.argv[1:]
load_before = os.getloadavg()[0]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
started = time.perf_counter()
subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "cancel-conformance"],
               cwd=src, env={**os.environ, "CARGO_TARGET_DIR": target}, check=True)
wall = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
binary = os.path.join(target, "release", "cancel-conformance")
stripped = os.path.join(target, "stripped")
subprocess.run(["strip", "-o", stripped, binary], check=True)
print(json.dumps({"label": label, "commit": commit, "round": int(rnd),
    "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
    "binary_bytes": os.path.getsize(binary), "stripped_bytes": os.path.getsize(stripped),
    "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0]}))
EOF
    rm -rf "$target" "$src"
}

for round in $(seq "$ROUNDS"); do
    measure before "$BEFORE" "$round"
    measure after "$AFTER" "$round"
done
