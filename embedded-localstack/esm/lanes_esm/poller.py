"""An SQS poller that keeps several batches of one mapping in flight, scaled like Lambda on AWS.

LocalStack 4.13.1's ``SqsPoller.poll_events`` receives one batch, invokes its message groups one
after another and returns; its ``EsmWorker`` then sleeps and calls it again, so a mapping never
has two batches in flight and ``ScalingConfig`` is ignored. ``ScalingSqsPoller`` keeps
everything else of ``SqsPoller`` (receive parameters, filter criteria, deleting filtered-out
messages, ``ReportBatchItemFailures``, deleting what succeeded) and changes who calls it:

- ``poll_events`` (still driven by LocalStack's ``EsmWorker`` loop) is a supervisor tick: it asks
  the ``Scaler`` for the allowed number of concurrent batches and starts pollers up to it.
- Each poller thread receives a batch, invokes the function once with the whole batch (a FIFO
  batch may hold several message groups, as on AWS; SQS hands out a group to one batch at a
  time), deletes what succeeded, and goes on. It retires when the target drops below the
  number of pollers.
- A throttled invocation (the function's reserved concurrency is used up) is not processed: its
  messages stay in flight and come back after the visibility timeout with a higher receive
  count; the poller backs off and the mapping stops growing.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

import botocore.config
from botocore.exceptions import ClientError
from localstack.services.lambda_.event_source_mapping.event_processor import BatchFailureError
from localstack.services.lambda_.event_source_mapping.pipe_utils import get_internal_client
from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import (
    DEFAULT_MAX_RECEIVE_COUNT,
    DEFAULT_MAX_WAIT_TIME_SECONDS,
    SqsPoller,
)
from localstack.services.lambda_.event_source_mapping.senders.sender import (
    PartialFailureSenderError,
    SenderError,
)
from localstack.services.sqs.constants import HEADER_LOCALSTACK_SQS_OVERRIDE_WAIT_TIME_SECONDS
from localstack.utils.aws.client_types import ServicePrincipal

from lanes_esm.scaling import Scaler, ScalingPolicy
from lanes_esm.settings import EsmSettings
from lanes_esm.stats import MappingStats

LOG = logging.getLogger(__name__)

#: How often the supervisor re-reads the target (the EsmWorker adds its poll interval).
SUPERVISOR_TICK_SECONDS = 0.2
#: LocalStack splits larger receives into invocations of at most this many records (payload size).
MAX_RECORDS_PER_INVOCATION = 2500
#: Pause after a failed receive (queue deleted, LocalStack stopping), doubling to the maximum.
RECEIVE_ERROR_BACKOFF_SECONDS = (1.0, 10.0)
THROTTLE_ERROR_CODE = "TooManyRequestsException"


class ThrottledInvocation(SenderError):
    """Lambda refused the invocation: the function's concurrency is used up (HTTP 429)."""


class ObservedSender:
    """Wraps the mapping's ``LambdaSender``: counts invocations in flight, throttles and errors."""

    def __init__(self, inner: Any, stats: MappingStats):
        self._inner = inner
        self._stats = stats
        self._lock = threading.Lock()
        #: invocations of this sender in flight (the mapping's stats also count a replaced worker's)
        self.in_flight = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def send_events(self, events):
        with self._lock:
            self.in_flight += 1
        self._stats.invocation_started()
        throttled = failed = False
        started = time.perf_counter()
        try:
            return self._inner.send_events(events)
        except PartialFailureSenderError:
            raise
        except SenderError:
            failed = True
            raise
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == THROTTLE_ERROR_CODE:
                throttled = True
                raise ThrottledInvocation(
                    f"Invocation of {self._inner.target_arn} throttled: {error}",
                    error={"message": str(error), "exceptionType": THROTTLE_ERROR_CODE},
                ) from error
            failed = True
            raise
        except Exception:
            failed = True
            raise
        finally:
            self._stats.phase("invoke", time.perf_counter() - started)
            self._stats.invocation_ended(throttled=throttled, failed=failed)
            with self._lock:
                self.in_flight -= 1

    def event_target(self) -> str:
        return self._inner.event_target()


class _Backoff:
    def __init__(self, initial: float, maximum: float):
        self._initial, self._maximum, self._next = initial, maximum, initial

    def next(self) -> float:
        current = self._next
        self._next = min(self._maximum, self._next * 2)
        return current

    def reset(self) -> None:
        self._next = self._initial


class ScalingSqsPoller(SqsPoller):
    """``SqsPoller`` with concurrent, scaled pollers (see the module docstring)."""

    def __init__(
        self,
        *,
        source_arn: str,
        source_parameters: dict,
        source_client: Any,
        processor: Any,
        sender: ObservedSender,
        esm_uuid: str,
        policy: ScalingPolicy,
        settings: EsmSettings,
        stats: MappingStats,
    ):
        super().__init__(source_arn, source_parameters, source_client, processor)
        self._uuid = esm_uuid
        self._sender = sender
        self._claimed = False
        self._settings = settings
        self._scaler = Scaler(policy)
        self._stats = stats
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pollers = 0
        self._numbers = itertools.count(1)
        self._throttle_backoff_max = settings.throttle_backoff_max_seconds
        self._register_batching_window_hook()

    def _register_batching_window_hook(self) -> None:
        # LocalStack's SQS fills a batch for the whole window only when asked by header, and
        # SqsPoller sends it only for windows above 20 s: up to 20 s a receive returned the first
        # messages at once, so MaximumBatchingWindowInSeconds did nothing. Send it for any window.
        window = int(self.maximum_batching_window or 0)
        if not 0 < window <= DEFAULT_MAX_WAIT_TIME_SECONDS:
            return

        def add_window_header(params, **kwargs):
            params["headers"][HEADER_LOCALSTACK_SQS_OVERRIDE_WAIT_TIME_SECONDS] = str(window)

        self.source_client.meta.events.register(
            "before-call.sqs.ReceiveMessage", add_window_header
        )

    @property
    def scaler(self) -> Scaler:
        return self._scaler

    # -- supervisor (called by LocalStack's EsmWorker.poller_loop) ---------------------------

    def _limit(self) -> int:
        """Pollers this worker may run: the target less invocations a replaced worker still runs."""
        others = max(0, self._stats.in_flight - self._sender.in_flight)
        return max(0, self._scaler.target - others)

    def poll_events(self) -> None:
        if self._stop.is_set():
            return
        if not self._claimed:
            # UpdateEventSourceMapping builds a new worker before it stops the old one: take
            # over now, so the old pollers take no new batch while these start.
            self._claimed = True
            previous = self._stats.claim(self)
            if previous is not None:
                previous.close()
        # Resolve the queue type once, before pollers share it (a cached property).
        _ = self.is_fifo_queue
        self._scaler.tick()
        target = self._scaler.target
        with self._lock:
            for _ in range(max(0, self._limit() - self._pollers)):
                self._pollers += 1
                number = next(self._numbers)
                threading.Thread(
                    target=self._run_poller,
                    name=f"lanes-esm-{self._uuid[:8]}-{number}",
                    daemon=True,
                ).start()
            pollers = self._pollers
        self._stats.set_scale(target, pollers, self._scaler.backlog)
        self._stop.wait(SUPERVISOR_TICK_SECONDS)

    def close(self) -> None:
        """The mapping was stopped, updated or deleted: pollers finish their batch and end."""
        self._stop.set()
        if self._stats.owned_by(self):
            with self._lock:
                pollers = self._pollers
            self._stats.set_scale(0, pollers, False, running=False)

    # -- pollers -------------------------------------------------------------------------------

    def _retire_if_surplus(self) -> bool:
        with self._lock:
            if self._stop.is_set() or self._pollers > self._limit():
                self._pollers -= 1
                return True
            return False

    def _run_poller(self) -> None:
        receive_backoff = _Backoff(*RECEIVE_ERROR_BACKOFF_SECONDS)
        throttle_backoff = _Backoff(1.0, self._throttle_backoff_max)
        try:
            while not self._retire_if_surplus():
                try:
                    messages = self._receive()
                except Exception as error:  # queue gone, LocalStack stopping: retry later
                    self._stats.receive_failed()
                    LOG.debug("lanes-esm %s: receive failed: %s", self._uuid, error)
                    self._stop.wait(receive_backoff.next())
                    continue
                receive_backoff.reset()
                if messages and self._stop.is_set():
                    self._release(messages)  # the mapping stopped while this receive waited
                    continue
                self._stats.received(len(messages))
                self._scaler.observe_receive(len(messages), self._requested_count())
                if not messages:
                    continue
                if self._process(messages):
                    throttle_backoff.reset()
                else:
                    self._scaler.observe_throttle()
                    self._stop.wait(throttle_backoff.next())
        except Exception:  # never let a poller die silently: the mapping would shrink unseen
            LOG.exception("lanes-esm %s: poller failed", self._uuid)
            with self._lock:
                self._pollers -= 1

    def _release(self, messages: list[dict]) -> None:
        """Makes messages received after the mapping stopped visible again at once."""
        for start in range(0, len(messages), DEFAULT_MAX_RECEIVE_COUNT):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + DEFAULT_MAX_RECEIVE_COUNT])
            ]
            try:
                self.source_client.change_message_visibility_batch(
                    QueueUrl=self.queue_url, Entries=entries
                )
            except Exception as error:  # they come back after the visibility timeout instead
                LOG.warning("lanes-esm %s: could not release messages: %s", self._uuid, error)

    def _requested_count(self) -> int:
        return self.batch_size

    def delete_messages(self, messages: list[dict], message_ids_to_delete: set) -> None:
        started = time.perf_counter()
        try:
            super().delete_messages(messages, message_ids_to_delete)
        finally:
            if message_ids_to_delete:
                self._stats.phase("delete", time.perf_counter() - started)

    def _receive(self) -> list[dict]:
        # Same request as SqsPoller.poll_events (LocalStack's override parameters lift the
        # 10-message and 20-second limits for batch sizes up to 10,000 and batching windows),
        # but an idle poller long-polls instead of returning at once.
        started = time.perf_counter()
        wait_seconds = self.maximum_batching_window or self._settings.poll_wait_seconds
        response = self.source_client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.batch_size, DEFAULT_MAX_RECEIVE_COUNT),
            WaitTimeSeconds=min(int(wait_seconds), DEFAULT_MAX_WAIT_TIME_SECONDS),
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            sqs_override_max_message_count=self.batch_size,
            sqs_override_wait_time_seconds=self.maximum_batching_window,
        )
        messages = response.get("Messages", [])
        if messages:
            now = time.time()
            self._stats.phase("receive", time.perf_counter() - started)
            self._stats.phase(
                "queued",
                sum(
                    max(0.0, now - int(m.get("Attributes", {}).get("SentTimestamp", now * 1000)) / 1000)
                    for m in messages
                ),
                count=len(messages),
            )
        return messages

    def _process(self, messages: list[dict]) -> bool:
        """Invokes the function with the batch; False when the invocation was throttled."""
        for start in range(0, len(messages), MAX_RECORDS_PER_INVOCATION):
            chunk = messages[start : start + MAX_RECORDS_PER_INVOCATION]
            try:
                self.handle_messages(chunk)
            except BatchFailureError as error:
                if isinstance(error.__cause__, ThrottledInvocation):
                    LOG.debug("lanes-esm %s: invocation throttled", self._uuid)
                    return False
                LOG.debug("lanes-esm %s: batch failed: %s", self._uuid, error.error)
            except Exception as error:
                LOG.warning("lanes-esm %s: batch processing failed: %s", self._uuid, error)
        return True


def replace_sqs_poller(worker: Any, esm_config: dict, function_role: str, policy: ScalingPolicy,
                       settings: EsmSettings, stats: MappingStats) -> ScalingSqsPoller:
    """Swaps an ``EsmWorker``'s ``SqsPoller`` for a ``ScalingSqsPoller`` with the same source.

    The SQS and Lambda clients are made again with connection pools sized for the mapping's
    concurrency (botocore keeps 10 by default and discards the rest after each call).
    """
    original = worker.poller
    function_arn = esm_config["FunctionArn"]
    pool = max(10, min(policy.ceiling, 1000) + 2)
    source_config = original.source_client.meta.config.merge(
        botocore.config.Config(max_pool_connections=pool)
    )
    source_client = get_internal_client(
        arn=original.source_arn,
        role_arn=function_role,
        service_principal=ServicePrincipal.lambda_,
        source_arn=function_arn,
        client_config=source_config,
    )
    processor = original.processor
    sender = processor.sender
    sender.target_client = get_internal_client(
        arn=function_arn,
        client_config=sender.target_client.meta.config.merge(
            botocore.config.Config(max_pool_connections=pool)
        ),
    )
    observed = ObservedSender(sender, stats)
    processor.sender = observed
    poller = ScalingSqsPoller(
        source_arn=original.source_arn,
        source_parameters=original.source_parameters,
        source_client=source_client,
        processor=processor,
        sender=observed,
        esm_uuid=esm_config["UUID"],
        policy=policy,
        settings=settings,
        stats=stats,
    )
    worker.poller = poller
    return poller
