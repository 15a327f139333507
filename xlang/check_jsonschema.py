"""Checks the generated JSON Schemas and the shared corpus with Python's
`jsonschema` (Draft 2020-12, formats checked).

    python xlang/check_jsonschema.py      (xlang/run.sh runs it in xlang/.venv)

1. `Draft202012Validator.check_schema` on every spec/*.schema.json and on
   every schema in spec/openapi.json's components/schemas.
2. Every spec/*.schema.json is put in one registry under its `$id` (and the
   OpenAPI document under its own URI), so references resolve as they would
   for any consumer.
3. Every spec/corpus/*.json entry is validated against its message's schema
   and against its OpenAPI component, with the format checker on; the verdict
   must match `valid`, and for an invalid entry some error of `iter_errors`
   must sit at `at` (a JSON pointer built from `error.absolute_path`). The
   errors of an `anyOf` branch count too (`error.context`): the request
   schemas are an `anyOf` of one shape per id, and jsonschema reports a too
   long id inside it, as Ajv lists its branch errors beside the `anyOf` one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
CORPUS = SPEC / "corpus"
ID_BASE = "https://cancel-conformance.example/spec/"
OPENAPI_ID = ID_BASE + "openapi.json"
COMPONENTS = {
    "cancel-request": "CancelRequest",
    "cancel-response": "CancelResponse",
    "inquiry-request": "InquiryRequest",
    "inquiry-response": "InquiryResponse",
}


def pointer(path) -> str:
    """The JSON pointer of a jsonschema error path (a deque of keys)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in path
    )


def with_branch_errors(errors):
    """The errors and, recursively, those of their anyOf/oneOf branches."""
    for error in errors:
        yield error
        yield from with_branch_errors(error.context)


def main() -> int:
    problems: list[str] = []

    format_checker = Draft202012Validator.FORMAT_CHECKER
    if "date-time" not in format_checker.checkers:
        # jsonschema skips a format whose checker library is missing; without
        # rfc3339-validator, date-time would silently go unchecked.
        problems.append(
            "jsonschema has no date-time checker: install rfc3339-validator "
            "(xlang/requirements.txt)"
        )

    # 1 + 2: the schemas.
    registry = Registry()
    checked = 0
    for file in sorted(SPEC.glob("*.schema.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        expected_id = ID_BASE + file.name
        if doc.get("$id") != expected_id:
            problems.append(
                f"spec/{file.name}: $id is {doc.get('$id')!r}, expected {expected_id}"
            )
        try:
            Draft202012Validator.check_schema(doc)
            checked += 1
        except SchemaError as err:
            problems.append(
                f"spec/{file.name}: not a valid 2020-12 schema at "
                f"{pointer(err.absolute_path) or '/'}: {err.message}"
            )
        registry = registry.with_resource(
            doc.get("$id", ID_BASE + file.name), Resource.from_contents(doc)
        )

    openapi = json.loads((SPEC / "openapi.json").read_text(encoding="utf-8"))
    dialect = openapi.get("jsonSchemaDialect")
    if dialect != "https://json-schema.org/draft/2020-12/schema":
        problems.append(f"spec/openapi.json: jsonSchemaDialect is {dialect!r}")
    components = openapi.get("components", {}).get("schemas", {})
    for name, schema in components.items():
        try:
            Draft202012Validator.check_schema(schema)
            checked += 1
        except SchemaError as err:
            problems.append(
                f"spec/openapi.json#/components/schemas/{name}: not a valid 2020-12 "
                f"schema at {pointer(err.absolute_path) or '/'}: {err.message}"
            )
    # The OpenAPI document is a resource of the 2020-12 dialect (its
    # jsonSchemaDialect), so "#/components/schemas/..." resolves inside it.
    registry = registry.with_resource(
        OPENAPI_ID, DRAFT202012.create_resource(openapi)
    )

    def validator_for(ref: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": ref}, registry=registry, format_checker=format_checker
        )

    # 3: the corpus.
    entries = 0
    checks = 0
    agreed = 0
    files = sorted(CORPUS.glob("*.json"))
    for file in files:
        items = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(items, list):
            problems.append(f"spec/corpus/{file.name}: not a list of entries")
            continue
        for index, entry in enumerate(items):
            entries += 1
            place = f"spec/corpus/{file.name}#{index} ({entry.get('description')})"
            message = entry.get("message")
            component = COMPONENTS.get(message)
            if component is None:
                problems.append(f"{place}: unknown message {message!r}")
                continue
            targets = [
                (f"spec/{message}.schema.json", f"{ID_BASE}{message}.schema.json"),
                (
                    f"openapi.json {component}",
                    f"{OPENAPI_ID}#/components/schemas/{component}",
                ),
            ]
            for label, ref in targets:
                checks += 1
                try:
                    errors = list(validator_for(ref).iter_errors(entry["instance"]))
                except Exception as err:  # an unresolvable $ref, for one
                    problems.append(f"{place} [{label}]: could not validate: {err!r}")
                    continue
                listed = "".join(
                    f"\n    at {pointer(e.absolute_path) or '/'}: {e.message} "
                    f"(schema {pointer(e.absolute_schema_path)})"
                    for e in errors
                )
                at = entry.get("at")
                if entry.get("valid") and errors:
                    problems.append(
                        f"{place} [{label}]: expected valid, jsonschema says invalid:{listed}"
                    )
                elif not entry.get("valid") and not errors:
                    problems.append(
                        f"{place} [{label}]: expected invalid at {at!r}, jsonschema says valid"
                    )
                elif not entry.get("valid") and not any(
                    pointer(e.absolute_path) == at for e in with_branch_errors(errors)
                ):
                    problems.append(
                        f"{place} [{label}]: expected an error at {at!r}, jsonschema says:{listed}"
                    )
                else:
                    agreed += 1
    if entries == 0:
        problems.append("spec/corpus/ holds no entries")

    print(f"jsonschema: {checked} schemas pass check_schema (Draft 2020-12)")
    print(f"jsonschema: corpus {entries} entries, {agreed}/{checks} checks agree")
    if problems:
        print(f"\njsonschema: FAILED, {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    # Schemas that pass check_schema and corpus checks that agree, against
    # every problem found.
    sys.stderr.flush()
    print(f"jsonschema: {checked + agreed} passed, {len(problems)} failed", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
