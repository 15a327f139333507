"""What both harnesses of the official SDK (adapter.py, sdk_cancel.py) read
and report the same way: the CC_* environment, the gateway origin, the
SDK's result status, and key material kept out of every message."""

import os
import urllib.parse

from port_seam import SDK_PORT


def required_env(name, error):
    """The variable's value, or `error` (an exception class) saying it is missing."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise error("environment variable " + name + " is not set")
    return value


def gateway(error):
    """CC_BASE_URL as (base_url, host, port). The SDK only speaks HTTPS and
    keeps only the host of its gateway URL, so anything but an https origin
    is refused rather than silently dropped."""
    base_url = required_env("CC_BASE_URL", error).rstrip("/")
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise error(
            "CC_BASE_URL must be an https URL with a host (the SDK only speaks HTTPS): "
            + base_url
        )
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise error("CC_BASE_URL must be an origin without a path: " + base_url)
    try:
        port = parsed.port
    except ValueError as bad_port:
        raise error("CC_BASE_URL has a bad port: " + str(bad_port))
    return base_url, parsed.hostname, port if port is not None else SDK_PORT


def scrub(text, secrets):
    """Never lets key material out, even inside an exception message."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "<redacted>")
    return text


def result_status_text(status):
    """The SDK parses resultStatus into its ResultStatusType enum; the text."""
    if status is None:
        return None
    return getattr(status, "value", status)
