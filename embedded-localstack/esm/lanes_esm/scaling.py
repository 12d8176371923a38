"""How many batches of one SQS event source mapping may be in flight at once, over time.

Pure logic with an injected clock, so the rules are unit-tested without LocalStack:

- **Standard mode** (AWS, services-sqs-scaling.html): start at 5 concurrent batches; while
  messages are still available add up to 300 per minute; scale back down when the queue is
  empty; never above ``ScalingConfig.MaximumConcurrency`` or 1,000.
- **Provisioned mode** (``ProvisionedPollerConfig``): at least ``MinimumPollers`` pollers are
  always ready, each driving up to 10 concurrent invocations; scale up about 3x faster, up to
  ``MaximumPollers`` pollers.

"Messages are still available" is read from the receives themselves: a receive that came back
full (as many messages as it asked for) says more are waiting; an empty one says the queue is
drained. Lambda on AWS sees the same signal.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lanes_esm.settings import TAG_SCALE_UP_PER_MINUTE, EsmSettings

MODE_STANDARD = "standard"
MODE_PROVISIONED = "provisioned"


@dataclass(frozen=True)
class ScalingPolicy:
    """Bounds and rate of one mapping, derived from its configuration."""

    mode: str
    #: concurrent batches when the mapping starts
    initial: int
    #: never fewer than this, even when idle
    floor: int
    #: never more than this
    ceiling: int
    scale_up_per_minute: float

    def as_json(self) -> dict:
        return {
            "mode": self.mode,
            "initial": self.initial,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "scaleUpPerMinute": self.scale_up_per_minute,
        }


def _positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def policy_for(
    esm_config: Mapping[str, Any], settings: EsmSettings, tags: Mapping[str, str] | None = None
) -> ScalingPolicy:
    """The scaling policy of a mapping from its ScalingConfig / ProvisionedPollerConfig and tags.

    >>> policy_for({"ScalingConfig": {"MaximumConcurrency": 3}}, EsmSettings()).ceiling
    3
    """
    tags = tags or {}
    provisioned = esm_config.get("ProvisionedPollerConfig") or None
    maximum_concurrency = _positive_int((esm_config.get("ScalingConfig") or {}).get("MaximumConcurrency"))
    if provisioned:
        minimum_pollers = _positive_int(provisioned.get("MinimumPollers")) or 2
        maximum_pollers = max(minimum_pollers, _positive_int(provisioned.get("MaximumPollers")) or 200)
        floor = minimum_pollers * settings.invokes_per_poller
        ceiling = maximum_pollers * settings.invokes_per_poller
        rate = settings.provisioned_scale_up_per_minute
        mode = MODE_PROVISIONED
    else:
        ceiling = maximum_concurrency or settings.concurrency_limit
        floor = min(settings.initial_concurrency, ceiling)
        rate = settings.scale_up_per_minute
        mode = MODE_STANDARD
    override = tags.get(TAG_SCALE_UP_PER_MINUTE)
    if override is not None:
        try:
            rate = max(0.0, float(override))
        except ValueError:
            pass  # an unreadable tag leaves the documented default in force
    return ScalingPolicy(mode=mode, initial=floor, floor=floor, ceiling=ceiling, scale_up_per_minute=rate)


class Scaler:
    """The mapping's allowed number of concurrent batches; thread-safe.

    Pollers report each receive with ``observe_receive``; the supervisor calls ``tick`` a few
    times a second, which grows the target at the policy's rate while the last receive was full.
    An empty receive or a throttled invocation takes one batch off (down to the floor).
    """

    def __init__(self, policy: ScalingPolicy, clock: Callable[[], float] = time.monotonic):
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._target = float(policy.initial)
        self._backlog = False
        self._last_tick = clock()

    @property
    def policy(self) -> ScalingPolicy:
        return self._policy

    @property
    def target(self) -> int:
        with self._lock:
            return int(math.floor(self._target + 1e-9))

    @property
    def backlog(self) -> bool:
        with self._lock:
            return self._backlog

    def tick(self) -> int:
        """Advances the clock; returns the current target."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last_tick)
            self._last_tick = now
            if self._backlog and self._target < self._policy.ceiling:
                self._target = min(
                    float(self._policy.ceiling),
                    self._target + self._policy.scale_up_per_minute * elapsed / 60.0,
                )
            return int(math.floor(self._target + 1e-9))

    def observe_receive(self, received: int, requested: int) -> None:
        """A poller's receive returned ``received`` of the ``requested`` messages."""
        with self._lock:
            self._backlog = received >= requested > 0
            if received == 0:
                self._shrink()

    def observe_throttle(self) -> None:
        """An invocation was throttled: stop growing and give one batch back."""
        with self._lock:
            self._backlog = False
            self._shrink()

    def _shrink(self) -> None:
        self._target = max(float(self._policy.floor), math.floor(self._target + 1e-9) - 1.0)
