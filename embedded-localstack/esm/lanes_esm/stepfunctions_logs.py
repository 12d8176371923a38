"""Step Functions execution logs reach CloudWatch Logs in one call per execution and half second.

A state machine that logs (the ``Workflow`` construct's default level is ALL) makes LocalStack
4.13.1 call ``PutLogEvents`` once for every history event, through an internal client that signs
each request: a task state alone logs five or more events. Profiled with py-spy while the
reference workflows ran (``npm run bench:workflows``), those calls took 70 % of LocalStack's
Python time once the task clients were reused (``stepfunctions_clients``).

Here an execution's events wait up to ``FLUSH_INTERVAL_SECONDS`` and go in one ``PutLogEvents``,
in their order, through LocalStack's own path (which creates the log stream when it is missing).
On AWS, too, execution logs arrive in CloudWatch Logs after a delay.
"""

from __future__ import annotations

import logging
import threading
import time

from localstack.services.stepfunctions.asl.eval.event.logging import CloudWatchLoggingSession
from localstack.utils.patch import Patch, Patches

LOG = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 0.5
#: PutLogEvents takes up to 10,000 events and 1 MB; an execution's history events are small.
MAX_EVENTS_PER_CALL = 1000


class HistoryLogBuffer:
    """Log events of each logging session (one per execution), waiting for their PutLogEvents."""

    def __init__(self, interval_seconds: float = FLUSH_INTERVAL_SECONDS) -> None:
        self._interval = interval_seconds
        self._lock = threading.Lock()
        #: session -> its events in order; a dict keeps the sessions in the order they logged.
        self._pending: dict[CloudWatchLoggingSession, list] = {}
        self._flusher: threading.Thread | None = None

    def add(self, session: CloudWatchLoggingSession, log_events: list) -> None:
        with self._lock:
            self._pending.setdefault(session, []).extend(log_events)
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._run, name="lanes-sfn-logs-flush", daemon=True)
                self._flusher.start()

    def flush(self) -> int:
        """Puts everything buffered, one call per session (and per 1,000 events); returns the calls."""
        with self._lock:
            pending, self._pending = self._pending, {}
        calls = 0
        for session, events in pending.items():
            for i in range(0, len(events), MAX_EVENTS_PER_CALL):
                try:
                    _original_publish(session, events[i : i + MAX_EVENTS_PER_CALL])
                    calls += 1
                except Exception as error:  # one execution's logs must not stop the others'
                    LOG.warning("lanes: could not put the logs of %s: %s", session.execution_arn, error)
        return calls

    def _run(self) -> None:
        while True:  # a daemon thread: it ends with LocalStack
            time.sleep(self._interval)
            self.flush()


BUFFER = HistoryLogBuffer()

#: LocalStack's put (with the stream's setup), taken before the patch replaces it.
_original_publish = CloudWatchLoggingSession._publish_history_log_or_setup


def stepfunctions_log_patches(buffer: HistoryLogBuffer = BUFFER) -> Patches:
    """Sends a session's log events through ``buffer`` (``compat`` pins what it relies on)."""

    def buffered_publish(self: CloudWatchLoggingSession, log_events: list) -> None:
        buffer.add(self, log_events)

    return Patches([Patch(CloudWatchLoggingSession, "_publish_history_log_or_setup", buffered_publish)])
