"""Checks the Pydantic v2 models that datamodel-code-generator makes from
spec/{cancel,inquiry}-{request,response}.schema.json against spec/corpus.

    python xlang/check_pydantic.py     (xlang/run.sh generates the models into
                                        xlang/.generated/pydantic/ first, then
                                        runs this in xlang/.venv)

1. Every VALID corpus entry must pass `Model.model_validate` (a generated
   model that rejects a valid message is unusable).
2. Every INVALID entry must be rejected, except the ones listed in
   KNOWN_ACCEPTED below, each with the reason Pydantic (or the generator)
   cannot express that rule. A listed entry that Pydantic now rejects is
   also a failure ("stale"): the list must say exactly how the models fare.
Pydantic runs in its default (lax) mode, as a consumer would use the models.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from pydantic import ValidationError

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "spec"
CORPUS = SPEC / "corpus"
GENERATED = HERE / ".generated" / "pydantic"
MODELS = {
    "cancel-request": ("cancel_request", "CancelRequest"),
    "cancel-response": ("cancel_response", "CancelResponse"),
    "inquiry-request": ("inquiry_request", "InquiryRequest"),
    "inquiry-response": ("inquiry_response", "InquiryResponse"),
}

# Invalid entries the generated models accept, keyed by (message, description)
# so that they survive reordering of the corpus; the value says why.
#
# (a) Rules Pydantic models cannot express: if/then in the schema (a field
#     required, or a status fixed, only for some result), and `pattern` next
#     to `format: date-time` (datamodel-codegen drops the pattern: "Pydantic
#     does not take pattern on AwareDatetime"; Pydantic's lax datetime parser
#     accepts a space for T, +0800, and a number as a Unix timestamp).
# (b) An optional property becomes `X | None = None`, so JSON null passes
#     where the schema wants a string (--strict-nullable is OpenAPI-only).
# (The request schemas' "at least one id, not null" is an `anyOf` of one
# closed shape per id, in which that id is a plain string; the models keep
# it, so two null ids are rejected and need no entry here.)
_IF_THEN = "(a) if/then: not expressible in a Pydantic model"
_DATETIME = ("(a) pattern on a date-time is dropped and Pydantic's lax "
             "datetime parsing accepts it")
_NULL = "(b) optional property generated as `str | None`: null accepted"
KNOWN_ACCEPTED: dict[tuple[str, str], str] = {
    ("cancel-response", "cancelTime with an offset lacking its colon (RFC 3339 needs +08:00)"): _DATETIME,
    ("cancel-response", "cancelTime with a space instead of T"): _DATETIME,
    ("cancel-response", "cancelTime as epoch milliseconds"): _DATETIME,
    ("cancel-response", "S without cancelTime"): _IF_THEN,
    ("cancel-response", "S without paymentId"): _IF_THEN,
    ("cancel-response", "S with an unknown code still needs the ids and cancelTime"): _IF_THEN,
    ("cancel-response", "PROCESS_FAIL paired with status S"): _IF_THEN,
    ("cancel-response", "SUCCESS paired with status F"): _IF_THEN,
    ("cancel-response", "SYSTEM_ERROR paired with status F"): _IF_THEN,
    ("cancel-response", "JSON null paymentId in an F answer"): _NULL,
    ("inquiry-response", "Inquiry S answer without paymentStatus"): _IF_THEN,
    ("inquiry-response", "ACCESS_DENIED paired with status U in an inquiry"): _IF_THEN,
}


def main() -> int:
    sys.path.insert(0, str(GENERATED))
    models = {}
    problems: list[str] = []
    for message, (module, name) in MODELS.items():
        try:
            models[message] = getattr(importlib.import_module(module), name)
        except Exception as err:  # missing file, syntax error, missing class
            problems.append(f"{GENERATED}/{module}.py: cannot import {name}: {err!r}")

    entries = accepted_valid = rejected_invalid = known = 0
    seen_known: set[tuple[str, str]] = set()
    for file in sorted(CORPUS.glob("*.json")):
        for index, entry in enumerate(json.loads(file.read_text(encoding="utf-8"))):
            message = entry.get("message")
            model = models.get(message)
            if model is None:
                continue
            entries += 1
            key = (message, entry.get("description"))
            place = f"spec/corpus/{file.name}#{index} ({entry.get('description')})"
            try:
                model.model_validate(entry["instance"])
                error = None
            except ValidationError as err:
                error = err
            if entry.get("valid"):
                if error is None:
                    accepted_valid += 1
                else:
                    problems.append(f"{place}: valid, but {model.__name__} rejects it:\n    "
                                    + str(error).replace("\n", "\n    "))
            elif key in KNOWN_ACCEPTED:
                seen_known.add(key)
                if error is None:
                    known += 1
                else:
                    problems.append(f"{place}: listed in KNOWN_ACCEPTED "
                                    f"({KNOWN_ACCEPTED[key]}), but {model.__name__} now "
                                    "rejects it: remove it from the list")
            elif error is None:
                problems.append(f"{place}: invalid at {entry.get('at')!r}, but "
                                f"{model.__name__} accepts it")
            else:
                rejected_invalid += 1
    for key in KNOWN_ACCEPTED.keys() - seen_known:
        problems.append(f"KNOWN_ACCEPTED names no invalid corpus entry: {key}")
    if entries == 0:
        problems.append("spec/corpus/ holds no entries for the four messages")

    by_reason: dict[str, int] = {}
    for key in seen_known:
        by_reason[KNOWN_ACCEPTED[key][:3]] = by_reason.get(KNOWN_ACCEPTED[key][:3], 0) + 1
    print(f"pydantic: corpus {entries} entries: {accepted_valid} valid accepted, "
          f"{rejected_invalid} invalid rejected, {known} invalid accepted as listed "
          f"{dict(sorted(by_reason.items()))}")
    if problems:
        print(f"\npydantic: FAILED, {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    sys.stderr.flush()
    print(f"pydantic: {accepted_valid + rejected_invalid + known} passed, "
          f"{len(problems)} failed", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
