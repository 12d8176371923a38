"""Unit tests of the local canary's reading of the alias (the CloudFormation side runs in the TS tests)."""

import unittest

from lanes_esm.canary import _routing_config, canary_of


class CanaryOfTest(unittest.TestCase):
    def test_reads_the_marker_the_worker_construct_writes(self):
        self.assertEqual(
            canary_of("lanes-canary percent=10 interval=300s: a deploy sends 10 % ..."), (0.1, 300)
        )
        self.assertEqual(canary_of("lanes-canary percent=2.5 interval=60s"), (0.025, 60))

    def test_an_alias_without_the_marker_is_no_canary(self):
        self.assertIsNone(canary_of(None))
        self.assertIsNone(canary_of("live traffic"))


class RoutingConfigTest(unittest.TestCase):
    def test_turns_the_template_list_into_the_api_map(self):
        self.assertEqual(
            _routing_config(
                {"RoutingConfig": {"AdditionalVersionWeights": [{"FunctionVersion": 3, "FunctionWeight": "0.2"}]}}
            ),
            {"AdditionalVersionWeights": {"3": 0.2}},
        )
        self.assertEqual(_routing_config({}), {"AdditionalVersionWeights": {}})


if __name__ == "__main__":
    unittest.main()
