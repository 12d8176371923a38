"""Live counters of each event source mapping, served at ``/_lanes/event-source-mappings``.

One ``MappingStats`` per mapping UUID, kept across an UpdateEventSourceMapping (LocalStack
replaces the mapping's worker then): in-flight invocations of the old worker still count.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class MappingStats:
    """Thread-safe counters of one mapping."""

    def __init__(self, uuid: str):
        self.uuid = uuid
        self._lock = threading.Lock()
        self._config: dict[str, Any] = {}
        self._running = False
        self.target = 0
        self.pollers = 0
        self.backlog = False
        self._reset_counters()
        self.in_flight = 0
        self._owner: object | None = None

    def claim(self, poller: object) -> object | None:
        """Makes ``poller`` the mapping's current poller; returns the one it replaces."""
        with self._lock:
            previous, self._owner = self._owner, poller
            return previous if previous is not poller else None

    def owned_by(self, poller: object) -> bool:
        with self._lock:
            return self._owner is poller

    def _reset_counters(self) -> None:
        self.peak = 0
        self.invocations = 0
        self.throttles = 0
        self.function_errors = 0
        self.receives = 0
        self.empty_receives = 0
        self.receive_errors = 0
        self.messages = 0
        self.last_throttle_at: float | None = None
        self.since = time.time()
        #: [seconds since ``since``, concurrency] each time a new peak is reached: the ramp as the
        #: mapping saw it, at most one entry per concurrency level (so at most the ceiling, 1,000)
        self.peak_timeline: list[list[float]] = []
        #: phase -> [count, total seconds]: receive (non-empty receives), queued (per message:
        #: receive time - SentTimestamp), invoke (Lambda round trip), delete
        self.phases: dict[str, list[float]] = {}

    def configure(self, config: dict[str, Any]) -> None:
        with self._lock:
            self._config = dict(config)

    def reset(self) -> None:
        """Starts a new measurement: counters and peak from now (in-flight ones stay)."""
        with self._lock:
            self._reset_counters()
            self.peak = self.in_flight
            if self.in_flight:
                self.peak_timeline.append([0.0, self.in_flight])

    def set_scale(self, target: int, pollers: int, backlog: bool, *, running: bool = True) -> None:
        with self._lock:
            self.target, self.pollers, self.backlog = target, pollers, backlog
            self._running = running

    def received(self, count: int) -> None:
        with self._lock:
            self.receives += 1
            self.messages += count
            if count == 0:
                self.empty_receives += 1

    def phase(self, name: str, seconds: float, count: int = 1) -> None:
        with self._lock:
            entry = self.phases.setdefault(name, [0, 0.0])
            entry[0] += count
            entry[1] += seconds

    def receive_failed(self) -> None:
        with self._lock:
            self.receive_errors += 1

    def invocation_started(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.invocations += 1
            if self.in_flight > self.peak:
                self.peak = self.in_flight
                self.peak_timeline.append([round(time.time() - self.since, 3), self.in_flight])

    def invocation_ended(self, *, throttled: bool = False, failed: bool = False) -> None:
        with self._lock:
            self.in_flight -= 1
            if throttled:
                self.throttles += 1
                self.last_throttle_at = time.time()
            elif failed:
                self.function_errors += 1

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "uuid": self.uuid,
                **self._config,
                "running": self._running,
                "targetConcurrency": self.target,
                "pollers": self.pollers,
                "backlog": self.backlog,
                "concurrency": self.in_flight,
                "peakConcurrency": self.peak,
                "peakTimeline": [list(point) for point in self.peak_timeline],
                "invocations": self.invocations,
                "throttles": self.throttles,
                "functionErrors": self.function_errors,
                "receives": self.receives,
                "emptyReceives": self.empty_receives,
                "receiveErrors": self.receive_errors,
                "messages": self.messages,
                "lastThrottleAt": self.last_throttle_at,
                "since": self.since,
                "phases": {
                    name: {
                        "count": int(count),
                        "totalMs": round(total * 1000, 1),
                        "meanMs": round(total * 1000 / count, 2) if count else 0.0,
                    }
                    for name, (count, total) in sorted(self.phases.items())
                },
            }


class StatsRegistry:
    """All mappings' stats by UUID."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_uuid: dict[str, MappingStats] = {}

    def for_mapping(self, uuid: str) -> MappingStats:
        with self._lock:
            stats = self._by_uuid.get(uuid)
            if stats is None:
                stats = self._by_uuid[uuid] = MappingStats(uuid)
            return stats

    def get(self, uuid: str) -> MappingStats | None:
        with self._lock:
            return self._by_uuid.get(uuid)

    def all(self) -> list[MappingStats]:
        with self._lock:
            return list(self._by_uuid.values())


REGISTRY = StatsRegistry()
