#!/usr/bin/env python3
"""Conformance adapter (protocol version 3) around the official Python SDK.

`cancel-conformance client --tls --adapter "python adapters/python/adapter.py"`
starts this program once per client case and talks to it in JSON lines
(INTERPRETING.md section 8). The client under test is the SDK
`global-open-sdk-python` (pinned in requirements.txt). This adapter only
configures the SDK and calls it: it never retries, signs or verifies anything
itself. See README.md beside this file.

Operations:
  hello   who the client is: the SDK's name and installed version, and the
          capabilities the SDK itself implements (see CAPABILITIES).
  cancel  ONE call of DefaultAlipayClient.execute(AlipayPayCancelRequest).
          The SDK has no retry policy, so one cancel is one request.
  notify  the SDK's own notification check,
          com.alipay.ams.api.tools.webhook_tool.check_signature.
  status  unsupported: the SDK keeps no order records.

Environment (set by the runner): CC_BASE_URL, CC_CLIENT_ID,
CC_MERCHANT_PRIVATE_KEY, CC_KEY_VERSION (set on each request), CC_PROVIDER_PUBLIC_KEY,
CC_CA_CERT, CC_TIMEOUT_MS,
CC_MAX_ATTEMPTS (read, not used: the SDK sends one request per cancel).

The seam
--------
The SDK (1.7.1, com/alipay/ams/api/net/default_http_rpc.py,
__get_http_connection) always builds

    http_client.HTTPSConnection(host=<URL host>, port=443, timeout=15,
                                context=ssl.create_default_context())

through its module global `http_client`. The adapter rebinds that one global
to a stand-in module that is http.client in every attribute but
HTTPSConnection, which changes two arguments of a connection to
CC_BASE_URL's host on port 443: the port becomes CC_BASE_URL's port, and the
timeout (15 s, fixed in the SDK) becomes CC_TIMEOUT_MS. Everything else (host
name, SNI, certificate verification with the SDK's own default context, the
request, headers and body) is the SDK's and http.client's. The seam lives in
port_seam.py, shared with sdk_cancel.py; its docstring says why the module
global is rebound rather than http.client.HTTPSConnection itself.

The certificate in CC_CA_CERT is trusted by setting SSL_CERT_FILE for this
process before the SDK builds its context (ssl.create_default_context reads
it on every call).

Standard output carries protocol lines only: file descriptor 1 is duplicated
for the protocol and then pointed at stderr, so anything else printed (by
Python code or by C libraries) goes to stderr. Keys and signatures are never
written anywhere.
"""

import json
import os
import socket
import ssl
import sys

import harness_env
from port_seam import SDK_PORT, install as install_port_seam



def open_protocol_stream():
    """The protocol's own stdout; fd 1 and sys.stdout then go to stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


PROTOCOL_OUT = open_protocol_stream()


def log(message):
    sys.stderr.write("adapter: " + message + "\n")
    sys.stderr.flush()


def send(payload):
    PROTOCOL_OUT.write(json.dumps(payload, separators=(",", ":")) + "\n")
    PROTOCOL_OUT.flush()


class ConfigError(Exception):
    """The adapter's own inputs are wrong (not the SDK's fault)."""


# Key material the adapter derived (another encoding of a key), scrubbed too.
DERIVED_SECRETS = []


def secrets():
    return [
        value
        for value in (
            os.environ.get("CC_MERCHANT_PRIVATE_KEY", "").strip(),
            os.environ.get("CC_PROVIDER_PUBLIC_KEY", "").strip(),
        )
        if value
    ] + DERIVED_SECRETS


# SDK releases before 1.5 (seen in 1.3.9, 1.4.0, 1.4.20 and 1.4.40) wrap the
# merchant key in "BEGIN RSA PRIVATE KEY" markers
# (signature_tool.__fill_private_key_marker): they read it as PKCS#1. 1.5
# and later read PKCS#8, the form the runner hands out. For the older ones
# the same key is re-encoded as PKCS#1, another container for the same key;
# the adapter adds no behaviour of its own.
PKCS8_SINCE = (1, 5)


def sdk_version():
    """The installed SDK's version as a tuple of numbers, () if unknown."""
    try:
        from importlib.metadata import version

        return tuple(int(part) for part in version("global-open-sdk-python").split(".")[:3])
    except Exception:
        return ()


def merchant_key_for_sdk(key_b64, version):
    if not version or version >= PKCS8_SINCE:
        return key_b64
    import base64

    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_der_private_key(base64.b64decode(key_b64), password=None)
    except Exception as error:
        raise ConfigError(
            "CC_MERCHANT_PRIVATE_KEY is not a base64 PKCS#8 key: " + type(error).__name__
        )
    pkcs1 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    converted = base64.b64encode(pkcs1).decode("ascii")
    DERIVED_SECRETS.append(converted)
    return converted


def scrub(text):
    """Keeps key material out of messages (an SDK message may quote input)."""
    return harness_env.scrub(text, secrets())


def read_config():
    base_url, host, port = harness_env.gateway(ConfigError)
    timeout_ms = os.environ.get("CC_TIMEOUT_MS", "").strip()
    try:
        timeout = int(timeout_ms) / 1000.0 if timeout_ms else None
    except ValueError:
        raise ConfigError("CC_TIMEOUT_MS is not a number: " + timeout_ms)
    if timeout is not None and timeout <= 0:
        raise ConfigError("CC_TIMEOUT_MS must be positive: " + timeout_ms)
    ca_cert = os.environ.get("CC_CA_CERT", "").strip() or None
    return {
        "base_url": base_url,
        "host": host,
        "port": port,
        "timeout": timeout,
        "ca_cert": ca_cert,
        "client_id": harness_env.required_env("CC_CLIENT_ID", ConfigError),
        "merchant_private_key": harness_env.required_env("CC_MERCHANT_PRIVATE_KEY", ConfigError),
        "provider_public_key": harness_env.required_env("CC_PROVIDER_PUBLIC_KEY", ConfigError),
    }


class Sdk(object):
    """The SDK's pieces the adapter calls, and the seam it runs through."""

    def __init__(self, config):
        if config["ca_cert"]:
            # Read by ssl.create_default_context() (OpenSSL's default verify
            # paths), which the SDK calls for every connection.
            os.environ["SSL_CERT_FILE"] = config["ca_cert"]
        try:
            from com.alipay.ams.api.net import default_http_rpc
            from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
            from com.alipay.ams.api.exception.exception import AlipayApiException
            from com.alipay.ams.api.request.pay.alipay_pay_cancel_request import (
                AlipayPayCancelRequest,
            )
            from com.alipay.ams.api.response.pay.alipay_pay_cancel_response import (
                AlipayPayCancelResponse,
            )
            from com.alipay.ams.api.tools.webhook_tool import check_signature
        except ImportError as error:
            raise ConfigError(
                "cannot import the SDK (pip install -r adapters/python/requirements.txt "
                "into the Python running this adapter): " + str(error)
            )
        if not hasattr(default_http_rpc, "http_client"):
            raise ConfigError(
                "com.alipay.ams.api.net.default_http_rpc has no http_client any more: "
                "the seam needs updating for this SDK version"
            )
        self.config = config
        self.seam = install_port_seam(
            default_http_rpc, config["host"], config["port"], config["timeout"]
        )
        self.api_exception = AlipayApiException
        self.cancel_request = AlipayPayCancelRequest
        self.cancel_response = AlipayPayCancelResponse
        self.check_signature = check_signature
        self.client = DefaultAlipayClient(
            config["base_url"],
            config["client_id"],
            merchant_key_for_sdk(config["merchant_private_key"], sdk_version()),
            config["provider_public_key"],
        )


# AlipayApiException messages of the SDK (1.7.1) that mean "no answer":
# default_http_rpc.do_post wraps connect and send failures; a non-200 status
# is a transport failure for the SDK as well.
TRANSPORT_MESSAGES = ("connect failed.", "request failed.", "invalid http status")
# Everything else the SDK raises after an answer arrived is about trusting it:
# "response header exception" (signature / response-time / client-id header
# missing), "response data error" (unsigned or incomplete signature headers),
# "response verify failed." and "response signature verify failed.".


def classify(error, api_exception):
    """(outcome, why) for an exception out of the SDK's execute()."""
    text = str(error)
    if isinstance(error, api_exception):
        if text.startswith(TRANSPORT_MESSAGES):
            return "unknown", "transport"
        return "refused", "untrusted answer"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "unknown", "timeout"
    if isinstance(error, ssl.SSLError):
        return "unknown", "transport"
    # getresponse() and read() are not wrapped by the SDK: connection
    # resets, http.client.HTTPException (bad status line, incomplete read).
    import http.client

    if isinstance(error, (OSError, http.client.HTTPException)):
        return "unknown", "transport"
    return None, None


def do_cancel(sdk, message):
    payment_id = message.get("paymentId")
    payment_request_id = message.get("paymentRequestId")
    for name, value in (("paymentId", payment_id), ("paymentRequestId", payment_request_id)):
        if value is not None and not isinstance(value, str):
            return {"error": name + " must be a string"}
    if payment_id is None and payment_request_id is None:
        return {"error": "cancel needs paymentId and/or paymentRequestId"}
    request = sdk.cancel_request()
    if payment_id is not None:
        request.payment_id = payment_id
    if payment_request_id is not None:
        request.payment_request_id = payment_request_id
    # The key version is configuration, like the keys: the SDK names it in
    # the Signature header (keyVersion=) when the request carries one.
    key_version = os.environ.get("CC_KEY_VERSION", "").strip()
    if key_version:
        request.key_version = key_version

    rerouted_before = sdk.seam.rerouted
    bypassed = (
        "the SDK did not connect through "
        "default_http_rpc.http_client.HTTPSConnection(host, 443); the seam "
        "needs updating for this SDK version"
    )
    try:
        # One call; the SDK raises on transport failures, non-200 statuses and
        # answers it does not trust, and returns the body otherwise.
        body = sdk.client.execute(request)
    except Exception as error:  # the SDK's failure is the result here
        described = scrub(type(error).__name__ + ": " + str(error))
        if sdk.seam.rerouted == rerouted_before and sdk.config["port"] != SDK_PORT:
            return {"error": bypassed + " (then " + described + ")"}
        outcome, why = classify(error, sdk.api_exception)
        if outcome is None:
            log("cancel: the SDK raised an unexpected " + described)
            return {"error": "the SDK raised " + described}
        log("cancel: the SDK raised (" + why + ") " + described)
        return {"outcome": outcome, "detail": described}
    if sdk.seam.rerouted == rerouted_before and sdk.config["port"] != SDK_PORT:
        return {"error": bypassed}

    try:
        response = sdk.cancel_response(body)
    except Exception as error:
        # The SDK accepted the answer but cannot parse it.
        described = scrub(type(error).__name__ + ": " + str(error))
        log("cancel: the SDK cannot parse the answer: " + described)
        return {"outcome": "refused", "detail": described}
    result = response.result
    status = harness_env.result_status_text(result.result_status) if result else None
    code = result.result_code if result else None
    if status == "S":
        answer = {"outcome": "cancelled", "resultCode": code}
        if response.cancel_time is not None:
            answer["cancelTime"] = response.cancel_time
        return answer
    if status == "F":
        return {"outcome": "failed", "resultCode": code}
    if status == "U":
        return {"outcome": "unknown", "resultCode": code}
    log("cancel: the SDK returned a body with resultStatus " + repr(status))
    return {"outcome": "refused", "resultCode": code}


def do_notify(sdk, message):
    path = message.get("path")
    headers = message.get("headers")
    body = message.get("body")
    if not isinstance(path, str) or not isinstance(headers, dict) or not isinstance(body, str):
        return {"error": "notify needs path (string), headers (object) and body (string)"}
    lowered = dict((str(k).lower(), v) for k, v in headers.items())
    try:
        verified = sdk.check_signature(
            "POST",
            path,
            lowered.get("client-id"),
            lowered.get("request-time"),
            body,
            lowered.get("signature"),
            sdk.config["provider_public_key"],
        )
    except Exception as error:
        # check_signature raises when the header has no `signature=` part and
        # (through rsa.verify) when the signature does not verify.
        log("notify: the SDK rejected the notification: " + scrub(type(error).__name__))
        return {"accepted": False}
    return {"accepted": bool(verified)}


def do_status(_sdk, _message):
    return {"error": "unsupported: the SDK keeps no order records"}


# What the SDK itself does, read from its source (1.7.1; the same layout
# in every release the matrix judges), never what this adapter could add:
#   sign     DefaultAlipayClient.execute signs every request
#            (tools/signature_tool.sign, keyVersion from the request).
#   verify   execute checks the answer's signature, response-time and
#            client-id headers before returning its body
#            (signature_tool.verify); it raises otherwise.
#   tls      net/default_http_rpc.__get_http_connection opens every
#            connection with HTTPSConnection(context=
#            ssl.create_default_context()): TLS is the SDK's.
#   timeout  the same call passes timeout=DEFAULT_TIMEOUT (15 s) to the
#            connection: the SDK keeps a timeout (the port seam only
#            shortens it to CC_TIMEOUT_MS).
#   notify   tools/webhook_tool.check_signature verifies a notification.
# Not declared:
#   retry    execute sends exactly one request and raises on U, timeouts
#            and broken connections; no module of the SDK retries.
#   orders   the SDK keeps no record of a payment (`status` is unsupported).
CAPABILITIES = ["sign", "verify", "tls", "timeout", "notify"]
SDK_NAME = "global-open-sdk-python"
SDK_HOMEPAGE = "https://github.com/alipay/global-open-sdk-python"


def do_hello(_sdk, _message):
    installed = sdk_version()
    return {
        "name": SDK_NAME,
        "version": ".".join(str(part) for part in installed) if installed else "unknown",
        "language": "Python",
        "homepage": SDK_HOMEPAGE,
        "capabilities": CAPABILITIES,
    }


OPERATIONS = {"hello": do_hello, "cancel": do_cancel, "notify": do_notify, "status": do_status}


def main():
    sdk = None
    setup_error = None
    try:
        sdk = Sdk(read_config())
    except ConfigError as error:
        setup_error = scrub(str(error))
        log("setup: " + setup_error)

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError as error:
            send({"id": None, "error": "not a JSON line: " + str(error)})
            continue
        if not isinstance(message, dict):
            send({"id": None, "error": "not a JSON object"})
            continue
        request_id = message.get("id")
        op = message.get("op")
        handler = OPERATIONS.get(op)
        if handler is None:
            answer = {"error": "unsupported operation: " + str(op)}
        elif setup_error is not None and op != "hello":
            answer = {"error": "adapter setup failed: " + setup_error}
        else:
            try:
                answer = handler(sdk, message)
            except Exception as error:  # an adapter bug; keep serving
                answer = {"error": "adapter error: " + scrub(type(error).__name__ + ": " + str(error))}
                log(answer["error"])
        answer["id"] = request_id
        send(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
