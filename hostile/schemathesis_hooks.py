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

import base64
import itertools
import json
import os
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import requests
import schemathesis
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode

ROOT = Path(__file__).resolve().parent.parent
KEYS = ROOT / "testdata" / "keys"
BASE_URL = os.environ["CC_BASE_URL"]

# Registered by `serve` (src/server/config.rs, ServerConfig::test_default).
CLIENT_ID = "CONFORMANCE_TEST_CLIENT"
SANDBOX_CLIENT_ID = "SANDBOX_CONFORMANCE_TEST_CLIENT"

MERCHANT_KEY = serialization.load_der_private_key(
    base64.b64decode((KEYS / "merchant-private.pkcs8.b64").read_text()), password=None
)
MERCHANT_PUBLIC_KEY = MERCHANT_KEY.public_key()
PROVIDER_KEY = serialization.load_der_public_key(
    base64.b64decode((KEYS / "provider-public.spki.b64").read_text())
)

# States a seeded payment is put in, round robin: one cancellable, and one
# of each refusal (rules repeat.*, capture.*, refund.*, state.*).
SEED_STATES = itertools.cycle(
    ["paid", "awaiting-buyer", "cancelled", "captured", "capturing",
     "partly-refunded", "fully-refunded", "failed"]
)
_lock = threading.Lock()
_calls = itertools.count()


def _sign(method: str, path: str, client_id: str, time: str, body: bytes) -> str:
    content = f"{method} {path}\n{client_id}.{time}.".encode() + body
    raw = MERCHANT_KEY.sign(content, padding.PKCS1v15(), hashes.SHA256())
    value = urllib.parse.quote(base64.b64encode(raw).decode(), safe="")
    return f"algorithm=RSA256,keyVersion=1,signature={value}"


class SignRequest(requests.auth.AuthBase):
    """Signs the prepared request: by now its body holds the exact bytes sent."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        path = urllib.parse.urlsplit(request.url).path
        client_id = request.headers.get("Client-Id", "")
        time = request.headers.get("Request-Time", "")
        request.headers["Signature"] = _sign(request.method, path, client_id, time, body)
        return request


def _seed(state: str, owner: str) -> dict:
    seed = json.dumps({"state": state, "method": "card", "owner": owner}).encode()
    request = urllib.request.Request(
        f"{BASE_URL}/control/v1/payments", data=seed,
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def _header(headers, name: str) -> str | None:
    """A header of a Schemathesis case (dict of str) by name, any case."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


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


def _parse_signature(value: str) -> tuple[str | None, bytes]:
    pairs = {}
    for piece in value.split(","):
        name, _, raw = piece.strip().partition("=")
        pairs[name.strip().lower()] = raw.strip()
    raw = urllib.parse.unquote(pairs.get("signature", ""))
    try:
        return pairs.get("keyversion"), base64.b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return pairs.get("keyversion"), b""


def _verifies(key, signature: bytes, content: bytes) -> bool:
    try:
        key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


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
    content = (
        f"{request.method} {path}\n{headers['Client-Id']}.{headers['Request-Time']}.".encode()
        + body
    )
    return _verifies(MERCHANT_PUBLIC_KEY, _parse_signature(headers["Signature"])[1], content)


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
    content = f"POST {path}\n{client_id}.{time}.".encode() + (response.content or b"")
    key_version, raw_signature = _parse_signature(signature)
    if key_version != "1":
        raise AssertionError(f"the answer's keyVersion is {key_version!r}, not '1'")
    if not _verifies(PROVIDER_KEY, raw_signature, content):
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
