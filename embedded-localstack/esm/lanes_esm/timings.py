"""Where time goes on the embedded LocalStack: server-side time per AWS operation and per function.

Read-only timing wrappers, for benchmarks (``GET /_lanes/timings``):

- every AWS request the gateway serves, by service and operation (``ServiceRequestRouter``): the
  time LocalStack spends on it, DynamoDB Local included for DynamoDB, the function included for
  a synchronous Lambda Invoke; functions' DynamoDB calls that go to DynamoDB Local directly are
  added under ``dynamodb`` as the function measured them (``lanes_executor.dynamodb_direct``);
- every function execution (``ExecutionEnvironment.invoke``): from handing the event to the
  execution environment to its answer, by function.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from localstack.aws.handlers.service import ServiceRequestRouter
from localstack.services.lambda_.invocation.execution_environment import ExecutionEnvironment
from localstack.utils.patch import Patch, Patches


class Timings:
    """Count, total and maximum seconds per key; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, str], list[float]] = {}
        self.since = time.time()

    def record(self, group: str, name: str, seconds: float) -> None:
        with self._lock:
            entry = self._data.setdefault((group, name), [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += seconds
            entry[2] = max(entry[2], seconds)

    def record_many(self, group: str, name: str, count: int, seconds: float) -> None:
        """``count`` calls taking ``seconds`` in all, measured elsewhere (their longest is unknown:
        the maximum takes their mean)."""
        with self._lock:
            entry = self._data.setdefault((group, name), [0, 0.0, 0.0])
            entry[0] += count
            entry[1] += seconds
            entry[2] = max(entry[2], seconds / count)

    def reset(self) -> None:
        with self._lock:
            self._data.clear()
            self.since = time.time()

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            grouped: dict[str, dict[str, Any]] = {}
            for (group, name), (count, total, longest) in sorted(self._data.items()):
                grouped.setdefault(group, {})[name] = {
                    "count": int(count),
                    "totalMs": round(total * 1000, 1),
                    "meanMs": round(total * 1000 / count, 2) if count else 0.0,
                    "maxMs": round(longest * 1000, 1),
                }
            return {"since": self.since, **grouped}


OPERATIONS = Timings()
FUNCTIONS = Timings()


def _route(original, self: ServiceRequestRouter, chain, context, response):
    started = time.perf_counter()
    try:
        return original(self, chain, context, response)
    finally:
        if context.service is not None and context.operation is not None:
            OPERATIONS.record(
                context.service.service_name, context.operation.name, time.perf_counter() - started
            )


def _invoke(original, self: ExecutionEnvironment, invocation):
    started = time.perf_counter()
    try:
        return original(self, invocation)
    finally:
        FUNCTIONS.record(
            "functions", self.function_version.id.unqualified_arn(), time.perf_counter() - started
        )


def timing_patches() -> Patches:
    return Patches(
        [
            Patch.function(ServiceRequestRouter.__call__, _route),
            Patch.function(ExecutionEnvironment.invoke, _invoke),
        ]
    )
