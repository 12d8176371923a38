"""Cold starts: a burst of invocations starts a few environments at a time and reuses them."""

import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from localstack.services.lambda_.invocation.assignment import AssignmentService
from localstack.services.lambda_.invocation.execution_environment import (
    InvalidStatusException,
    RuntimeStatus,
)
from localstack.services.lambda_.invocation.lambda_models import InitializationType

from lanes_esm.cold_starts import ColdStartGate, cold_start_patches, max_cold_starts

VERSION = "arn:aws:lambda:us-east-1:000000000000:function:task:$LATEST"


class FakeEnvironment:
    """What get_environment uses of an execution environment; release wakes the gate as the patch does."""

    def __init__(self, number: int, gate: ColdStartGate):
        self.id = f"env-{number}"
        self.initialization_type = InitializationType.on_demand
        self.version_manager_id = VERSION
        self.status = RuntimeStatus.READY
        self._gate = gate
        self._lock = threading.Lock()

    def reserve(self):
        with self._lock:
            if self.status != RuntimeStatus.READY:
                raise InvalidStatusException("taken")
            self.status = RuntimeStatus.INVOKING

    def release(self):
        with self._lock:
            self.status = RuntimeStatus.READY
        self._gate.freed(self.version_manager_id)


class ColdStartTest(unittest.TestCase):
    def burst(self, gate: ColdStartGate | None, invocations: int = 24):
        service = AssignmentService()
        starting = 0
        most_starting = 0
        started = []
        lock = threading.Lock()

        def start_environment(version_manager_id, function_version):
            nonlocal starting, most_starting
            with lock:
                starting += 1
                most_starting = max(most_starting, starting)
            time.sleep(0.2)  # a Node.js process loading its handler
            with lock:
                starting -= 1
                started.append(version_manager_id)
                return FakeEnvironment(len(started), gate or ColdStartGate(1))

        service.start_environment = start_environment
        patches = cold_start_patches(gate) if gate else None
        if patches:
            patches.apply()
        try:
            go = threading.Barrier(invocations)

            def invoke(_):
                go.wait()
                with service.get_environment(VERSION, None, InitializationType.on_demand) as environment:
                    time.sleep(0.02)
                    return environment.id

            with ThreadPoolExecutor(invocations) as pool:
                served = list(pool.map(invoke, range(invocations)))
        finally:
            if patches:
                patches.undo()
            service.provisioning_pool.shutdown()
        return served, most_starting, len(started)

    def test_a_burst_starts_at_most_the_limit_at_once_and_reuses_what_started(self):
        served, most_starting, started = self.burst(ColdStartGate(4))
        self.assertEqual(len(served), 24)
        self.assertLessEqual(most_starting, 4)
        self.assertLess(started, 24)
        self.assertLess(len(set(served)), 24)

    def test_without_the_gate_every_invocation_of_the_burst_starts_its_own(self):
        served, most_starting, started = self.burst(None)
        self.assertEqual(len(served), 24)
        self.assertEqual(started, 24)
        self.assertGreater(most_starting, 4)

    def test_the_limit_is_a_setting(self):
        import os

        for raw, expected in (("8", 8), ("0", 4), ("many", 4)):
            os.environ["LANES_LAMBDA_MAX_COLD_STARTS"] = raw
            try:
                self.assertEqual(max_cold_starts(), expected)
            finally:
                del os.environ["LANES_LAMBDA_MAX_COLD_STARTS"]
        self.assertEqual(max_cold_starts(), 4)


if __name__ == "__main__":
    unittest.main()
