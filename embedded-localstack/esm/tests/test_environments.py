"""Execution environments: lookups iterate over a snapshot while other threads add and remove."""

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


if __name__ == "__main__":
    unittest.main()
