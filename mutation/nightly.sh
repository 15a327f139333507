#!/usr/bin/env bash
# The nightly mutation run: cargo mutants over the reference server's
# rule-deciding code (.cargo/mutants.toml), judged by the conformance cases,
# then a check that every surviving mutant is explained in
# mutation/survivors.md. Exits non-zero on an unexplained survivor (a gap
# in the cases, or a change that made a mutant equivalent: either way, look)
# and prints the score.
#
#   bash mutation/nightly.sh           # about 25-40 minutes on 2 cores
#
# Not part of .ci/run: it rebuilds the crate once per mutant.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${MUTANTS_OUT:-target/mutants}"
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants@27.1.0
mkdir -p "$out"
# Exit codes 2 (mutants survived) and 3 (some timed out) are judged below,
# against the list; anything else (a failing baseline) stops here.
cargo mutants --in-place --timeout 120 --output "$out" || { rc=$?; [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ]; }
python3 - "$out/mutants.out" mutation/survivors.md <<'PY'
import re, sys
results, listed_file = sys.argv[1], sys.argv[2]
def lines(name):
    with open(f"{results}/{name}") as f:
        return [l.strip() for l in f if l.strip()]
def without_position(name):
    return re.sub(r"^(\S+?):\d+:\d+: ", r"\1: ", name)
listed = set(re.findall(r"^\| `([^`]+)` \|", open(listed_file).read(), re.M))
missed = [without_position(m) for m in lines("missed.txt")]
caught, timeout = lines("caught.txt"), lines("timeout.txt")
viable = len(caught) + len(missed) + len(timeout)
print(f"mutants: {viable} viable ({len(lines('unviable.txt'))} unviable), "
      f"{len(caught) + len(timeout)} killed, {len(missed)} survived: "
      f"score {(len(caught) + len(timeout)) / viable:.1%}")
unexplained = sorted(set(missed) - listed)
gone = sorted(listed - set(missed))
for name in gone:
    print(f"killed now, remove from {listed_file}: {name}")
for name in unexplained:
    print(f"UNEXPLAINED survivor: {name}")
sys.exit(1 if unexplained else 0)
PY
