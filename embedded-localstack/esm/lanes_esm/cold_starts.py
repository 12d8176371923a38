"""A function's cold starts beyond a few at once wait for an environment to free up or start.

LocalStack 4.13.1 starts a new execution environment for every invocation that finds none idle,
however many are starting already. On a 2-core machine, 500 Step Functions executions invoking
one task function together started more than 160 Node.js processes; each start took seconds
beside the others, the tasks ran into their 15 s timeout, and 133 to 425 of the 500 executions
of ``npm run bench:workflows`` failed. AWS adds up to 1,000 environments per function every 10
seconds on hardware sized for it; a laptop is not.

Here an invocation that would start an environment while ``LANES_LAMBDA_MAX_COLD_STARTS``
(default 4) of the function's are starting waits until one of them is up or an environment is
free, then takes that one. Nothing is refused or throttled: the invocation waits, as it would for
a slow function, and reserved concurrency and the mappings' caps count as before (the wait comes
after the concurrency lease). Invocations that find an idle environment do not wait.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable

from localstack.services.lambda_.invocation import assignment
from localstack.services.lambda_.invocation.execution_environment import (
    ExecutionEnvironment,
    RuntimeStatus,
)
from localstack.services.lambda_.invocation.lambda_models import InitializationType
from localstack.utils.patch import Patch, Patches

LOG = logging.getLogger(__name__)

SETTING = "LANES_LAMBDA_MAX_COLD_STARTS"
DEFAULT_MAX_COLD_STARTS = 4
#: A waiter looks again at least this often, should a wake-up be missed.
_RECHECK_SECONDS = 1.0


def max_cold_starts() -> int:
    raw = os.environ.get(SETTING, str(DEFAULT_MAX_COLD_STARTS))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        LOG.warning("lanes: %s=%r is not a positive integer; using %d", SETTING, raw, DEFAULT_MAX_COLD_STARTS)
        return DEFAULT_MAX_COLD_STARTS
    return value


class ColdStartGate:
    """Counts, per function version, the invocations looking for an environment (``entering``).

    One may enter while fewer are entering than the version has idle environments plus
    ``max_starting``: the idle ones take the first, at most ``max_starting`` start new ones.

    @example
    gate = ColdStartGate(4)
    gate.enter("fn:1", lambda: idle_count)
    try:
        ...  # reserve an idle environment or start one
    finally:
        gate.leave("fn:1")
    """

    def __init__(self, max_starting: int) -> None:
        self.max_starting = max_starting
        self._lock = threading.Lock()
        self._entering: dict[str, int] = defaultdict(int)
        self._conditions: dict[str, threading.Condition] = {}

    def _condition(self, version: str) -> threading.Condition:
        condition = self._conditions.get(version)
        if condition is None:
            condition = self._conditions.setdefault(version, threading.Condition(self._lock))
        return condition

    def enter(self, version: str, idle_count: Callable[[], int]) -> None:
        condition = self._condition(version)
        with condition:
            while self._entering[version] >= idle_count() + self.max_starting:
                condition.wait(_RECHECK_SECONDS)
            self._entering[version] += 1

    def leave(self, version: str) -> None:
        condition = self._condition(version)
        with condition:
            self._entering[version] -= 1
            condition.notify()

    def freed(self, version: str) -> None:
        """An environment of ``version`` is idle again: one waiter can take it."""
        condition = self._conditions.get(version)
        if condition is None:
            return
        with condition:
            condition.notify()


def _idle_count(environments: dict[str, ExecutionEnvironment]) -> int:
    return sum(1 for environment in list(environments.values()) if environment.status == RuntimeStatus.READY)


def cold_start_patches(gate: ColdStartGate | None = None) -> Patches:
    """Gates ``AssignmentService.get_environment``'s on-demand starts (``compat`` pins it)."""
    gate = gate or ColdStartGate(max_cold_starts())

    @contextlib.contextmanager
    def gated(original, self, version_manager_id, function_version, provisioning_type):
        if provisioning_type != InitializationType.on_demand:
            with original(self, version_manager_id, function_version, provisioning_type) as environment:
                yield environment
            return
        environments = self.environments[version_manager_id]
        gate.enter(version_manager_id, lambda: _idle_count(environments))
        with contextlib.ExitStack() as stack:
            try:
                environment = stack.enter_context(
                    original(self, version_manager_id, function_version, provisioning_type)
                )
            finally:
                gate.leave(version_manager_id)
            yield environment

    def release(original, self):
        original(self)
        gate.freed(self.version_manager_id)

    return Patches(
        [
            Patch.function(assignment.AssignmentService.get_environment, gated),
            Patch.function(ExecutionEnvironment.release, release),
        ]
    )
