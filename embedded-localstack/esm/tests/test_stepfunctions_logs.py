"""Step Functions history logs: one PutLogEvents per execution and flush, events in their order."""

import json
import unittest
from datetime import datetime, timezone

from localstack.services.stepfunctions.asl.eval.event.logging import CloudWatchLoggingSession

from lanes_esm.stepfunctions_logs import HistoryLogBuffer, stepfunctions_log_patches


class RecordingLogsClient:
    def __init__(self):
        self.calls = []

    def put_log_events(self, logGroupName, logStreamName, logEvents):
        self.calls.append((logGroupName, logStreamName, [event["message"] for event in logEvents]))


def session(name: str, client: RecordingLogsClient) -> CloudWatchLoggingSession:
    """A logging session as LocalStack makes one per execution, with a recording client."""
    one = CloudWatchLoggingSession.__new__(CloudWatchLoggingSession)
    one.execution_arn = f"arn:aws:states:us-east-1:000000000000:execution:sm:{name}"
    one.configuration = type("Configuration", (), {"log_group_name": "/lanes/sm", "log_stream_name": name})()
    one._logs_client = client
    return one


def history_log(n: int) -> dict:
    return {"id": str(n), "type": "TaskStateEntered", "event_timestamp": datetime.now(timezone.utc)}


class HistoryLogBufferTest(unittest.TestCase):
    def test_each_execution_gets_one_put_with_its_events_in_order(self):
        client = RecordingLogsClient()
        buffer = HistoryLogBuffer(interval_seconds=3600)  # flushed by hand below
        first, second = session("e1", client), session("e2", client)
        patches = stepfunctions_log_patches(buffer)
        patches.apply()
        try:
            for n in range(5):
                first.publish_history_log(history_log(n))
                second.publish_history_log(history_log(10 + n))
            self.assertEqual(client.calls, [])  # nothing is put before the flush
            self.assertEqual(buffer.flush(), 2)
        finally:
            patches.undo()
        self.assertEqual([(stream, len(messages)) for _, stream, messages in client.calls], [("e1", 5), ("e2", 5)])
        self.assertEqual([json.loads(message)["id"] for message in client.calls[0][2]], ["0", "1", "2", "3", "4"])
        self.assertEqual(buffer.flush(), 0)

    def test_the_patch_is_undone(self):
        original = CloudWatchLoggingSession._publish_history_log_or_setup
        patches = stepfunctions_log_patches(HistoryLogBuffer())
        patches.apply()
        self.assertIsNot(CloudWatchLoggingSession._publish_history_log_or_setup, original)
        patches.undo()
        self.assertIs(CloudWatchLoggingSession._publish_history_log_or_setup, original)


if __name__ == "__main__":
    unittest.main()
