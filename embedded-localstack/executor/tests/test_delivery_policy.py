"""Unit tests of the EventBridge delivery policy the embedded LocalStack applies (no LocalStack needed)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lanes_executor"))

from delivery_policy import (  # noqa: E402
    DeliveryError,
    dead_letter_attributes,
    describe_error,
    is_retryable,
    next_step,
    retry_delay_seconds,
    rule_metric_dimensions,
)


class ClientError(Exception):
    """The shape of botocore's ClientError: a ``response`` with the error and the HTTP status."""

    def __init__(self, code, status, message="failed"):
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


class DeliveryPolicyTest(unittest.TestCase):
    def test_a_deleted_queue_is_not_retried_and_goes_to_the_dlq_at_once(self):
        error = describe_error(ClientError("AWS.SimpleQueueService.NonExistentQueue", 400, "gone"))
        self.assertEqual(error, DeliveryError("AWS.SimpleQueueService.NonExistentQueue", "gone", 400))
        self.assertFalse(is_retryable(error))
        self.assertEqual(next_step(error, 0, 0.0, {}), ("give-up", None))

    def test_throttling_server_errors_and_network_failures_are_retried(self):
        self.assertTrue(is_retryable(describe_error(ClientError("ThrottlingException", 400))))
        self.assertTrue(is_retryable(describe_error(ClientError("InternalError", 500))))
        self.assertTrue(is_retryable(describe_error(ConnectionError("reset"))))
        self.assertEqual(next_step(DeliveryError("InternalError", "x", 500), 0, 0.0, {}), ("retry", None))

    def test_retries_stop_at_the_retry_policy(self):
        error = DeliveryError("InternalError", "x", 500)
        target = {"RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}}
        self.assertEqual(next_step(error, 1, 0.0, target), ("retry", None))
        self.assertEqual(next_step(error, 2, 0.0, target), ("give-up", "MaximumRetryAttempts"))
        aged = {"RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}}
        self.assertEqual(next_step(error, 3, 59.0, aged), ("give-up", "MaximumEventAgeInSeconds"))

    def test_without_a_policy_the_aws_defaults_apply(self):
        error = DeliveryError("InternalError", "x", 500)
        self.assertEqual(next_step(error, 184, 0.0, {}), ("retry", None))
        self.assertEqual(next_step(error, 185, 0.0, {}), ("give-up", "MaximumRetryAttempts"))

    def test_backoff_doubles_up_to_thirty_seconds(self):
        self.assertEqual([retry_delay_seconds(n) for n in range(7)], [1, 2, 4, 8, 16, 30, 30])

    def test_dead_letter_attributes_are_eventbridges(self):
        attributes = dead_letter_attributes(
            "arn:aws:events:us-east-1:000000000000:rule/bus/r",
            "arn:aws:sqs:us-east-1:000000000000:q",
            DeliveryError("InternalError", "boom", 500),
            3,
            "MaximumRetryAttempts",
        )
        self.assertEqual(
            sorted(attributes),
            ["ERROR_CODE", "ERROR_MESSAGE", "EXHAUSTED_RETRY_CONDITION", "RETRY_ATTEMPTS", "RULE_ARN", "TARGET_ARN"],
        )
        self.assertEqual(attributes["RETRY_ATTEMPTS"], {"DataType": "Number", "StringValue": "3"})
        no_retry = dead_letter_attributes("r", "t", DeliveryError("NotFound", "", 404), 0, None)
        self.assertNotIn("EXHAUSTED_RETRY_CONDITION", no_retry)
        self.assertEqual(no_retry["ERROR_MESSAGE"]["StringValue"], "NotFound")

    def test_metric_dimensions_name_the_bus_of_a_custom_bus_rule(self):
        self.assertEqual(
            rule_metric_dimensions("arn:aws:events:us-east-1:000000000000:rule/orders-bus/lane-0"),
            [{"Name": "EventBusName", "Value": "orders-bus"}, {"Name": "RuleName", "Value": "lane-0"}],
        )
        self.assertEqual(
            rule_metric_dimensions("arn:aws:events:us-east-1:000000000000:rule/nightly"),
            [{"Name": "RuleName", "Value": "nightly"}],
        )


if __name__ == "__main__":
    unittest.main()
