"""JVM options for DynamoDB Local, from ``LANES_DYNAMODB_JVM_OPTIONS``.

LocalStack 4.13.1 starts DynamoDB Local with a fixed command (its heap from
``DYNAMODB_HEAP_SIZE``, nothing else settable) and an environment of its own, so
``JAVA_TOOL_OPTIONS`` does not reach it. The embedded LocalStack sets the parallel collector
(see embedded-localstack/settings.ts for what it measured); these options are added to
LocalStack's own.
"""

from __future__ import annotations

import os
import shlex

from localstack.services.dynamodb.server import DynamodbServer
from localstack.utils.patch import Patch, Patches

OPTIONS_ENV = "LANES_DYNAMODB_JVM_OPTIONS"


def extra_options(environ=os.environ) -> list[str]:
    """The options named in ``LANES_DYNAMODB_JVM_OPTIONS``, split as a shell would."""
    return shlex.split(environ.get(OPTIONS_ENV, ""))


def _get_java_vm_options(original, self) -> list[str]:
    return [*original(self), *extra_options()]


def dynamodb_local_patches() -> Patches:
    return Patches([Patch.function(DynamodbServer._get_java_vm_options, _get_java_vm_options)])
