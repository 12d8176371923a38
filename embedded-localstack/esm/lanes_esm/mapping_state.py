"""A replaced mapping worker leaves the mapping's State alone.

``UpdateEventSourceMapping`` in LocalStack 4.13.1 builds a new ``EsmWorker`` for the mapping,
stops the old one and starts the new one, and both write the mapping's ``State`` into the same
store entry: the old one ``Disabling`` at once and ``Disabled`` when its poller loop has wound
down, the new one ``Enabled`` when its loop starts. When the old loop ends last (its pollers
finish their batches first), the mapping reads ``Disabled`` while the new worker polls: a
``lanes scale`` looks like it stopped the worker, and a drain right after a scale would not
disable a mapping that still polls. Here only the mapping's current worker (the last one
``EsmWorkerFactory.get_esm_worker`` built for its UUID) writes the State.
"""

from __future__ import annotations

import threading
import weakref

from localstack.services.lambda_.event_source_mapping.esm_worker import EsmWorker
from localstack.utils.patch import Patch, Patches

_lock = threading.Lock()
_current: "weakref.WeakValueDictionary[str, EsmWorker]" = weakref.WeakValueDictionary()


def is_current(worker: EsmWorker) -> bool:
    """Whether ``worker`` is the last worker built for its mapping (or none is known)."""
    uuid = worker.esm_config.get("UUID")
    with _lock:
        current = _current.get(uuid)
    return current is None or current is worker


def remember(worker: EsmWorker) -> None:
    """Records ``worker`` as its mapping's current worker (``get_esm_worker``'s patch calls it)."""
    with _lock:
        _current[worker.esm_config["UUID"]] = worker


def _update_esm_state_in_store(original, self: EsmWorker, new_state):
    if is_current(self):
        original(self, new_state)


def mapping_state_patches() -> Patches:
    """Stale workers skip their State writes (the current one is recorded by ``remember``)."""
    return Patches(
        [Patch.function(EsmWorker.update_esm_state_in_store, _update_esm_state_in_store)]
    )
