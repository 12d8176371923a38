"""Unit tests of the embedded-metric-format extraction the embedded LocalStack applies."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lanes_executor"))

from emf import metric_data_from_line  # noqa: E402

# What Powertools Metrics prints for one failed event of the orders worker.
POWERTOOLS_LINE = json.dumps(
    {
        "_aws": {
            "Timestamp": 1767225600000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "lanes",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "EventsFailed", "Unit": "Count"}, {"Name": "EndToEndLatency", "Unit": "Milliseconds"}],
                }
            ],
        },
        "service": "orders",
        "EventsFailed": 1,
        "EndToEndLatency": [12, 40],
    }
)


class EmfTest(unittest.TestCase):
    def test_a_powertools_line_becomes_metric_data_with_its_dimensions(self):
        [(namespace, data)] = metric_data_from_line(POWERTOOLS_LINE)
        self.assertEqual(namespace, "lanes")
        self.assertEqual([d["MetricName"] for d in data], ["EventsFailed", "EndToEndLatency"])
        self.assertEqual(data[0]["Dimensions"], [{"Name": "service", "Value": "orders"}])
        self.assertEqual(data[0]["Values"], [1])
        self.assertEqual(data[1]["Values"], [12, 40])
        self.assertEqual(data[1]["Unit"], "Milliseconds")
        self.assertEqual(int(data[0]["Timestamp"].timestamp() * 1000), 1767225600000)

    def test_a_prefixed_lambda_log_line_is_read_from_its_json(self):
        line = "2026-01-01T00:00:00.000Z\tabc-123\tINFO\t" + POWERTOOLS_LINE
        self.assertEqual(len(metric_data_from_line(line)), 1)

    def test_lines_that_are_not_emf_give_nothing(self):
        for line in ["plain text", '{"level":"INFO","message":"Event processed"}', '{"_aws": 1}', "{not json _aws"]:
            self.assertEqual(metric_data_from_line(line), [], line)

    def test_a_metric_without_a_numeric_value_is_skipped(self):
        document = json.loads(POWERTOOLS_LINE)
        document["EventsFailed"] = "one"
        [(_, data)] = metric_data_from_line(json.dumps(document))
        self.assertEqual([d["MetricName"] for d in data], ["EndToEndLatency"])


if __name__ == "__main__":
    unittest.main()
