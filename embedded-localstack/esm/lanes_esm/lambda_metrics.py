"""Lambda's Invocations/Errors metrics, counted and published every few seconds.

LocalStack 4.13.1 starts a thread per invocation that sends one PutMetricData for it; with
several batches in flight those calls pile up on CloudWatch's store (seconds each under load,
measured with ``/_lanes/timings``) and take cores from the functions. The same counts are
published here as one data point per function and metric every ``FLUSH_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from localstack.services.lambda_.invocation import version_manager
from localstack.utils.cloudwatch.cloudwatch_util import publish_lambda_metric
from localstack.utils.patch import Patch, Patches

LOG = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0


class LambdaMetricCounter:
    def __init__(self, flush_seconds: float = FLUSH_SECONDS):
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str, str]] = Counter()
        self._flush_seconds = flush_seconds
        self._thread: threading.Thread | None = None

    def count(self, metric: str, function_name: str, account_id: str, region_name: str) -> None:
        with self._lock:
            self._counts[(account_id, region_name, function_name, metric)] += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lanes-lambda-metrics", daemon=True
                )
                self._thread.start()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        for (account_id, region_name, function_name, metric), value in counts.items():
            try:
                publish_lambda_metric(
                    metric,
                    value,
                    {"func_name": function_name},
                    account_id=account_id,
                    region_name=region_name,
                )
            except Exception as error:  # metrics are best effort, as in LocalStack
                LOG.debug("lanes: could not publish Lambda metric %s: %s", metric, error)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(self._flush_seconds):
            self.flush()


COUNTER = LambdaMetricCounter()


def _invocation(function_name: str, account_id: str, region_name: str):
    COUNTER.count("Invocations", function_name, account_id, region_name)


def _error(function_name: str, account_id: str, region_name: str):
    COUNTER.count("Invocations", function_name, account_id, region_name)
    COUNTER.count("Errors", function_name, account_id, region_name)


def lambda_metric_patches() -> Patches:
    # version_manager imported both functions by name: replace them there.
    return Patches(
        [
            Patch(version_manager, "record_cw_metric_invocation", _invocation),
            Patch(version_manager, "record_cw_metric_error", _error),
        ]
    )
