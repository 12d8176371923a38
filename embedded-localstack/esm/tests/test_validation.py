"""Unit tests of the SQS mapping request checks (imports LocalStack's Lambda provider)."""

import unittest

from lanes_esm.validation import sqs_mapping_problems

FIFO = "arn:aws:sqs:us-east-1:000000000000:orders.fifo"
STANDARD = "arn:aws:sqs:us-east-1:000000000000:orders"


class SqsMappingProblemsTest(unittest.TestCase):
    def test_accepts_a_valid_request(self):
        self.assertEqual(
            sqs_mapping_problems(
                {"EventSourceArn": STANDARD, "BatchSize": 10_000, "MaximumBatchingWindowInSeconds": 5}
            ),
            [],
        )

    def test_fifo_batches_hold_at_most_ten(self):
        (problem,) = sqs_mapping_problems({"EventSourceArn": FIFO, "BatchSize": 11})
        self.assertIn("between 1 and 10 for a FIFO queue (given 11)", problem)

    def test_fifo_has_no_batching_window(self):
        (problem,) = sqs_mapping_problems(
            {"EventSourceArn": FIFO, "MaximumBatchingWindowInSeconds": 1}
        )
        self.assertIn("not supported for FIFO", problem)

    def test_maximum_concurrency_is_two_to_a_thousand(self):
        (problem,) = sqs_mapping_problems(
            {"EventSourceArn": STANDARD, "ScalingConfig": {"MaximumConcurrency": 1}}
        )
        self.assertIn("between 2 and 1000 (given 1)", problem)

    def test_maximum_concurrency_and_provisioned_pollers_exclude_each_other(self):
        problems = sqs_mapping_problems(
            {
                "EventSourceArn": STANDARD,
                "ScalingConfig": {"MaximumConcurrency": 5},
                "ProvisionedPollerConfig": {"MinimumPollers": 2},
            }
        )
        self.assertEqual(len(problems), 1)
        self.assertIn("cannot be combined", problems[0])

    def test_pollers_in_range_and_in_order(self):
        problems = sqs_mapping_problems(
            {
                "EventSourceArn": STANDARD,
                "ProvisionedPollerConfig": {"MinimumPollers": 300, "MaximumPollers": 100},
            }
        )
        self.assertEqual(len(problems), 2)

    def test_other_sources_are_not_checked(self):
        self.assertEqual(
            sqs_mapping_problems(
                {"EventSourceArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "BatchSize": 11}
            ),
            [],
        )


if __name__ == "__main__":
    unittest.main()
