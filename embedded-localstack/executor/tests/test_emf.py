"""Unit tests of the embedded-metric-format extraction the embedded LocalStack applies."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from lanes_executor.emf import merge_metric_data, metric_data_from_line  # noqa: E402
from lanes_executor.emf_buffer import MetricBuffer  # noqa: E402

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


def powertools_line(service: str, failed: int, latencies: list, timestamp_ms: int = 1767225600000) -> str:
    document = json.loads(POWERTOOLS_LINE)
    document["_aws"]["Timestamp"] = timestamp_ms
    document.update({"service": service, "EventsFailed": failed, "EndToEndLatency": latencies})
    return json.dumps(document)


class MergeTest(unittest.TestCase):
    def test_points_of_one_series_in_one_second_become_one_datum_with_every_value(self):
        data = []
        for line in [powertools_line("orders", 1, [12]), powertools_line("orders", 2, [40, 41], 1767225600900)]:
            [(_, points)] = metric_data_from_line(line)
            data.extend(points)
        merged = merge_metric_data(data)
        self.assertEqual([d["MetricName"] for d in merged], ["EventsFailed", "EndToEndLatency"])
        self.assertEqual((merged[0]["Values"], merged[0]["Counts"]), ([1, 2], [1, 1]))
        self.assertEqual((merged[1]["Values"], merged[1]["Counts"]), ([12, 40, 41], [1, 1, 1]))
        self.assertEqual(merged[1]["Unit"], "Milliseconds")

    def test_other_dimensions_or_another_second_stay_apart(self):
        data = []
        for line in [
            powertools_line("orders", 1, [1]),
            powertools_line("notifications", 1, [1]),
            powertools_line("orders", 1, [1], 1767225601000),
        ]:
            [(_, points)] = metric_data_from_line(line)
            data.extend(p for p in points if p["MetricName"] == "EventsFailed")
        self.assertEqual(len(merge_metric_data(data)), 3)

    def test_given_counts_are_kept(self):
        datum = {"MetricName": "m", "Dimensions": [], "Values": [5, 6], "Counts": [3, 1]}
        [merged] = merge_metric_data([datum, {"MetricName": "m", "Dimensions": [], "Value": 5}])
        self.assertEqual((merged["Values"], merged["Counts"]), ([5, 6, 5], [3, 1, 1]))


class MetricBufferTest(unittest.TestCase):
    def test_a_flush_puts_each_namespace_once_with_merged_points_and_empties_the_buffer(self):
        puts = []
        buffer = MetricBuffer(lambda *call: puts.append(call), interval_seconds=3600)
        events = [{"message": powertools_line("orders", 1, [10])} for _ in range(20)]
        self.assertEqual(buffer.add_log_events("000000000000", "us-east-1", events + [{"message": "plain"}]), 40)
        self.assertEqual(buffer.flush(), 2)
        [(account, region, namespace, data)] = puts
        self.assertEqual((account, region, namespace), ("000000000000", "us-east-1", "lanes"))
        self.assertEqual(sum(data[0]["Counts"]), 20)
        self.assertEqual(buffer.flush(), 0)

    def test_a_failing_put_is_logged_and_the_next_flush_goes_on(self):
        calls = []

        def put(*call):
            calls.append(call)
            if len(calls) == 1:
                raise RuntimeError("bad datum")

        buffer = MetricBuffer(put, interval_seconds=3600)
        buffer.add_log_events("a", "r", [{"message": powertools_line("orders", 1, [1])}])
        with self.assertLogs("lanes_executor.emf_buffer", level="WARNING"):
            self.assertEqual(buffer.flush(), 0)
        buffer.add_log_events("a", "r", [{"message": powertools_line("orders", 1, [1])}])
        self.assertEqual(buffer.flush(), 2)

    def test_the_flusher_thread_puts_without_an_explicit_flush(self):
        import threading

        done = threading.Event()
        buffer = MetricBuffer(lambda *call: done.set(), interval_seconds=0.05)
        buffer.add_log_events("a", "r", [{"message": powertools_line("orders", 1, [1])}])
        self.assertTrue(done.wait(2))


if __name__ == "__main__":
    unittest.main()
