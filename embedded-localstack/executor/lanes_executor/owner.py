"""``GET /_lanes/owner``: which checkout started this LocalStack.

The lanes commands find the embedded LocalStack by its port. Two checkouts on one machine (or a
LocalStack in Docker on 4566) would otherwise take each other's instance for their own and deploy
into it. The checkout path comes from ``LANES_CHECKOUT``, which the lanes launcher sets; a
LocalStack started any other way has no such route, and the commands refuse to act on it unless
its endpoint is named explicitly.
"""

from __future__ import annotations

import os

from localstack.runtime import hooks

OWNER_PATH = "/_lanes/owner"


class OwnerResource:
    def on_get(self, request):
        return {"checkout": os.environ.get("LANES_CHECKOUT"), "pid": os.getpid()}


@hooks.on_infra_start()
def lanes_register_owner_route() -> None:
    from localstack.http import Resource
    from localstack.services.internal import get_internal_apis

    get_internal_apis().add(Resource(OWNER_PATH, OwnerResource()))
