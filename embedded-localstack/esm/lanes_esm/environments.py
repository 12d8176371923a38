"""Execution environments that concurrent invocations can look up safely.

LocalStack 4.13.1's ``AssignmentService.get_environment`` iterates over a function's environments
(``self.environments[version].values()``) while other threads add one (a cold start), remove one
(a timeout, a stop) or reserve one, with no lock. With several batches in flight (the lanes
mapping) or a Step Functions Parallel state invoking at once, the iteration fails with
``RuntimeError: dictionary changed size during iteration`` and the invocation fails as an
internal error, which AWS would never return. Here each function's environments live in a dict
whose ``values()`` is a snapshot, so a lookup sees the environments of one moment and the
``reserve()`` that follows settles which one it gets (it raises for an environment taken since).
"""

from __future__ import annotations

from collections import defaultdict

from localstack.services.lambda_.invocation import assignment
from localstack.utils.patch import Patch, Patches


class SnapshotDict(dict):
    """A dict whose ``values()`` is a list copied under the GIL: safe to iterate while it changes."""

    def values(self):  # type: ignore[override]
        return list(super().values())


def _init(original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    self.environments = defaultdict(SnapshotDict, self.environments)


def environment_lookup_patches() -> Patches:
    """Gives every AssignmentService (created once, when Lambda's provider loads) snapshot dicts."""
    return Patches([Patch.function(assignment.AssignmentService.__init__, _init)])
