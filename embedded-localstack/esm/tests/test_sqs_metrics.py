"""Unit tests of the queue metrics the embedded SQS publishes (on LocalStack's own queues)."""

import time
import unittest

from localstack.services.sqs.models import FifoQueue, StandardQueue

from lanes_esm.sqs_metrics import interval_seconds, oldest_message_age_seconds, queue_metrics

_ids = iter(range(1_000_000))


def _message() -> dict:
    return {"MessageId": f"m-{next(_ids)}", "Body": "x", "MD5OfBody": "", "Attributes": {}}


class OldestMessageAgeTest(unittest.TestCase):
    def test_an_empty_queue_has_age_zero(self):
        queue = StandardQueue("age-empty", "us-east-1", "000000000000")
        self.assertEqual(oldest_message_age_seconds(queue), 0.0)

    def test_the_oldest_waiting_or_in_flight_message_counts(self):
        queue = StandardQueue("age-std", "us-east-1", "000000000000")
        queue.put(_message())
        queue.put(_message())
        first_sent = min(m.created for m in queue.visible.queue)
        queue.receive(num_messages=1, visibility_timeout=30)  # the oldest is now in flight
        now = time.time() + 42
        self.assertAlmostEqual(oldest_message_age_seconds(queue, now), now - first_sent, places=3)

    def test_fifo_groups_are_read(self):
        queue = FifoQueue("age.fifo", "us-east-1", "000000000000", attributes={"ContentBasedDeduplication": "true"})
        queue.put(_message(), message_group_id="g1", message_deduplication_id="a")
        self.assertGreater(oldest_message_age_seconds(queue, time.time() + 10), 9.0)

    def test_four_metrics_per_queue(self):
        queue = StandardQueue("metrics", "us-east-1", "000000000000")
        names = [m["MetricName"] for m in queue_metrics(queue)]
        self.assertEqual(
            names,
            [
                "ApproximateNumberOfMessagesVisible",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
                "ApproximateAgeOfOldestMessage",
            ],
        )


class IntervalTest(unittest.TestCase):
    def test_default_is_a_minute_and_zero_turns_it_off(self):
        self.assertEqual(interval_seconds({}), 60.0)
        self.assertEqual(interval_seconds({"LANES_SQS_METRICS_INTERVAL_SECONDS": "0"}), 0.0)
        with self.assertRaises(ValueError):
            interval_seconds({"LANES_SQS_METRICS_INTERVAL_SECONDS": "-1"})


if __name__ == "__main__":
    unittest.main()
