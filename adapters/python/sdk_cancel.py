#!/usr/bin/env python3
"""Cancel one payment with the official Python SDK (global-open-sdk-python).

The real-client proof behind tests/python_sdk.rs: the SDK signs a cancel
request, our reference server verifies it, answers signed, and the SDK
verifies that answer. Nothing of the SDK is copied or re-implemented here;
this script only configures it and calls it.

Input, all from the environment:
  CC_BASE_URL             the server, e.g. https://localhost:8443
  CC_CLIENT_ID            the client id the server knows
  CC_MERCHANT_PRIVATE_KEY merchant private key, base64 PKCS#8 DER, one line
  CC_PROVIDER_PUBLIC_KEY  provider public key, base64 X.509 SPKI DER, one line
  CC_PAYMENT_ID           the payment to cancel        } at least one
  CC_PAYMENT_REQUEST_ID   the merchant's pay request id } of the two
  SSL_CERT_FILE           PEM of the server's (self-signed) certificate; it
                          must name CC_BASE_URL's host in its SANs, since the
                          SDK verifies with ssl.create_default_context()

Output: exactly one JSON line on stdout, never a key or a signature:
  {"ok": true, "resultStatus": "S", "resultCode": "SUCCESS",
   "resultMessage": "...", "paymentId": "...", "paymentRequestId": "...",
   "cancelTime": "...", "responseSigned": true}
    the SDK returned a response it accepted; the business result may be S,
    F or U: the SDK does not raise on F or U. responseSigned says whether
    that response carried the `signature` and `response-time` headers (as
    the SDK spells them), i.e. whether the SDK verified a signature. It
    accepts an answer without a verified signature only when both headers
    are present with empty values and the status is F or U; an absent
    signature header makes it raise.
  {"ok": false, "error": "<exception class>: <message>"}
    the SDK raised (transport failure, non-200 status, missing or bad
    response signature...) or the harness was misconfigured.
Exit status: 0 when ok is true, 1 when the SDK raised, 2 when the harness
itself was misconfigured or the port seam (below) was bypassed.

The port seam
-------------
The SDK (1.7.1, com/alipay/ams/api/net/default_http_rpc.py, function
__get_http_connection) parses the gateway URL, keeps only its host name and
always builds

    http.client.HTTPSConnection(host=<host>, port=443, timeout=15,
                                context=ssl.create_default_context())

whatever port (or scheme) the URL names. It reaches the class through its
own module global `http_client` (`import http.client as http_client`),
looked up on every request. So, after importing the SDK, the harness (port_seam.py)
rebinds that one global, `com.alipay.ams.api.net.default_http_rpc.http_client`,
to a stand-in module that is http.client in every attribute but
HTTPSConnection, which is a function changing exactly one thing: a
connection to CC_BASE_URL's host on port 443 is opened on CC_BASE_URL's
port instead, by the real http.client.HTTPSConnection. Host name, SNI,
certificate verification (the SDK's own default context), the request line
and the Host header (the SDK sends the absolute URL as the request target,
so Host keeps CC_BASE_URL's port) are all left to the SDK and http.client.

Why not simply assign http.client.HTTPSConnection = <subclass>: CPython's
HTTPSConnection.__init__ calls super(HTTPSConnection, self).__init__, which
then resolves to the subclass itself and recurses without end. Rebinding the
SDK module's global also keeps the change inside the SDK's transport.

The stand-in also notes, without changing anything, whether each response
carried the headers the SDK verifies (see responseSigned above). It counts
the connections it re-routed; if the SDK never went through it (a changed
transport in a newer SDK), the run fails with exit status 2 instead of
passing by accident or reaching the real port 443. Our server never needs
to listen on 443.
"""

import json
import os
import sys

import harness_env
from port_seam import SDK_PORT, install as install_port_seam

EXIT_OK = 0
EXIT_SDK_RAISED = 1
EXIT_HARNESS = 2



class HarnessError(Exception):
    """The harness's own inputs or assumptions are wrong (not the SDK's fault)."""


def emit(payload):
    sys.stdout.write(json.dumps(payload, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


def read_config():
    base_url, host, port = harness_env.gateway(HarnessError)
    payment_id = os.environ.get("CC_PAYMENT_ID", "").strip() or None
    payment_request_id = os.environ.get("CC_PAYMENT_REQUEST_ID", "").strip() or None
    if payment_id is None and payment_request_id is None:
        raise HarnessError("set CC_PAYMENT_ID and/or CC_PAYMENT_REQUEST_ID")
    return {
        "base_url": base_url,
        "host": host,
        "port": port,
        "client_id": harness_env.required_env("CC_CLIENT_ID", HarnessError),
        "merchant_private_key": harness_env.required_env("CC_MERCHANT_PRIVATE_KEY", HarnessError),
        "provider_public_key": harness_env.required_env("CC_PROVIDER_PUBLIC_KEY", HarnessError),
        "payment_id": payment_id,
        "payment_request_id": payment_request_id,
    }


def load_sdk():
    """The SDK's transport module and the classes the cancel needs."""
    try:
        from com.alipay.ams.api.net import default_http_rpc
        from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
        from com.alipay.ams.api.request.pay.alipay_pay_cancel_request import (
            AlipayPayCancelRequest,
        )
        from com.alipay.ams.api.response.pay.alipay_pay_cancel_response import (
            AlipayPayCancelResponse,
        )
    except ImportError as error:
        raise HarnessError(
            "cannot import the SDK (pip install -r adapters/python/requirements.txt "
            "into the Python running this script): " + str(error)
        )
    if not hasattr(default_http_rpc, "http_client"):
        raise HarnessError(
            "com.alipay.ams.api.net.default_http_rpc has no http_client any more: "
            "the port seam needs updating for this SDK version"
        )
    classes = (DefaultAlipayClient, AlipayPayCancelRequest, AlipayPayCancelResponse)
    return default_http_rpc, classes


def cancel(config, sdk):
    DefaultAlipayClient, AlipayPayCancelRequest, AlipayPayCancelResponse = sdk
    client = DefaultAlipayClient(
        config["base_url"],
        config["client_id"],
        config["merchant_private_key"],
        config["provider_public_key"],
    )
    request = AlipayPayCancelRequest()
    if config["payment_id"] is not None:
        request.payment_id = config["payment_id"]
    if config["payment_request_id"] is not None:
        request.payment_request_id = config["payment_request_id"]

    # Raises on transport errors, non-200 statuses and on a response whose
    # signature is missing or does not verify; returns the body otherwise.
    body = client.execute(request)
    response = AlipayPayCancelResponse(body)
    result = response.result
    return {
        "ok": True,
        "resultStatus": harness_env.result_status_text(result.result_status) if result else None,
        "resultCode": result.result_code if result else None,
        "resultMessage": result.result_message if result else None,
        "paymentId": response.payment_id,
        "paymentRequestId": response.payment_request_id,
        "cancelTime": response.cancel_time,
    }


def main():
    secrets = [
        os.environ.get("CC_MERCHANT_PRIVATE_KEY", "").strip(),
        os.environ.get("CC_PROVIDER_PUBLIC_KEY", "").strip(),
    ]
    try:
        config = read_config()
    except HarnessError as error:
        emit({"ok": False, "error": "HarnessError: " + harness_env.scrub(str(error), secrets)})
        return EXIT_HARNESS

    try:
        transport_module, sdk = load_sdk()
    except HarnessError as error:
        emit({"ok": False, "error": "HarnessError: " + str(error)})
        return EXIT_HARNESS
    seam = install_port_seam(transport_module, config["host"], config["port"])
    seam_bypassed = (
        "HarnessError: the SDK did not connect through "
        "default_http_rpc.http_client.HTTPSConnection(host, 443); "
        "the port seam needs updating for this SDK version"
    )
    try:
        outcome = cancel(config, sdk)
    except Exception as error:  # the SDK's failures are the result here
        message = harness_env.scrub(type(error).__name__ + ": " + str(error), secrets)
        if config["port"] != SDK_PORT and not seam.rerouted:
            emit({"ok": False, "error": seam_bypassed + " (then " + message + ")"})
            return EXIT_HARNESS
        emit({"ok": False, "error": message})
        return EXIT_SDK_RAISED

    if config["port"] != SDK_PORT and not seam.rerouted:
        emit({"ok": False, "error": seam_bypassed})
        return EXIT_HARNESS
    outcome["responseSigned"] = seam.signed[-1] if seam.signed else None
    emit(outcome)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
