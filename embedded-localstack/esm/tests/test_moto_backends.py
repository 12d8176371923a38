"""An existing account's moto backend is found without moto's global lock; a new one still takes it."""

import threading
import unittest

from moto.core import base_backend
from moto.core.base_backend import BackendDict, BaseBackend

from lanes_esm.moto_backends import moto_backend_patches


class ExampleBackend(BaseBackend):
    pass


class MotoBackendLookupTest(unittest.TestCase):
    def setUp(self):
        self.patches = moto_backend_patches()
        self.patches.apply()
        self.backends = BackendDict(ExampleBackend, "sqs")

    def tearDown(self):
        self.patches.undo()

    def lookup_in_thread(self, account_id):
        found = []
        thread = threading.Thread(target=lambda: found.append(self.backends[account_id]))
        thread.start()
        return thread, found

    def test_an_existing_account_is_found_while_another_thread_holds_the_lock(self):
        existing = self.backends["000000000000"]
        with base_backend.backend_lock:
            thread, found = self.lookup_in_thread("000000000000")
            thread.join(timeout=2)
            self.assertFalse(thread.is_alive())
        self.assertIs(found[0], existing)

    def test_a_new_account_waits_for_the_lock_and_is_created_once(self):
        with base_backend.backend_lock:
            thread, found = self.lookup_in_thread("111111111111")
            thread.join(timeout=0.2)
            self.assertTrue(thread.is_alive())
        thread.join(timeout=2)
        self.assertIs(found[0], self.backends["111111111111"])
        self.assertEqual(list(self.backends.keys()), ["111111111111"])


if __name__ == "__main__":
    unittest.main()
