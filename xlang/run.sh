#!/usr/bin/env bash
# Cross-language checks of the generated schemas and spec/corpus/:
# Ajv (Node, JSON Schema 2020-12, strict mode) and Python's jsonschema.
# Installs what it needs itself: npm ci into xlang/node_modules (from
# package-lock.json) and a venv in xlang/.venv (from requirements.txt).
# Needs Node >= 20 with npm, and Python >= 3.10 with venv.
#
#   bash xlang/run.sh
#
# Exits non-zero if either check fails; both always run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

step() { printf '\n==> %s\n' "$*"; }

python="${PYTHON:-python3}"
for tool in node npm "$python"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "xlang/run.sh: $tool not found (needs Node >= 20 with npm, Python >= 3.10)" >&2
        exit 2
    fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "xlang/run.sh: Node $(node --version) is too old, needs >= 20" >&2
    exit 2
fi

step "npm ci (xlang/package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

step "python venv xlang/.venv (xlang/requirements.txt)"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

status=0
step "Ajv $(node -p 'require("ajv/package.json").version') + ajv-formats $(node -p 'require("ajv-formats/package.json").version'): spec/*.schema.json (strict) and spec/corpus"
node check-ajv.mjs || status=1

step "jsonschema $(.venv/bin/python -c 'from importlib.metadata import version; print(version("jsonschema"))'): spec/*.schema.json and spec/corpus"
.venv/bin/python check_jsonschema.py || status=1

# The checks' own closing lines ("ajv: N passed, M failed", then the same
# for jsonschema) are the summary.
exit "$status"
