"""The one seam through which this project's harnesses drive the official
Python SDK (global-open-sdk-python) against a server on any port.

The SDK's transport (com.alipay.ams.api.net.default_http_rpc) keeps only the
host of the gateway URL and always opens
`http_client.HTTPSConnection(host=..., port=443, timeout=15, context=...)`,
looking `http_client` up as a variable of its own module on every request.
`install` replaces that variable with a stand-in that behaves exactly like
`http.client`, except that a connection to `routed_host` on port 443 is
opened on `real_port` instead (and, if asked, with a shorter timeout).
Certificate checking, the host name checked, and the request itself stay
the SDK's own.

A subclass of `http.client.HTTPSConnection` cannot serve as the stand-in:
CPython's `HTTPSConnection.__init__` calls `super(HTTPSConnection, self)`,
which recurses when the class itself has been replaced.

The stand-in also notes, without changing anything, whether each response
carried the `signature` and `response-time` headers the SDK verifies, and
counts the connections it re-routed, so that a harness can fail loudly if a
newer SDK stops going through it.
"""

import types

SDK_PORT = 443


class Seam(object):
    """What the stand-in saw: connections re-routed, responses signed."""

    def __init__(self):
        self.rerouted = 0
        # One entry per response: did it carry both `signature` and
        # `response-time`, spelled exactly as the SDK looks them up?
        self.signed = []


def install(transport_module, routed_host, real_port, timeout=None):
    """Re-route the SDK's fixed port 443 on `routed_host` to `real_port`,
    with `timeout` (seconds; None keeps the SDK's 15 s)."""
    seam = Seam()
    wanted_host = routed_host.lower()
    real_http_client = transport_module.http_client

    def routed_https_connection(host, port=None, *args, **kwargs):
        # The SDK passes host=, port=, timeout=, context= as keywords.
        if port == SDK_PORT and str(host).lower() == wanted_host:
            seam.rerouted += 1
            port = real_port
            if timeout is not None:
                kwargs["timeout"] = timeout
        connection = real_http_client.HTTPSConnection(host, port, *args, **kwargs)
        real_getresponse = connection.getresponse

        def getresponse(*args, **kwargs):
            response = real_getresponse(*args, **kwargs)
            names = set(name for name, _ in response.getheaders())
            seam.signed.append("signature" in names and "response-time" in names)
            return response

        connection.getresponse = getresponse
        return connection

    class RoutedHttpClient(types.ModuleType):
        """http.client as the SDK's transport sees it, but for HTTPSConnection."""

        HTTPSConnection = staticmethod(routed_https_connection)

        def __getattr__(self, name):
            return getattr(real_http_client, name)

    transport_module.http_client = RoutedHttpClient("http.client (port seam)")
    return seam
