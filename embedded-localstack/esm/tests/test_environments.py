"""Execution environments: lookups iterate over a snapshot while other threads add and remove."""

import threading
import unittest

from localstack.services.lambda_.invocation.assignment import AssignmentService

from lanes_esm.environments import SnapshotDict, environment_lookup_patches


class SnapshotDictTest(unittest.TestCase):
    def test_iterating_values_survives_changes_meanwhile(self):
        environments = SnapshotDict(a=1, b=2)
        seen = []
        for value in environments.values():
            environments[f"new-{value}"] = value * 10  # a cold start elsewhere
            environments.pop("b", None)  # a timeout elsewhere
            seen.append(value)
        self.assertEqual(seen, [1, 2])
        self.assertEqual(environments, {"a": 1, "new-1": 10, "new-2": 20})

    def test_a_plain_dict_would_fail_the_same_way_localstack_did(self):
        environments = {"a": 1, "b": 2}
        with self.assertRaisesRegex(RuntimeError, "dictionary changed size during iteration"):
            for value in environments.values():
                environments[f"new-{value}"] = value


class AssignmentServicePatchTest(unittest.TestCase):
    def test_every_function_gets_a_snapshot_dict(self):
        patches = environment_lookup_patches()
        patches.apply()
        try:
            service = AssignmentService()
            self.assertIsInstance(service.environments["version-1"], SnapshotDict)
            service.provisioning_pool.shutdown(wait=False)
        finally:
            patches.undo()

    def test_concurrent_adds_while_looking_up_raise_nothing(self):
        environments = SnapshotDict()
        errors = []
        stop = threading.Event()

        def add_and_remove():
            n = 0
            while not stop.is_set():
                environments[n] = n
                environments.pop(n - 50, None)
                n += 1

        writer = threading.Thread(target=add_and_remove)
        writer.start()
        try:
            for _ in range(2_000):
                try:
                    sum(1 for _ in environments.values())
                except RuntimeError as error:
                    errors.append(error)
        finally:
            stop.set()
            writer.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
