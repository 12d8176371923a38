"""Step Functions tasks reuse their AWS clients instead of building new ones for every task.

LocalStack 4.13.1 makes each task's client with ``boto_client_for``: it assumes the state
machine's role (an STS call through the gateway) and builds a botocore client with the new
credentials, so the client cache never hits. Profiled with py-spy while the reference workflows
ran (``npm run bench:workflows``), building those clients took 35 % of LocalStack's Python time,
most of it copying botocore's event handlers into each new client.

Here the client factory that ``with_assumed_role`` returns is kept per role, principal, region,
endpoint and config for ``TTL_SECONDS``, so a task's client is the one the previous task of that
role used (botocore clients are thread-safe). The credentials are those of one assumed-role
session instead of one per task; LocalStack's assumed-role credentials last an hour, and a kept
factory is replaced well before that. A call that names its own session keeps LocalStack's path.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from localstack.services.stepfunctions.asl.utils import boto_client
from localstack.utils.patch import Patch, Patches

#: How long a kept factory (and so its assumed-role credentials) is reused.
TTL_SECONDS = 15 * 60


class AssumedRoleFactoryCache:
    """``connect_to`` for ``boto_client_for``: the same, but ``with_assumed_role`` is kept a while.

    @example
    connect_to = AssumedRoleFactoryCache(connect_to)
    factory = connect_to.with_assumed_role(role_arn=role, region_name="us-east-1")
    """

    def __init__(self, connect: Any, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._connect = connect
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        #: key -> (made at, factory, config): the config is kept alive so its id stays its own.
        self._factories: dict[tuple, tuple[float, Any, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        return self._connect(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._connect, name)

    def with_assumed_role(self, *, role_arn: str, session_name: str | None = None, config=None, **kwargs):
        if session_name is not None:
            return self._connect.with_assumed_role(
                role_arn=role_arn, session_name=session_name, config=config, **kwargs
            )
        key = (role_arn, id(config), *sorted(kwargs.items()))
        # One thread assumes the role; executions started together wait for it, then share it.
        with self._lock:
            kept = self._factories.get(key)
            now = self._clock()
            if kept is None or now - kept[0] >= self._ttl_seconds:
                factory = self._connect.with_assumed_role(role_arn=role_arn, config=config, **kwargs)
                kept = (now, factory, config)
                self._factories[key] = kept
            return kept[1]


def stepfunctions_client_patches() -> Patches:
    """Gives ``boto_client_for`` the caching ``connect_to`` (``compat`` pins the function)."""
    return Patches([Patch(boto_client, "connect_to", AssumedRoleFactoryCache(boto_client.connect_to))])
