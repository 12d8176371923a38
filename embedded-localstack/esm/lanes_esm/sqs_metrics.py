"""The embedded SQS publishes its queues' approximate metrics, with ApproximateAgeOfOldestMessage.

LocalStack 4.13.1 publishes ApproximateNumberOfMessagesVisible, -NotVisible and -Delayed every
minute only together with a PutMetricData per SQS call (``SQS_DISABLE_CLOUDWATCH_METRICS``, which
the embedded LocalStack sets: those per-call metrics were a third of its work), and never
ApproximateAgeOfOldestMessage (a TODO in its provider). The lanes autoscaler's age target and
alarms on message age read that metric, so this publisher sends all four, per queue, every
``LANES_SQS_METRICS_INTERVAL_SECONDS`` (default 60, AWS's one-minute resolution; 0 turns it off),
with LocalStack's own ``publish_sqs_metric_batch``.

The age is the time since the oldest message that is not deleted and not delayed was sent
(waiting or in flight), 0 for an empty queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from localstack.services.sqs.models import FifoQueue
from localstack.services.sqs.models import sqs_stores
from localstack.utils.cloudwatch.cloudwatch_util import publish_sqs_metric_batch

LOG = logging.getLogger(__name__)

INTERVAL_VARIABLE = "LANES_SQS_METRICS_INTERVAL_SECONDS"


def interval_seconds(env: dict[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(INTERVAL_VARIABLE, "").strip()
    if raw == "":
        return 60.0
    value = float(raw)
    if value < 0:
        raise ValueError(f"{INTERVAL_VARIABLE} must be at least 0 (given {raw!r})")
    return value


def _waiting(queue: Any) -> list[Any]:
    if isinstance(queue, FifoQueue):
        return [m for group in list(queue.message_groups.values()) for m in list(group.messages)]
    return list(queue.visible.queue)


def oldest_message_age_seconds(queue: Any, now: float | None = None) -> float:
    """Seconds since the oldest waiting or in-flight (not deleted, not delayed) message was sent."""
    now = time.time() if now is None else now
    with queue.mutex:
        messages = _waiting(queue) + list(queue.inflight)
    created = [m.created for m in messages if not m.deleted]
    return max(0.0, now - min(created)) if created else 0.0


def queue_metrics(queue: Any, now: float | None = None) -> list[dict[str, Any]]:
    return [
        {"QueueName": queue.name, "MetricName": "ApproximateNumberOfMessagesVisible", "Value": queue.approximate_number_of_messages},
        {"QueueName": queue.name, "MetricName": "ApproximateNumberOfMessagesNotVisible", "Value": queue.approximate_number_of_messages_not_visible},
        {"QueueName": queue.name, "MetricName": "ApproximateNumberOfMessagesDelayed", "Value": queue.approximate_number_of_messages_delayed},
        {
            "QueueName": queue.name,
            "MetricName": "ApproximateAgeOfOldestMessage",
            "Value": round(oldest_message_age_seconds(queue, now)),
            "Unit": "Seconds",
        },
    ]


def publish_once() -> int:
    """Publishes every queue's metrics; returns how many queues."""
    published = 0
    for account_id, region, store in sqs_stores.iter_stores():
        batch = [metric for queue in list(store.queues.values()) for metric in queue_metrics(queue)]
        if batch:
            publish_sqs_metric_batch(account_id=account_id, region=region, sqs_metric_batch_data=batch)
            published += len(batch) // 4
    return published


def start_publisher(interval: float) -> threading.Thread | None:
    if interval <= 0:
        return None

    def run() -> None:
        while True:
            time.sleep(interval)
            try:
                publish_once()
            except Exception as error:  # never let a metrics failure end the thread
                LOG.info("lanes sqs metrics: publishing failed: %s", error)

    thread = threading.Thread(target=run, name="lanes-sqs-metrics", daemon=True)
    thread.start()
    return thread
