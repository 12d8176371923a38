"""Binds LocalStack's gateway to the host of ``GATEWAY_LISTEN``, not to every interface.

LocalStack 4.13.1's Twisted server (``localstack/runtime/server/twisted.py``) creates its IPv4
endpoints without an ``interface`` argument (a ``TODO`` in its source), so
``GATEWAY_LISTEN=127.0.0.1:4566`` still listens on ``0.0.0.0:4566``. The embedded LocalStack is
unauthenticated and runs any function code it is given as a local process, so it must be reachable
from this machine only. This hook runs before the gateway is registered and gives that module an
``endpoints`` namespace whose ``TCP4ServerEndpoint`` defaults ``interface`` to the configured host.
Nothing else of Twisted is changed.
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)


class _LoopbackEndpoints:
    """Twisted's ``endpoints`` module, with IPv4 server endpoints bound to the configured hosts."""

    def __init__(self, endpoints_module, hosts_by_port: dict[int, str]):
        self._endpoints = endpoints_module
        self._hosts_by_port = hosts_by_port

    def TCP4ServerEndpoint(self, reactor, port, backlog=50, interface=""):  # noqa: N802 - Twisted's name
        interface = interface or self._hosts_by_port.get(port, "")
        if not interface:
            raise RuntimeError(
                f"lanes: no GATEWAY_LISTEN host for port {port}; refusing to listen on every interface"
            )
        return self._endpoints.TCP4ServerEndpoint(reactor, port, backlog, interface)

    def __getattr__(self, name):
        return getattr(self._endpoints, name)


def bind_gateway_to_configured_hosts() -> None:
    """Makes the Twisted gateway listen only on the hosts named in ``GATEWAY_LISTEN``."""
    from localstack import config
    from localstack.runtime.server import twisted as twisted_server

    if not hasattr(twisted_server, "endpoints") or not hasattr(
        twisted_server.endpoints, "TCP4ServerEndpoint"
    ):
        # Fail loudly: a LocalStack upgrade changed the module this hook relies on.
        raise RuntimeError(
            "lanes: localstack.runtime.server.twisted no longer uses twisted.internet.endpoints; "
            "the loopback patch (lanes_executor/loopback.py) must be revisited for this LocalStack version"
        )
    if isinstance(twisted_server.endpoints, _LoopbackEndpoints):
        return
    hosts = {address.port: address.host for address in config.GATEWAY_LISTEN}
    if "0.0.0.0" in hosts.values():
        LOG.warning("lanes: GATEWAY_LISTEN asks for 0.0.0.0; the gateway listens on every interface")
    twisted_server.endpoints = _LoopbackEndpoints(twisted_server.endpoints, hosts)


@hooks.on_infra_start(priority=100)
def lanes_bind_gateway_to_loopback() -> None:
    bind_gateway_to_configured_hosts()
