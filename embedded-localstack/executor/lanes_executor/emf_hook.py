"""Makes LocalStack's CloudWatch Logs extract embedded-metric-format metrics, as AWS does.

LocalStack 4.13.1 stores log events but never reads EMF documents out of them, so the metrics
the lanes runtime emits through Powertools (``EventsFailed``, ``EventsDeadLettered``, the
schedule's heartbeat, ...) never reach its CloudWatch, and nothing alarms locally. This hook
wraps ``LogsProvider.put_log_events``: after the events are stored, their EMF data points are
buffered and put into CloudWatch, in the log group's account and region, every half second.
Lines that are not EMF are untouched.

Why buffered: LocalStack's CloudWatch opens its SQLite file and commits once per datum, and one
``PutMetricData`` per invocation took a fifth of LocalStack's time under the reference pipeline.
A flush merges the data points of a series within a second (``merge_metric_data``), so it commits
once per series instead of once per invocation. On AWS, too, EMF metrics appear after a delay.
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

from lanes_executor.emf_buffer import MetricBuffer

LOG = logging.getLogger(__name__)


def put_metric_data(account_id: str, region: str, namespace: str, data: list) -> None:
    from localstack.aws.connect import connect_to

    client = connect_to(aws_access_key_id=account_id, region_name=region).cloudwatch
    client.put_metric_data(Namespace=namespace, MetricData=data)


BUFFER = MetricBuffer(put_metric_data)


def extract_emf_metrics_from_logs(buffer: MetricBuffer = BUFFER) -> None:
    from localstack.services.logs.provider import LogsProvider
    from localstack.utils.patch import patch

    if getattr(LogsProvider.put_log_events, "_lanes_emf", False):
        return

    @patch(LogsProvider.put_log_events)
    def put_log_events(fn, self, context, log_group_name, log_stream_name, log_events, *args, **kwargs):
        response = fn(self, context, log_group_name, log_stream_name, log_events, *args, **kwargs)
        try:
            buffer.add_log_events(context.account_id, context.region, log_events)
        except Exception as error:  # never fail the log write for its metrics
            LOG.warning("lanes: could not read the EMF metrics of %s: %s", log_group_name, error)
        return response

    LogsProvider.put_log_events._lanes_emf = True


@hooks.on_infra_start()
def lanes_extract_emf_metrics() -> None:
    extract_emf_metrics_from_logs()
