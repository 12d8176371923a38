"""Unit tests of when functions get DynamoDB Local's endpoint (no LocalStack needed)."""

import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from lanes_executor import dynamodb_direct  # noqa: E402

DIRECT = {"LANES_FUNCTIONS_DYNAMODB": "direct", "DYNAMODB_SHARE_DB": "1"}


class DirectDynamoDbTest(unittest.TestCase):
    def env_for(self, host_env: dict, function_env: dict) -> dict:
        with mock.patch.dict(os.environ, host_env, clear=True), mock.patch.object(
            dynamodb_direct, "dynamodb_local_url", return_value="http://127.0.0.1:45678"
        ):
            return dynamodb_direct.with_direct_dynamodb(function_env)

    def test_direct_with_a_shared_database_points_functions_at_dynamodb_local(self):
        env = self.env_for(DIRECT, {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:45678")
        self.assertEqual(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566")

    def test_a_function_that_names_its_dynamodb_endpoint_keeps_it(self):
        env = self.env_for(DIRECT, {"AWS_ENDPOINT_URL_DYNAMODB": "http://elsewhere:1"})
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], "http://elsewhere:1")

    def test_gateway_is_the_default_and_keeps_localstacks_endpoint(self):
        self.assertNotIn("AWS_ENDPOINT_URL_DYNAMODB", self.env_for({"DYNAMODB_SHARE_DB": "1"}, {}))
        self.assertNotIn("AWS_ENDPOINT_URL_DYNAMODB", self.env_for({**DIRECT, "LANES_FUNCTIONS_DYNAMODB": "gateway"}, {}))

    def test_direct_without_a_shared_database_warns_and_keeps_the_gateway(self):
        # Without -sharedDb, DynamoDB Local keeps a database per credential: tables would vanish.
        with self.assertLogs("lanes_executor.dynamodb_direct", level="WARNING") as logs:
            env = self.env_for({"LANES_FUNCTIONS_DYNAMODB": "direct"}, {})
        self.assertNotIn("AWS_ENDPOINT_URL_DYNAMODB", env)
        self.assertIn("DYNAMODB_SHARE_DB=1", logs.output[0])

    def test_an_unknown_mode_warns_and_keeps_the_gateway(self):
        with self.assertLogs("lanes_executor.dynamodb_direct", level="WARNING"):
            env = self.env_for({**DIRECT, "LANES_FUNCTIONS_DYNAMODB": "fast"}, {})
        self.assertNotIn("AWS_ENDPOINT_URL_DYNAMODB", env)

    def test_dynamodb_local_not_up_keeps_the_gateway(self):
        with mock.patch.dict(os.environ, DIRECT, clear=True), mock.patch.object(
            dynamodb_direct, "dynamodb_local_url", return_value=None
        ):
            self.assertEqual(dynamodb_direct.with_direct_dynamodb({"A": "1"}), {"A": "1"})


if __name__ == "__main__":
    unittest.main()
