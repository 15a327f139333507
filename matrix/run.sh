#!/usr/bin/env bash
# Regenerates matrix/results.json and matrix/matrix.html: the official
# Python SDK's releases (each from PyPI into a venv of its own under
# matrix/.venvs), the project's Rust client, the reference server and
# Prism mocking spec/openapi.json (from npm into matrix/node_modules),
# judged by `cancel-conformance matrix matrix/matrix.yaml`.
#
#   bash matrix/run.sh
#
# Installs are kept between runs and redone only when missing. Prism
# listens on 127.0.0.1:4010 (the port matrix.yaml names) for the run.
# The exit code is the matrix's: 101 when an implementation fails a case,
# which the SDK releases do; the results are written either way.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
root=$(cd .. && pwd)

# Spread from the oldest 1.3 release to the newest; each line of
# matrix.yaml names one of these.
versions="1.3.0 1.3.9 1.4.0 1.4.20 1.4.40 1.5.1 1.5.8 1.6.0 1.6.1 1.6.3 1.7.0 1.7.1"
python=${PYTHON:-python3}

for version in $versions; do
    venv=".venvs/sdk-$version"
    # A venv whose SDK is not exactly this release is made again.
    if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('global-open-sdk-python') != '$version')" 2>/dev/null; then
        echo "installing global-open-sdk-python $version into matrix/$venv" >&2
        rm -rf "$venv"
        "$python" -m venv "$venv"
        # Only the release and what it declares: a release that imports a
        # package it does not declare shows as such in the matrix.
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "global-open-sdk-python==$version"
    fi
done

if [ ! -x node_modules/.bin/prism ] || ! cmp -s package-lock.json node_modules/.matrix-lock.json; then
    echo "installing Prism into matrix/node_modules" >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    cp package-lock.json node_modules/.matrix-lock.json
fi

echo "building cancel-conformance" >&2
(cd "$root" && cargo build --locked --quiet --bin cancel-conformance)
# A copy of its own: a build during the run cannot swap the binary the
# matrix and the Rust client column run.
mkdir -p .bin
cp "$root/target/debug/cancel-conformance" .bin/cancel-conformance

# Prism has no control plane: it gets the fixtures file skeleton of the
# current cases, each placeholder replaced by an id of the right shape.
.bin/cancel-conformance fixtures --template 2>/dev/null |
    awk '/payment_id: "</ { n++; sub(/"<.*>"/, sprintf("\"20260101000000000%06d\"", n)) }
         /payment_request_id: "</ { sub(/"<.*>"/, sprintf("\"prism-request-%06d\"", n)) }
         { print }' >prism-fixtures.yaml

prism_pid=""
cleanup() { if [ -n "$prism_pid" ]; then kill "$prism_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
node_modules/.bin/prism mock --host 127.0.0.1 --port 4010 --verboseLevel warn \
    "$root/spec/openapi.json" >.prism.log 2>&1 &
prism_pid=$!
for _ in $(seq 100); do
    (echo >/dev/tcp/127.0.0.1/4010) 2>/dev/null && break
    sleep 0.2
done

status=0
# Two at a time: every Python case starts an interpreter, and the machine
# this runs on is usually shared.
.bin/cancel-conformance matrix matrix.yaml --jobs "${JOBS:-2}" \
    --json results.json --html matrix.html || status=$?
exit "$status"
