"""Schemathesis hooks for hostile/schemathesis.sh (loaded via SCHEMATHESIS_HOOKS).

Schemathesis knows nothing of this API's signing scheme, so on its own every
request would stop at the signature check. These hooks:

* sign three requests in four with the TEST-ONLY merchant key
  (testdata/keys), over the exact bytes sent, as a registered test client, so
  that the body parser, the schema check, the store and the business rules are
  reached; of the rest, half go out as generated (an unknown client) and half
  as a registered client with the generated signature, to keep the
  authentication failures exercised;
* seed a real payment through the control plane for every other signed
  request with a valid body, so that S answers (and the refusals of captured,
  refunded, failed payments) are produced and checked against the schema;
* check every answer: signed by the provider key over
  `POST <path>\\n<client-id>.<response-time>.<body>`, naming the request's
  client id, and never an S for a request that was unsigned, whose body breaks
  the schema, or that used another method than POST;

Nothing here is secret: the keys are the TEST-ONLY pairs in testdata/keys.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import urllib.parse
import urllib.request

import requests
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode

from api_signing import (
    CLIENT_ID,
    MERCHANT_PUBLIC_KEY,
    PROVIDER_KEY,
    SANDBOX_CLIENT_ID,
    SignRequest,
    content,
    parse_signature,
    verifies,
)

BASE_URL = os.environ["CC_BASE_URL"]

# States a seeded payment is put in, round robin: one cancellable, and one
# of each refusal (rules repeat.*, capture.*, refund.*, state.*).
SEED_STATES = itertools.cycle(
    ["paid", "awaiting-buyer", "cancelled", "captured", "capturing",
     "partly-refunded", "fully-refunded", "failed"]
)
_lock = threading.Lock()
_calls = itertools.count()


def _seed(state: str, owner: str) -> dict:
    seed = json.dumps({"state": state, "method": "card", "owner": owner}).encode()
    request = urllib.request.Request(
        f"{BASE_URL}/control/v1/payments", data=seed,
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


@schemathesis.hook
def before_call(context, case, kwargs):
    with _lock:
        turn = next(_calls)
    if turn % 8 == 3:
        return  # sent as generated: an unknown client, CLIENT_INVALID
    headers = case.headers if case.headers is not None else {}
    for name in list(headers):
        if name.lower() == "client-id" or (name.lower() == "signature" and turn % 8 != 7):
            del headers[name]
    headers["Client-Id"] = SANDBOX_CLIENT_ID if "/sandbox/" in case.path else CLIENT_ID
    case.headers = headers
    if turn % 8 == 7:
        return  # a known client with the generated signature: INVALID_SIGNATURE
    body = case.body
    positive = case.meta is None or all(
        info.mode == GenerationMode.POSITIVE for info in case.meta.components.values()
    )
    if positive and isinstance(body, dict) and turn % 2 == 0:
        with _lock:
            state = next(SEED_STATES)
        ids = _seed(state, headers["Client-Id"])
        if "paymentId" in body:
            body["paymentId"] = ids["paymentId"]
        if "paymentRequestId" in body:
            body["paymentRequestId"] = ids["paymentRequestId"]
    kwargs["auth"] = SignRequest()


def _validly_signed(request: requests.PreparedRequest) -> bool:
    """Whether the request as sent carries a merchant signature that verifies
    (derived from the wire, not remembered, so shrinking and replays agree)."""
    headers = request.headers
    if not all(headers.get(name) for name in ("Signature", "Client-Id", "Request-Time")):
        return False
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    path = urllib.parse.urlsplit(request.url).path
    signed = content(request.method, path, headers["Client-Id"], headers["Request-Time"], body)
    return verifies(MERCHANT_PUBLIC_KEY, parse_signature(headers["Signature"])[1], signed)


@schemathesis.check
def answer_is_signed(ctx, response, case):
    """Every answer carries signature, response-time and client-id, the
    client-id names the request's client, and the signature verifies with the
    provider key over the path requested and the exact body received."""
    names = ("signature", "response-time", "client-id")
    missing = [name for name in names if name not in response.headers]
    if missing:
        raise AssertionError(f"the answer lacks the header(s) {', '.join(missing)}")
    signature, time, client_id = (response.headers[name][0] for name in names)
    sent = response.request.headers.get("Client-Id")
    # The server repeats the Client-Id it received, or "" when there was
    # none it could read as text (rule sign.response-signed-on-auth-failure).
    if sent is not None:
        raw = sent.encode("latin-1") if isinstance(sent, str) else sent
        try:
            sent = raw.decode("utf-8")
        except UnicodeDecodeError:
            sent = None
    if client_id != (sent or ""):
        raise AssertionError(f"client-id {client_id!r} does not repeat the request's {sent!r}")
    path = urllib.parse.urlsplit(response.request.url).path
    signed = content("POST", path, client_id, time, response.content or b"")
    key_version, raw_signature = parse_signature(signature)
    if key_version != "1":
        raise AssertionError(f"the answer's keyVersion is {key_version!r}, not '1'")
    if not verifies(PROVIDER_KEY, raw_signature, signed):
        raise AssertionError(
            f"the answer's signature does not verify with the provider key over POST {path}"
        )


@schemathesis.check
def never_success_unless_valid_and_signed(ctx, response, case):
    """Replaces negative_data_rejection / missing_required_header /
    unsupported_method, which expect HTTP 4xx/405: this API answers every
    result with HTTP 200 (rule http.status-200), so a refusal is an F.
    A request that is unsigned, not a POST, or whose body breaks the schema
    must never be answered S; no faults are scripted, so never U either."""
    status = (response.json() or {}).get("result", {}).get("resultStatus")
    body = case.meta and case.meta.components.get(ParameterLocation.BODY)
    if response.request.method != "POST":
        refused = "not a POST"
    elif not _validly_signed(response.request):
        refused = "not validly signed"
    elif body is not None and body.mode == GenerationMode.NEGATIVE:
        refused = "schema-invalid in its body"
    else:
        refused = None
    if refused is not None:
        if status != "F":
            raise AssertionError(f"resultStatus {status!r} for a request {refused}; expected F")
    elif status not in ("S", "F"):
        raise AssertionError(f"resultStatus {status!r}; no fault was scripted, expected S or F")


@schemathesis.check
class SuccessReached:
    """The signing and seeding above are only worth it if they reach the
    business rules: every cancel and inquiry operation gets at least one S."""

    def __init__(self):
        self.tested = set()
        self.succeeded = set()

    def after_response(self, ctx, response, case):
        label = case.operation.label
        self.tested.add(label)
        try:
            status = (response.json() or {}).get("result", {}).get("resultStatus")
        except ValueError:
            return
        if status == "S":
            self.succeeded.add(label)

    def after_run(self, ctx):
        never = sorted(self.tested - self.succeeded)
        if never:
            raise AssertionError(f"no S answer was ever reached for {', '.join(never)}")
