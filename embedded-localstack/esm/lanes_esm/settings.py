"""Settings of the lanes SQS event source mapping, read from the LocalStack process environment.

Every default is the AWS number (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html,
services-sqs-parameters.html), so an unconfigured mapping scales like one on AWS. Tests compress time
per mapping with the tag ``lanes:scale-up-per-minute`` (see ``TAG_SCALE_UP_PER_MINUTE``) instead of
restarting LocalStack with other values.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

#: Tag on an event source mapping that overrides the scale-up rate of that mapping only.
TAG_SCALE_UP_PER_MINUTE = "lanes:scale-up-per-minute"


class SettingsError(ValueError):
    """A LANES_ESM_* variable holds a value the mapping cannot use; the message names it."""


def _number(env: dict[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number (given {raw!r})") from error
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g} (given {raw!r})")
    return value


@dataclass(frozen=True)
class EsmSettings:
    """How the mapping scales and polls. Field docs name the environment variable."""

    #: LANES_ESM_INITIAL_CONCURRENCY: concurrent batches of a standard-mode mapping at start and
    #: when idle (AWS: 5).
    initial_concurrency: int = 5
    #: LANES_ESM_SCALE_UP_PER_MINUTE: concurrent batches added per minute while messages are
    #: waiting (AWS: 300).
    scale_up_per_minute: float = 300.0
    #: LANES_ESM_CONCURRENCY_LIMIT: most concurrent batches of one mapping without
    #: MaximumConcurrency (AWS: 1,000).
    concurrency_limit: int = 1000
    #: LANES_ESM_PROVISIONED_SCALE_UP_PER_MINUTE: concurrency added per minute in provisioned
    #: mode (AWS states about 3x standard mode: 1,000).
    provisioned_scale_up_per_minute: float = 1000.0
    #: LANES_ESM_INVOKES_PER_POLLER: concurrent invocations one provisioned poller drives (AWS: 10).
    invokes_per_poller: int = 10
    #: LANES_ESM_POLL_WAIT_SECONDS: long-poll wait of an idle poller (AWS long-polls 20 s); a
    #: stopped mapping's pollers end within this time.
    poll_wait_seconds: float = 20.0
    #: LANES_ESM_THROTTLE_BACKOFF_MAX_SECONDS: longest pause of a poller after throttled
    #: invocations (doubling from 1 s).
    throttle_backoff_max_seconds: float = 20.0

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> EsmSettings:
        env = dict(os.environ if env is None else env)
        return cls(
            initial_concurrency=int(_number(env, "LANES_ESM_INITIAL_CONCURRENCY", 5, 1)),
            scale_up_per_minute=_number(env, "LANES_ESM_SCALE_UP_PER_MINUTE", 300, 0),
            concurrency_limit=int(_number(env, "LANES_ESM_CONCURRENCY_LIMIT", 1000, 1)),
            provisioned_scale_up_per_minute=_number(
                env, "LANES_ESM_PROVISIONED_SCALE_UP_PER_MINUTE", 1000, 0
            ),
            invokes_per_poller=int(_number(env, "LANES_ESM_INVOKES_PER_POLLER", 10, 1)),
            poll_wait_seconds=min(20.0, _number(env, "LANES_ESM_POLL_WAIT_SECONDS", 20, 0)),
            throttle_backoff_max_seconds=_number(
                env, "LANES_ESM_THROTTLE_BACKOFF_MAX_SECONDS", 20, 1
            ),
        )

    def as_json(self) -> dict:
        def camel(name: str) -> str:
            head, *rest = name.split("_")
            return head + "".join(part.title() for part in rest)

        return {camel(key): value for key, value in asdict(self).items()}
