"""Read-only view of the mappings on the LocalStack gateway (loopback only, like the gateway).

- ``GET /_lanes/event-source-mappings``: every SQS mapping's configuration, scaling policy, current
  concurrency (invocations in flight), peak, throttles, errors and receives, plus the settings.
- ``GET /_lanes/event-source-mappings/<uuid>``: one mapping.
- ``POST /_lanes/event-source-mappings/<uuid>/reset``: start a new measurement (counters and peak
  from now), so a test or benchmark reads figures of its own run only.
- ``GET /_lanes/timings`` (and ``POST /_lanes/timings/reset``): see ``lanes_esm.timings``.
"""

from __future__ import annotations

from localstack.http import Response
from rolo import Request, route

from lanes_esm.compat import LOCALSTACK_VERSION
from lanes_esm.settings import EsmSettings
from lanes_esm.stats import StatsRegistry
from lanes_esm.timings import FUNCTIONS, OPERATIONS

BASE_PATH = "/_lanes/event-source-mappings"
TIMINGS_PATH = "/_lanes/timings"


class EventSourceMappingEndpoints:
    def __init__(self, registry: StatsRegistry, settings: EsmSettings):
        self._registry = registry
        self._settings = settings

    @route(BASE_PATH, methods=["GET"])
    def list_mappings(self, request: Request):
        return {
            "localstackVersion": LOCALSTACK_VERSION,
            "settings": self._settings.as_json(),
            "mappings": [stats.as_json() for stats in self._registry.all()],
        }

    @route(f"{BASE_PATH}/<uuid>", methods=["GET"])
    def get_mapping(self, request: Request, uuid: str):
        stats = self._registry.get(uuid)
        if stats is None:
            return _not_found(uuid)
        return stats.as_json()

    @route(f"{BASE_PATH}/<uuid>/reset", methods=["POST"])
    def reset_mapping(self, request: Request, uuid: str):
        stats = self._registry.get(uuid)
        if stats is None:
            return _not_found(uuid)
        stats.reset()
        return stats.as_json()


class TimingEndpoints:
    """``GET /_lanes/timings``: server-side time per AWS operation and per function execution;
    ``POST /_lanes/timings/reset`` starts a new measurement."""

    @route(TIMINGS_PATH, methods=["GET"])
    def get_timings(self, request: Request):
        return {"operations": OPERATIONS.as_json(), "functions": FUNCTIONS.as_json()}

    @route(f"{TIMINGS_PATH}/reset", methods=["POST"])
    def reset_timings(self, request: Request):
        OPERATIONS.reset()
        FUNCTIONS.reset()
        return {"operations": OPERATIONS.as_json(), "functions": FUNCTIONS.as_json()}


def _not_found(uuid: str) -> Response:
    return Response.for_json(
        {
            "message": f"No SQS event source mapping {uuid} has run on this LocalStack "
            "(mappings appear once LocalStack has built their poller)."
        },
        status=404,
    )
