"""Makes LocalStack's EventBridge retry and dead-letter failed target deliveries, as AWS does.

LocalStack 4.13.1 (``services/events/provider.py``, ``_process_rules``) calls each target once:
when the delivery raises (the target queue was deleted, the function is gone), it logs
``TargetDeliveryFailure`` and drops the event. Its targets' ``RetryPolicy`` and
``DeadLetterConfig`` are stored and never used. This hook wraps ``TargetSender.process_event``:
a failed delivery is retried with backoff while the error is retryable and the retry policy
allows (``delivery_policy.next_step``), then the event goes to the target's dead-letter queue
with EventBridge's message attributes, and the ``AWS/Events`` metrics AWS reports are put into
CloudWatch. A target without a dead-letter queue loses the event, as on AWS, with the metric.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

from localstack.runtime import hooks

from lanes_executor.delivery_policy import (
    DeliveryError,
    dead_letter_attributes,
    describe_error,
    next_step,
    retry_delay_seconds,
    rule_metric_dimensions,
)

LOG = logging.getLogger(__name__)


def _put_rule_metric(sender, metric_name: str) -> None:
    from localstack.aws.connect import connect_to

    try:
        connect_to(aws_access_key_id=sender.account_id, region_name=sender.region).cloudwatch.put_metric_data(
            Namespace="AWS/Events",
            MetricData=[
                {
                    "MetricName": metric_name,
                    "Dimensions": rule_metric_dimensions(sender.rule_arn),
                    "Value": 1,
                    "Unit": "Count",
                }
            ],
        )
    except Exception as error:
        LOG.warning("lanes: could not put AWS/Events %s: %s", metric_name, error)


def _dead_letter(sender, event: dict, error: DeliveryError, retries: int, exhausted: str | None) -> None:
    """Sends the event to the target's DLQ (or records its loss), with the metrics."""
    from localstack.aws.connect import connect_to
    from localstack.services.events.utils import to_json_str
    from localstack.utils.aws.arns import (
        extract_account_id_from_arn,
        extract_region_from_arn,
        sqs_queue_url_for_arn,
    )

    _put_rule_metric(sender, "FailedInvocations")
    dlq_arn = (sender.target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq_arn:
        LOG.info("lanes: event to target %s dropped (no dead-letter queue): %s", sender.target_id, error.code)
        return
    try:
        sqs = connect_to(
            aws_access_key_id=extract_account_id_from_arn(dlq_arn),
            region_name=extract_region_from_arn(dlq_arn),
        ).sqs
        sqs.send_message(
            QueueUrl=sqs_queue_url_for_arn(dlq_arn),
            MessageBody=to_json_str(event),
            MessageAttributes=dead_letter_attributes(sender.rule_arn, sender.arn, error, retries, exhausted),
        )
        _put_rule_metric(sender, "InvocationsSentToDlq")
        LOG.info("lanes: event to target %s sent to its dead-letter queue: %s", sender.target_id, error.code)
    except Exception as dlq_error:
        _put_rule_metric(sender, "InvocationsFailedToBeSentToDlq")
        LOG.warning("lanes: event to target %s lost, its DLQ refused it: %s", sender.target_id, dlq_error)


def _deliver(fn, sender, event: dict, trace_header, retries: int, started: float) -> None:
    """One delivery attempt; on failure, a retry later or the dead-letter queue."""
    try:
        fn(sender, copy.deepcopy(event), trace_header)
        return
    except Exception as raised:
        error = describe_error(raised)
    step, exhausted = next_step(error, retries, time.monotonic() - started, sender.target)
    if step == "retry":
        timer = threading.Timer(
            retry_delay_seconds(retries),
            _deliver,
            args=(fn, sender, event, trace_header, retries + 1, started),
        )
        timer.daemon = True
        timer.start()
        return
    _dead_letter(sender, event, error, retries, exhausted)


def retry_and_dead_letter_target_deliveries() -> None:
    from localstack.services.events.target import TargetSender
    from localstack.utils.patch import patch

    if getattr(TargetSender.process_event, "_lanes_dead_letters", False):
        return

    @patch(TargetSender.process_event)
    def process_event(fn, self, event, trace_header):
        # The event as the rule matched it: what AWS puts in the DLQ (before input transforms).
        _deliver(fn, self, copy.deepcopy(event), trace_header, 0, time.monotonic())

    TargetSender.process_event._lanes_dead_letters = True


@hooks.on_infra_start()
def lanes_retry_and_dead_letter_target_deliveries() -> None:
    retry_and_dead_letter_target_deliveries()


