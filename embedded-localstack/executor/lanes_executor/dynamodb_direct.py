"""Functions' DynamoDB calls go straight to DynamoDB Local instead of through LocalStack's gateway.

LocalStack serves DynamoDB by forwarding each request to the DynamoDB Local it runs: it parses
the request, proxies it over HTTP and serializes the answer again, all in its one Python process.
Under the reference pipeline that was a third of LocalStack's time, and it shared that core with
the SQS pollers and the Lambda service, which capped the pipeline at about 55 events/s. DynamoDB
Local is the engine either way; going to it directly only skips the proxy.

On when LocalStack runs DynamoDB Local with one shared database (``DYNAMODB_SHARE_DB=1``, which
the embedded LocalStack sets): otherwise DynamoDB Local keeps one database per access key and
region, and LocalStack rewrites the credentials of each request to pick it, which a function's
SDK would not. The embedded LocalStack turns it on with ``LANES_FUNCTIONS_DYNAMODB=direct``;
``gateway`` keeps LocalStack's path (its DynamoDB request timings then include the functions').

A function whose own environment names ``AWS_ENDPOINT_URL_DYNAMODB`` keeps it.
"""

from __future__ import annotations

import logging
import os

LOG = logging.getLogger(__name__)

SETTING = "LANES_FUNCTIONS_DYNAMODB"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
# LocalStack's DynamoDB runs, so its DynamoDB Local is up or about to be.
_UP_TIMEOUT_SECONDS = 10.0


def direct_enabled() -> bool:
    mode = os.environ.get(SETTING, "gateway")
    if mode not in ("direct", "gateway"):
        LOG.warning("lanes-process: %s=%r is neither 'direct' nor 'gateway'; using 'gateway'", SETTING, mode)
        return False
    if mode == "direct" and os.environ.get("DYNAMODB_SHARE_DB") != "1":
        LOG.warning(
            "lanes-process: %s=direct needs DYNAMODB_SHARE_DB=1 (one database for all credentials); "
            "functions use LocalStack's DynamoDB endpoint",
            SETTING,
        )
        return False
    return mode == "direct"


def dynamodb_local_url() -> str | None:
    """DynamoDB Local's URL, when LocalStack's DynamoDB runs.

    Not started for the function: a table exists only once DynamoDB ran (CloudFormation creates
    tables through it), so a function spawned before that has no table to reach, and an app
    without DynamoDB should not pay for a Java process. Such a function keeps the gateway.
    """
    from localstack.services.dynamodb.server import DynamodbServer
    from localstack.services.plugins import SERVICE_PLUGINS

    try:
        if not SERVICE_PLUGINS.is_running("dynamodb"):
            return None
        server = DynamodbServer.get()
        if not server.wait_is_up(timeout=_UP_TIMEOUT_SECONDS):
            LOG.warning("lanes-process: DynamoDB Local is not up; functions use LocalStack's DynamoDB endpoint")
            return None
    except Exception as error:  # never fail an invocation for the shortcut
        LOG.warning("lanes-process: cannot reach DynamoDB Local (%s); functions use LocalStack's endpoint", error)
        return None
    # The server reports "localhost"; DynamoDB Local listens on the IPv4 loopback only.
    return f"http://127.0.0.1:{server.port}"


def with_direct_dynamodb(env: dict[str, str]) -> dict[str, str]:
    """``env`` plus ``AWS_ENDPOINT_URL_DYNAMODB`` when the direct path is on and not already set."""
    if ENDPOINT_VARIABLE in env or not direct_enabled():
        return env
    url = dynamodb_local_url()
    return {**env, ENDPOINT_VARIABLE: url} if url else env


def record_dynamodb_timings(function_arn: str, timings: object) -> None:
    """Adds an invocation's direct DynamoDB calls to the embedded LocalStack's timings.

    ``timings`` is the bootstrap's ``{operation: [count, milliseconds]}``, as the function
    measured them. They land in ``GET /_lanes/timings`` twice: under the operations, service
    ``dynamodb``, where the gateway's own DynamoDB requests are counted; and per function, group
    ``dynamodb.<operation>``, so a benchmark can tell one worker's calls from another's. Without
    the lanes event source mapping (which serves the timings) they are dropped.
    """
    if not isinstance(timings, dict) or not timings:
        return
    try:
        from lanes_esm.timings import FUNCTIONS, OPERATIONS
    except ImportError:
        return
    for operation, entry in timings.items():
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        count, milliseconds = entry
        if isinstance(count, int) and count > 0 and isinstance(milliseconds, (int, float)):
            OPERATIONS.record_many("dynamodb", str(operation), count, milliseconds / 1000)
            FUNCTIONS.record_many(f"dynamodb.{operation}", function_arn, count, milliseconds / 1000)
