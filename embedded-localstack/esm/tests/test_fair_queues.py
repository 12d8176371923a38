"""Unit tests of the fair-queue rule on LocalStack's own StandardQueue (patched as at start)."""

import unittest

from localstack.services.sqs.models import StandardQueue

from lanes_esm.fair_queues import fair_queue_patches, noisy_tenants

_counter = iter(range(1_000_000))


def _message(body: str) -> dict:
    return {"MessageId": f"m-{next(_counter)}", "Body": body, "MD5OfBody": "", "Attributes": {}}


class NoisyTenantsTest(unittest.TestCase):
    def test_a_tenant_needs_thirty_in_flight_and_more_than_a_tenth(self):
        self.assertEqual(noisy_tenants(["a"] * 29), frozenset())
        self.assertEqual(noisy_tenants(["a"] * 30), frozenset({"a"}))
        # 30 of 300 is exactly 10 %: not more than a tenth.
        self.assertEqual(noisy_tenants(["a"] * 30 + [None] * 270), frozenset())
        self.assertEqual(noisy_tenants(["a"] * 31 + ["b"] * 269), frozenset({"a", "b"}))

    def test_messages_without_a_group_count_in_the_total_only(self):
        self.assertEqual(noisy_tenants([None] * 500), frozenset())


class FairStandardQueueTest(unittest.TestCase):
    def setUp(self):
        self.patches = fair_queue_patches()
        self.patches.apply()
        self.queue = StandardQueue("fair-test", "us-east-1", "000000000000")

    def tearDown(self):
        self.patches.undo()

    def send(self, count: int, tenant: str | None) -> None:
        for _ in range(count):
            self.queue.put(_message(tenant or "none"), message_group_id=tenant)

    def receive(self, count: int) -> list[str]:
        result = self.queue.receive(num_messages=count, visibility_timeout=30)
        return [m.message["Body"] for m in result.successful]

    def test_a_quiet_tenant_overtakes_a_noisy_backlog(self):
        self.send(200, "noisy")
        self.assertEqual(self.receive(10) + self.receive(10) + self.receive(10), ["noisy"] * 30)
        self.send(5, "quiet")
        # 30 of 30 in flight are the noisy tenant's: its 170 waiting messages move back.
        self.assertEqual(self.receive(10), ["quiet"] * 5 + ["noisy"] * 5)

    def test_without_a_noisy_tenant_messages_come_in_send_order(self):
        self.send(100, "busy")
        self.assertEqual(self.receive(10) + self.receive(10), ["busy"] * 20)
        self.send(3, "quiet")
        # 20 in flight: below the 30 that make a tenant noisy.
        self.assertEqual(self.receive(10), ["busy"] * 10)

    def test_a_queue_without_group_ids_is_left_alone(self):
        self.send(100, None)
        self.assertEqual(len(self.receive(10) + self.receive(10) + self.receive(10)), 30)
        self.send(5, None)
        self.assertEqual(self.receive(10), ["none"] * 10)
        self.assertFalse(getattr(self.queue, "_lanes_fair", False))

    def test_a_noisy_tenant_is_still_served_when_nobody_else_waits(self):
        self.send(60, "noisy")
        received = [self.receive(10) for _ in range(6)]
        self.assertEqual(sum(len(batch) for batch in received), 60)

    def test_a_tenant_quiet_again_gets_its_send_order_back(self):
        self.send(40, "a")
        in_flight = self.queue.receive(num_messages=10, visibility_timeout=30)
        in_flight_more = [self.queue.receive(num_messages=10, visibility_timeout=30) for _ in range(2)]
        self.send(2, "b")
        self.assertEqual(self.receive(1), ["b"])  # "a" holds 30 of 30 in flight: noisy
        for result in [in_flight, *in_flight_more]:
            for handle in result.receipt_handles:
                self.queue.remove(handle)
        # "a" has 0 of 1 in flight now: quiet again, so its older message comes before "b"'s.
        self.assertEqual(self.receive(1), ["a"])


if __name__ == "__main__":
    unittest.main()
