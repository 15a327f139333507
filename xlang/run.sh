#!/usr/bin/env bash
# Cross-language checks of the generated schemas and spec/corpus/:
# Ajv (Node, JSON Schema 2020-12, strict mode) and Python's jsonschema;
# then the generated-code checks: TypeScript types from quicktype,
# json-schema-to-typescript and openapi-typescript compiled by tsc --strict
# (7 and 5) against code that must compile and code that must not
# (xlang/typescript/), datamodel-code-generator Pydantic v2 models against
# the corpus, and Redocly CLI lint of spec/openapi.json (xlang/redocly.yaml).
# Generated code goes to xlang/.generated/ (gitignored), rebuilt every run.
# Installs what it needs itself: npm ci into xlang/node_modules and
# xlang/typegen/node_modules (from their package-lock.json files; typegen/
# holds the generators that need TypeScript 5's compiler API) and a venv in
# xlang/.venv (from requirements.txt).
# Needs Node >= 20 with npm, and Python >= 3.10 with venv.
#
#   bash xlang/run.sh
#
# Exits non-zero if any check fails; all always run.
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

step "npm ci (xlang/package-lock.json, xlang/typegen/package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
(cd typegen && npm ci --no-audit --no-fund --loglevel=error)

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

messages="cancel-request cancel-response inquiry-request inquiry-response"
rm -rf .generated
mkdir -p .generated/ts .generated/json-schema-to-typescript .generated/openapi-typescript .generated/pydantic

version_of() { node -p "require('$1/package.json').version"; }
step "TypeScript types (quicktype $(version_of quicktype), json-schema-to-typescript $(version_of ./typegen/node_modules/json-schema-to-typescript), openapi-typescript $(version_of ./typegen/node_modules/openapi-typescript)) under tsc --strict: xlang/typescript/ and the valid corpus"
ts_ok=1
for m in $messages; do
    # --no-date-times: `format: date-time` stays `string` (what JSON.parse
    # gives); quicktype would otherwise type cancelTime as a Date.
    npx --no-install quicktype --lang typescript --src-lang schema --just-types \
        --no-date-times -o ".generated/ts/$m.ts" "../spec/$m.schema.json" || ts_ok=0
    typegen/node_modules/.bin/json2ts --input "../spec/$m.schema.json" \
        --output ".generated/json-schema-to-typescript/$m.ts" || ts_ok=0
done
typegen/node_modules/.bin/openapi-typescript ../spec/openapi.json \
    --output .generated/openapi-typescript/openapi.ts || ts_ok=0
if [ "$ts_ok" = 1 ] && node typescript/gen-samples.mjs; then
    # Its closing line is "typescript: N passed, M failed".
    node typescript/check-types.mjs || status=1
else
    echo "typescript: 0 passed, 1 failed (a generator failed)"
    status=1
fi

step "datamodel-code-generator $(.venv/bin/python -c 'from importlib.metadata import version; print(version("datamodel-code-generator"))') + pydantic $(.venv/bin/python -c 'from importlib.metadata import version; print(version("pydantic"))'): generated models and spec/corpus"
py_ok=1
for m in $messages; do
    # The one expected warning, "Pydantic does not take pattern on
    # AwareDatetime", is a gap check_pydantic.py lists (cancelTime).
    .venv/bin/datamodel-codegen --input "../spec/$m.schema.json" --input-file-type jsonschema \
        --output-model-type pydantic_v2.BaseModel --output ".generated/pydantic/${m//-/_}.py" \
        --disable-timestamp --use-annotated --field-constraints --formatters black isort \
        2> >(grep -v -e 'AwareDatetime' -e '_tables.py' -e 'warn_about_dropped' >&2) || py_ok=0
done
if [ "$py_ok" = 1 ]; then
    .venv/bin/python check_pydantic.py || status=1
else
    echo "pydantic: 0 passed, 1 failed (datamodel-codegen failed)"
    status=1
fi

step "Redocly CLI $(node -p 'require("@redocly/cli/package.json").version'): lint spec/openapi.json (xlang/redocly.yaml)"
# No telemetry, no update check; warnings fail the run as errors do.
lint_out="$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    npx --no-install redocly lint --config redocly.yaml ../spec/openapi.json 2>&1)" && lint_rc=0 || lint_rc=$?
printf '%s\n' "$lint_out" | grep -v -e '║' -e '╔' -e '╚' || true
if [ "$lint_rc" = 0 ] && ! printf '%s\n' "$lint_out" | grep -qE 'You have [0-9]+ warning|^warning '; then
    echo "redocly: 1 passed, 0 failed"
else
    echo "redocly: 0 passed, 1 failed"
    status=1
fi

# The checks' own closing lines ("ajv: N passed, M failed", then the same
# for jsonschema, typescript, pydantic and redocly) are the summary.
exit "$status"
