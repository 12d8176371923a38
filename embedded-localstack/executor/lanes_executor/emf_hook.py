"""Makes LocalStack's CloudWatch Logs extract embedded-metric-format metrics, as AWS does.

LocalStack 4.13.1 stores log events but never reads EMF documents out of them, so the metrics
the lanes runtime emits through Powertools (``EventsFailed``, ``EventsDeadLettered``, the
schedule's heartbeat, ...) never reach its CloudWatch, and nothing alarms locally. This hook
wraps ``LogsProvider.put_log_events``: after the events are stored, each EMF line becomes a
``PutMetricData`` in the log group's account and region. Lines that are not EMF are untouched.
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

from lanes_executor.emf import metric_data_from_line

LOG = logging.getLogger(__name__)

# PutMetricData takes up to 1,000 data points per call.
_MAX_DATA_PER_CALL = 1000


def put_emf_metrics(account_id: str, region: str, log_events: list) -> int:
    """Puts the EMF metrics of the log events into CloudWatch; returns the data points sent."""
    from localstack.aws.connect import connect_to

    sent = 0
    client = None
    for event in log_events or []:
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, str):
            continue
        for namespace, data in metric_data_from_line(message):
            client = client or connect_to(aws_access_key_id=account_id, region_name=region).cloudwatch
            for i in range(0, len(data), _MAX_DATA_PER_CALL):
                client.put_metric_data(Namespace=namespace, MetricData=data[i : i + _MAX_DATA_PER_CALL])
                sent += len(data[i : i + _MAX_DATA_PER_CALL])
    return sent


def extract_emf_metrics_from_logs() -> None:
    from localstack.services.logs.provider import LogsProvider
    from localstack.utils.patch import patch

    if getattr(LogsProvider.put_log_events, "_lanes_emf", False):
        return

    @patch(LogsProvider.put_log_events)
    def put_log_events(fn, self, context, log_group_name, log_stream_name, log_events, *args, **kwargs):
        response = fn(self, context, log_group_name, log_stream_name, log_events, *args, **kwargs)
        try:
            put_emf_metrics(context.account_id, context.region, log_events)
        except Exception as error:  # never fail the log write for its metrics
            LOG.warning("lanes: could not put the EMF metrics of %s: %s", log_group_name, error)
        return response

    LogsProvider.put_log_events._lanes_emf = True


@hooks.on_infra_start()
def lanes_extract_emf_metrics() -> None:
    extract_emf_metrics_from_logs()
