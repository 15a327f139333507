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
    local commit started ended load_before load_after
    commit=$(git -C "$ROOT" rev-parse --short "$ref")
    checkout "$ref" "$src"
    rm -rf "$target"
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    started=$(date +%s.%N)
    (cd "$src" && CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet \
        --bin cancel-conformance)
    ended=$(date +%s.%N)
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    local bin="$target/release/cancel-conformance"
    local size stripped
    size=$(stat -c %s "$bin")
    strip -o "$target/stripped" "$bin"
    stripped=$(stat -c %s "$target/stripped")
    python3 -c 'import json, sys
label, commit, rnd, start, end, size, stripped, lb, la = sys.argv[1:]
print(json.dumps({"label": label, "commit": commit, "round": int(rnd),
    "seconds": round(float(end) - float(start), 1), "binary_bytes": int(size),
    "stripped_bytes": int(stripped), "loadavg_before": float(lb), "loadavg_after": float(la)}))' \
        "$label" "$commit" "$round" "$started" "$ended" "$size" "$stripped" \
        "$load_before" "$load_after" | tee -a "$RESULTS/build.jsonl"
    rm -rf "$target" "$src"
}

for round in $(seq "$ROUNDS"); do
    measure before "$BEFORE" "$round"
    measure after "$AFTER" "$round"
done
