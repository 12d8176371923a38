"""CreateEventSourceMapping / UpdateEventSourceMapping refuse SQS settings AWS refuses.

LocalStack 4.13.1 takes any ``ScalingConfig`` and ``ProvisionedPollerConfig`` (it ignored both) and
reads a FIFO queue's ARN as a standard queue's, so it accepts batch sizes up to 10,000 and
batching windows on FIFO queues. Now that the mapping honours these settings, a value AWS would
reject must be rejected here too, with a message that says what to change.
"""

from __future__ import annotations

from localstack.aws.api.lambda_ import InvalidParameterValueException
from localstack.services.lambda_.provider import LambdaProvider
from localstack.utils.patch import Patch, Patches

FIFO_MAX_BATCH_SIZE = 10
MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
MINIMUM_POLLERS_RANGE = (2, 200)
MAXIMUM_POLLERS_RANGE = (2, 2000)


def sqs_mapping_problems(request: dict) -> list[str]:
    """What AWS would refuse in an SQS mapping request (empty when it is valid)."""
    source = request.get("EventSourceArn") or ""
    if not source.startswith("arn:") or ":sqs:" not in source:
        return []
    problems: list[str] = []
    fifo = source.endswith(".fifo")
    batch_size = request.get("BatchSize")
    if fifo and batch_size is not None and int(batch_size) > FIFO_MAX_BATCH_SIZE:
        problems.append(
            f"BatchSize must be between 1 and {FIFO_MAX_BATCH_SIZE} for a FIFO queue (given {batch_size}); use a standard queue for larger batches."
        )
    if fifo and int(request.get("MaximumBatchingWindowInSeconds") or 0) > 0:
        problems.append(
            f"MaximumBatchingWindowInSeconds is not supported for FIFO queues (given {request['MaximumBatchingWindowInSeconds']}); remove it."
        )
    scaling = request.get("ScalingConfig") or {}
    maximum = scaling.get("MaximumConcurrency")
    low, high = MAXIMUM_CONCURRENCY_RANGE
    if maximum is not None and not low <= int(maximum) <= high:
        problems.append(
            f"ScalingConfig.MaximumConcurrency must be between {low} and {high} (given {maximum})."
        )
    provisioned = request.get("ProvisionedPollerConfig") or {}
    if provisioned and maximum is not None:
        problems.append(
            "ScalingConfig.MaximumConcurrency cannot be combined with ProvisionedPollerConfig: set one of them."
        )
    for field, (low, high) in (
        ("MinimumPollers", MINIMUM_POLLERS_RANGE),
        ("MaximumPollers", MAXIMUM_POLLERS_RANGE),
    ):
        value = provisioned.get(field)
        if value is not None and not low <= int(value) <= high:
            problems.append(
                f"ProvisionedPollerConfig.{field} must be between {low} and {high} for SQS (given {value})."
            )
    minimum_pollers = provisioned.get("MinimumPollers")
    maximum_pollers = provisioned.get("MaximumPollers")
    if (
        minimum_pollers is not None
        and maximum_pollers is not None
        and int(minimum_pollers) > int(maximum_pollers)
    ):
        problems.append(
            f"ProvisionedPollerConfig.MinimumPollers ({minimum_pollers}) must not exceed MaximumPollers ({maximum_pollers})."
        )
    return problems


def _validate_event_source_mapping(original, self: LambdaProvider, context, request):
    problems = sqs_mapping_problems(dict(request))
    if problems:
        raise InvalidParameterValueException(" ".join(problems), Type="User")
    return original(self, context, request)


def sqs_mapping_validation_patches() -> Patches:
    return Patches(
        [Patch.function(LambdaProvider.validate_event_source_mapping, _validate_event_source_mapping)]
    )
