"""Moto's per-account backends, looked up without its global lock once they exist.

``BackendDict.__getitem__`` in the moto of LocalStack 4.13.1 takes moto's one global
``backend_lock`` on every lookup of an account's backend, even when the backend has long
existed. Every moto-served call looks one up, several times (``mark_account_as_visited``, the
handler's backend): CloudWatch Logs' ``PutLogEvents`` for each Lambda invocation's log,
SQS-backed parts, STS. With many threads (each running Step Functions execution has its own), a
thread that holds the lock can wait for the GIL while the others queue behind the lock: under
``npm run bench:workflows`` py-spy found LocalStack's threads in that lock in 38 % of its samples.

A backend, once created, is never replaced, so a lookup that finds it returns it at once (a
dict read is atomic under the GIL); only a missing account takes the original, locked path that
creates it.
"""

from __future__ import annotations

from moto.core.base_backend import BackendDict
from localstack.utils.patch import Patch, Patches


def _getitem(original, self: BackendDict, account_id: str):
    try:
        return dict.__getitem__(self, account_id)
    except KeyError:
        return original(self, account_id)


def moto_backend_patches() -> Patches:
    return Patches([Patch.function(BackendDict.__getitem__, _getitem)])
