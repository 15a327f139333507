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

import urllib.parse

import schemathesis

# hostile/ is on PYTHONPATH (bench/suite_speed.sh): the signing scheme and
# the TEST-ONLY keys, shared with the hostile hooks.
from api_signing import CLIENT_ID, PROVIDER_KEY, SANDBOX_CLIENT_ID, SignRequest, content, parse_signature, verifies


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
    path = urllib.parse.urlsplit(response.request.url).path
    signed = content("POST", path, client_id, time, response.content or b"")
    if not verifies(PROVIDER_KEY, parse_signature(signature)[1], signed):
        raise AssertionError("the answer's signature does not verify")
