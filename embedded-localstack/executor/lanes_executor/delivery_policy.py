"""What EventBridge does with a target delivery that fails: pure logic, no LocalStack imports.

AWS retries a delivery that failed for a reason retrying can fix (throttling, a server error, the
network) with exponential backoff, up to the target's ``RetryPolicy`` (``MaximumRetryAttempts``,
``MaximumEventAgeInSeconds``; 185 and 24 hours by default). A failure retrying cannot fix (the
target does not exist, permission denied) is not retried. Either way, once it gives up it sends
the event to the target's ``DeadLetterConfig`` queue, with the reason in message attributes
(``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``, ``EXHAUSTED_RETRY_CONDITION``,
``RETRY_ATTEMPTS``), and reports ``FailedInvocations``, ``InvocationsSentToDlq`` or
``InvocationsFailedToBeSentToDlq`` in ``AWS/Events``.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400
# Local backoff: first retry after 1 s, doubling, at most 30 s apart.
FIRST_RETRY_DELAY_SECONDS = 1.0
MAX_RETRY_DELAY_SECONDS = 30.0

_RETRYABLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
    "KMS.ThrottlingException",
}


@dataclass(frozen=True)
class DeliveryError:
    """A failed delivery as the hook saw it: the error code, message and HTTP status if any."""

    code: str
    message: str
    status: int | None = None


def describe_error(error: BaseException) -> DeliveryError:
    """The code, message and HTTP status of a botocore ``ClientError`` or any other exception."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        details = response.get("Error", {}) or {}
        status = (response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode")
        return DeliveryError(
            code=str(details.get("Code") or type(error).__name__),
            message=str(details.get("Message") or error),
            status=int(status) if status is not None else None,
        )
    return DeliveryError(code=type(error).__name__, message=str(error), status=None)


def is_retryable(error: DeliveryError) -> bool:
    """Throttling, server errors and failures without an HTTP answer are retried; 4xx are not."""
    if error.code in _RETRYABLE_CODES:
        return True
    if error.status is None:
        return True
    return error.status >= 500


def retry_policy(target: dict) -> tuple[int, int]:
    """``(MaximumRetryAttempts, MaximumEventAgeInSeconds)`` of a target, with AWS's defaults."""
    policy = target.get("RetryPolicy") or {}
    attempts = policy.get("MaximumRetryAttempts")
    age = policy.get("MaximumEventAgeInSeconds")
    return (
        DEFAULT_MAX_RETRY_ATTEMPTS if attempts is None else int(attempts),
        DEFAULT_MAX_EVENT_AGE_SECONDS if age is None else int(age),
    )


def retry_delay_seconds(retries_done: int) -> float:
    """Delay before the next retry, after ``retries_done`` retries."""
    return min(MAX_RETRY_DELAY_SECONDS, FIRST_RETRY_DELAY_SECONDS * (2**retries_done))


def next_step(
    error: DeliveryError,
    retries_done: int,
    elapsed_seconds: float,
    target: dict,
) -> tuple[str, str | None]:
    """``("retry", None)``, or ``("give-up", exhausted_condition)`` where the condition is
    ``MaximumRetryAttempts`` or ``MaximumEventAgeInSeconds`` (None for a non-retryable error)."""
    if not is_retryable(error):
        return "give-up", None
    max_attempts, max_age = retry_policy(target)
    if retries_done >= max_attempts:
        return "give-up", "MaximumRetryAttempts"
    if elapsed_seconds + retry_delay_seconds(retries_done) > max_age:
        return "give-up", "MaximumEventAgeInSeconds"
    return "retry", None


def dead_letter_attributes(
    rule_arn: str,
    target_arn: str,
    error: DeliveryError,
    retries_done: int,
    exhausted_condition: str | None,
) -> dict:
    """The SQS message attributes EventBridge puts on a dead-lettered event."""

    def string(value: str) -> dict:
        return {"DataType": "String", "StringValue": value}

    attributes = {
        "RULE_ARN": string(rule_arn),
        "TARGET_ARN": string(target_arn),
        "ERROR_CODE": string(error.code),
        "ERROR_MESSAGE": string(error.message[:1000] or error.code),
        "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(retries_done)},
    }
    if exhausted_condition:
        attributes["EXHAUSTED_RETRY_CONDITION"] = string(exhausted_condition)
    return attributes


def rule_metric_dimensions(rule_arn: str) -> list[dict]:
    """``AWS/Events`` dimensions of a rule: ``EventBusName`` and ``RuleName`` on a custom bus
    (``rule/<bus>/<rule>``), ``RuleName`` alone on the default bus (``rule/<rule>``)."""
    resource = rule_arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) >= 3 and parts[1] != "default":
        return [
            {"Name": "EventBusName", "Value": parts[1]},
            {"Name": "RuleName", "Value": "/".join(parts[2:])},
        ]
    return [{"Name": "RuleName", "Value": parts[-1]}]
