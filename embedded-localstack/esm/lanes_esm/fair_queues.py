"""SQS fair queues: a standard queue whose messages carry a ``MessageGroupId`` shields quiet tenants.

AWS (July 2025; docs/aws-limits.md, "Fair queues"): on a standard queue each message group is a
tenant. A tenant that holds more than 10 % of the queue's in-flight messages, and at least 30 of
its own, is a noisy neighbour: its waiting messages are moved back so that other tenants' messages
are received first and keep a low dwell time. Nothing is dropped, throttled or reordered beyond
that, and a noisy tenant's messages are still received when nobody else has any waiting.
LocalStack 4.13.1 stores the group id of a standard-queue message and otherwise hands messages out
by send time, so one tenant's backlog delays every other tenant's messages behind it.

This module reproduces the documented rule (AWS does not publish its algorithm beyond it):

- before each receive, the tenants' in-flight counts decide the noisy set;
- a waiting message of a noisy tenant sorts after every message of a quiet tenant (its priority,
  the send time, is moved back by ``MOVED_BACK_SECONDS``); among themselves messages keep their
  send order, and a tenant that is quiet again gets its send-time order back;
- a message put while its tenant is noisy (a new one, one whose visibility timeout ended, a
  delayed one coming due) is placed the same way.

Queues whose messages never carried a group id are left exactly as LocalStack runs them. The
"more than 10 % of consumer time" criterion of AWS is not reproduced (the embedded SQS does not
see how long a consumer works on a message); see the README.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

from localstack.services.sqs.models import StandardQueue
from localstack.utils.patch import Patch, Patches

#: A tenant is noisy above this share of the queue's in-flight messages...
NOISY_SHARE = 0.1
#: ...and with at least this many of its own in flight.
NOISY_MIN_IN_FLIGHT = 30
#: How far a noisy tenant's messages are moved back: beyond any send time of a quiet tenant.
MOVED_BACK_SECONDS = 1e9

_FAIR = "_lanes_fair"
_NOISY = "_lanes_noisy"
_SEND_PRIORITY = "_lanes_send_priority"


def noisy_tenants(in_flight_groups: list[str | None]) -> frozenset[str]:
    """The tenants that are noisy neighbours, from the group ids of the in-flight messages.

    >>> sorted(noisy_tenants(["a"] * 30 + ["b"] * 5))
    ['a']
    """
    total = len(in_flight_groups)
    counts = Counter(group for group in in_flight_groups if group is not None)
    return frozenset(
        group
        for group, count in counts.items()
        if count >= NOISY_MIN_IN_FLIGHT and count > NOISY_SHARE * total
    )


def _send_priority(message: Any) -> float:
    priority = getattr(message, _SEND_PRIORITY, None)
    if priority is None:
        priority = message.priority
        setattr(message, _SEND_PRIORITY, priority)
    return priority


def _place(message: Any, noisy: frozenset[str]) -> None:
    moved = message.message_group_id in noisy
    message.priority = _send_priority(message) + (MOVED_BACK_SECONDS if moved else 0.0)


def is_fair(queue: StandardQueue) -> bool:
    """Whether a message with a group id was ever put on the queue (it is then a fair queue)."""
    return getattr(queue, _FAIR, False)


def current_noisy_tenants(queue: StandardQueue) -> frozenset[str]:
    return getattr(queue, _NOISY, frozenset())


def rebalance(queue: StandardQueue) -> frozenset[str]:
    """Recomputes the noisy tenants and, if they changed, re-places the waiting messages."""
    with queue.mutex:
        groups = [message.message_group_id for message in list(queue.inflight)]
    noisy = noisy_tenants(groups)
    if noisy == current_noisy_tenants(queue):
        return noisy
    visible = queue.visible
    with visible.mutex:  # the lock of queue.Queue that receives hold while they pop
        setattr(queue, _NOISY, noisy)
        for message in visible.queue:
            _place(message, noisy)
        heapq.heapify(visible.queue)
    return noisy


def _put_message(original, self: StandardQueue, message: Any) -> None:
    if message.message_group_id is not None:
        setattr(self, _FAIR, True)
    if is_fair(self):
        _place(message, current_noisy_tenants(self))
    original(self, message)


def _receive(original, self: StandardQueue, *args, **kwargs):
    if is_fair(self):
        rebalance(self)
    return original(self, *args, **kwargs)


def fair_queue_patches() -> Patches:
    """The patches; ``apply()`` them once at LocalStack start."""
    return Patches(
        [
            Patch.function(StandardQueue._put_message, _put_message),
            Patch.function(StandardQueue.receive, _receive),
        ]
    )
