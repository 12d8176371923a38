"""Only a mapping's current worker writes its State (an update's old worker winds down quietly)."""

import unittest

from lanes_esm import mapping_state


class FakeWorker:
    def __init__(self, uuid):
        self.esm_config = {"UUID": uuid}


class MappingStateTest(unittest.TestCase):
    def test_the_replaced_worker_writes_nothing_the_current_one_does(self):
        old, new = FakeWorker("m-1"), FakeWorker("m-1")
        mapping_state.remember(old)
        mapping_state.remember(new)  # UpdateEventSourceMapping built a new worker
        writes = []

        def original(worker, state):
            writes.append((worker, state))

        mapping_state._update_esm_state_in_store(original, new, "Enabled")
        mapping_state._update_esm_state_in_store(original, old, "Disabling")
        mapping_state._update_esm_state_in_store(original, old, "Disabled")
        self.assertEqual(writes, [(new, "Enabled")])

    def test_a_worker_of_an_unknown_mapping_still_writes(self):
        stranger = FakeWorker("m-unknown")
        self.assertTrue(mapping_state.is_current(stranger))


if __name__ == "__main__":
    unittest.main()
