"""EMF data points buffered between log writes and ``PutMetricData`` (see emf_hook). No LocalStack
imports: the caller passes the function that puts a chunk of metric data.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from lanes_executor.emf import merge_metric_data, metric_data_from_line

LOG = logging.getLogger(__name__)

# PutMetricData takes up to 1,000 data points per call.
_MAX_DATA_PER_CALL = 1000
FLUSH_INTERVAL_SECONDS = 0.5

Put = Callable[[str, str, str, list], None]


class MetricBuffer:
    """EMF data points waiting for their ``PutMetricData``, per account, region and namespace."""

    def __init__(self, put: Put, interval_seconds: float = FLUSH_INTERVAL_SECONDS) -> None:
        self._put = put
        self._interval = interval_seconds
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        self._flusher: threading.Thread | None = None

    def add_log_events(self, account_id: str, region: str, log_events: list) -> int:
        """Buffers the EMF data points of the log events; returns how many there were."""
        added = 0
        for event in log_events or []:
            message = event.get("message") if isinstance(event, dict) else None
            if not isinstance(message, str):
                continue
            for namespace, data in metric_data_from_line(message):
                with self._lock:
                    self._pending[(account_id, region, namespace)].extend(data)
                added += len(data)
        if added:
            self._start_flusher()
        return added

    def flush(self) -> int:
        """Puts everything buffered; returns the datums sent (after merging)."""
        with self._lock:
            pending, self._pending = self._pending, defaultdict(list)
        sent = 0
        for (account_id, region, namespace), data in pending.items():
            merged = merge_metric_data(data)
            for i in range(0, len(merged), _MAX_DATA_PER_CALL):
                chunk = merged[i : i + _MAX_DATA_PER_CALL]
                try:
                    self._put(account_id, region, namespace, chunk)
                    sent += len(chunk)
                except Exception as error:  # a bad datum must not stop the other namespaces
                    LOG.warning("lanes: could not put %d EMF metrics of %s: %s", len(chunk), namespace, error)
        return sent

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(target=self._run, name="lanes-emf-flush", daemon=True)
        self._flusher.start()

    def _run(self) -> None:
        while True:  # a daemon thread: it ends with LocalStack
            time.sleep(self._interval)
            self.flush()
