"""SQS FIFO message groups stay locked while any of their messages is in flight.

On AWS a message group hands out no message while one of its messages is in flight: that is what
lets Lambda keep one batch per group and each group's order. LocalStack 4.13.1 breaks this in two
ways (localstack#12457 is the family; its first report was fixed in 4.11 by the second rule):

- ``ChangeMessageVisibility`` to 0 on one message of a received batch makes its group visible
  again while the batch's other messages are still in flight, so a later message of the group can
  be received before an earlier one is done.
- ``requeue_inflight_messages`` stops at the first in-flight message that is still invisible,
  whatever its group: one message with a long visibility timeout keeps every other group's expired
  messages from coming back.

Both are patched here: a message that becomes visible again only re-opens its group once no other
message of the group is in flight, and expired messages are requeued per group.
"""

from __future__ import annotations

from typing import Any

from localstack.services.sqs.models import FifoQueue
from localstack.utils.patch import Patch, Patches


def _group_in_flight(queue: FifoQueue, message_group_id: str) -> bool:
    return any(m.message_group_id == message_group_id for m in queue.inflight)


def _put_message(original, self: FifoQueue, message: Any) -> None:
    # A message coming back (receive count >= 1) re-opens its group only if none of the group's
    # messages is still in flight; until then it waits in the group, in order.
    if message.receive_count >= 1:
        with self.mutex:
            if _group_in_flight(self, message.message_group_id):
                self.get_message_group(message.message_group_id).push(message)
                return
    original(self, message)


def _requeue_inflight_messages(original, self: FifoQueue) -> None:
    if not self.inflight:
        return
    with self.mutex:
        expired: dict[str, list[Any]] = {}
        still_locked: set[str] = set()
        for message in self.inflight:
            if message.is_visible:
                expired.setdefault(message.message_group_id, []).append(message)
            else:
                still_locked.add(message.message_group_id)
        for group_id, messages in expired.items():
            if group_id in still_locked:
                continue  # an earlier or later message of the group is still being processed
            for message in messages:
                del self.inflight[message]
                self._put_message(message)


def fifo_group_lock_patches() -> Patches:
    """The patches; ``apply()`` them once at LocalStack start."""
    return Patches(
        [
            Patch.function(FifoQueue._put_message, _put_message),
            Patch.function(FifoQueue.requeue_inflight_messages, _requeue_inflight_messages),
        ]
    )
