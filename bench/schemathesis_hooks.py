"""Schemathesis hooks for bench/suite_speed.sh (loaded via SCHEMATHESIS_HOOKS).

So that Schemathesis does per exchange what `cancel-conformance run` does
(sign the request over the exact bytes sent, check the answer against its
schema and verify the provider's signature), these hooks:

* send every request as a registered test client, signed with the TEST-ONLY
  merchant key (testdata/keys), so that answers come from the business
  rules rather than the first authentication check;
* verify every answer's signature with the TEST-ONLY provider key over
  `POST <path>\\n<client-id>.<response-time>.<body>` (a check).

Unlike hostile/schemathesis_hooks.py they seed nothing, so every exchange
Schemathesis makes is one API call. Nothing here is secret.
"""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import requests
import schemathesis
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

KEYS = Path(__file__).resolve().parent.parent / "testdata" / "keys"
CLIENT_ID = "CONFORMANCE_TEST_CLIENT"
SANDBOX_CLIENT_ID = "SANDBOX_CONFORMANCE_TEST_CLIENT"

MERCHANT_KEY = serialization.load_der_private_key(
    base64.b64decode((KEYS / "merchant-private.pkcs8.b64").read_text()), password=None
)
PROVIDER_KEY = serialization.load_der_public_key(
    base64.b64decode((KEYS / "provider-public.spki.b64").read_text())
)


class SignRequest(requests.auth.AuthBase):
    """Signs the prepared request: by now its body holds the exact bytes sent."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        path = urllib.parse.urlsplit(request.url).path
        client_id = request.headers.get("Client-Id", "")
        time = request.headers.get("Request-Time", "")
        content = f"{request.method} {path}\n{client_id}.{time}.".encode() + body
        raw = MERCHANT_KEY.sign(content, padding.PKCS1v15(), hashes.SHA256())
        value = urllib.parse.quote(base64.b64encode(raw).decode(), safe="")
        request.headers["Signature"] = f"algorithm=RSA256,keyVersion=1,signature={value}"
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = dict(case.headers or {})
    for name in list(headers):
        if name.lower() in ("client-id", "signature"):
            del headers[name]
    headers["Client-Id"] = SANDBOX_CLIENT_ID if "/sandbox/" in case.path else CLIENT_ID
    case.headers = headers
    kwargs["auth"] = SignRequest()


@schemathesis.check
def answer_is_signed(ctx, response, case):
    """The answer's signature verifies with the provider key."""
    headers = response.headers
    for name in ("signature", "response-time", "client-id"):
        if name not in headers:
            raise AssertionError(f"the answer lacks the header {name}")
    signature, time, client_id = (headers[name][0] for name in ("signature", "response-time", "client-id"))
    pairs = dict(piece.strip().partition("=")[::2] for piece in signature.split(","))
    raw = urllib.parse.unquote(pairs.get("signature", ""))
    path = urllib.parse.urlsplit(response.request.url).path
    content = f"POST {path}\n{client_id}.{time}.".encode() + (response.content or b"")
    try:
        PROVIDER_KEY.verify(base64.b64decode(raw), content, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as error:
        raise AssertionError("the answer's signature does not verify") from error
