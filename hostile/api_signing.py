"""The cancel API's signing scheme with the TEST-ONLY keys, for the
Schemathesis hooks (hostile/schemathesis_hooks.py and
bench/schemathesis_hooks.py). Importing it registers nothing with
Schemathesis. Nothing here is secret: the keys are the TEST-ONLY pairs in
testdata/keys."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

KEYS = Path(__file__).resolve().parent.parent / "testdata" / "keys"

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


def content(method: str, path: str, client_id: str, time: str, body: bytes) -> bytes:
    """The signed text: `<METHOD> <path>\\n<client-id>.<time>.<body>`."""
    return f"{method} {path}\n{client_id}.{time}.".encode() + body


def sign(method: str, path: str, client_id: str, time: str, body: bytes) -> str:
    """A Signature header value by the merchant key."""
    raw = MERCHANT_KEY.sign(content(method, path, client_id, time, body), padding.PKCS1v15(), hashes.SHA256())
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
        request.headers["Signature"] = sign(request.method, path, client_id, time, body)
        return request


def parse_signature(value: str) -> tuple[str | None, bytes]:
    """(keyVersion, signature bytes) of a Signature header; empty bytes when
    the signature is not base64."""
    pairs = {}
    for piece in value.split(","):
        name, _, raw = piece.strip().partition("=")
        pairs[name.strip().lower()] = raw.strip()
    raw = urllib.parse.unquote(pairs.get("signature", ""))
    try:
        return pairs.get("keyversion"), base64.b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return pairs.get("keyversion"), b""


def verifies(key, signature: bytes, signed: bytes) -> bool:
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False
