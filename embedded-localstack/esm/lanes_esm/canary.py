"""CloudFormation updates a Lambda alias, and a canary worker's alias starts a canary.

LocalStack 4.13.1's ``AWS::Lambda::Alias`` resource provider has no update (it raises
``NotImplementedError``), so any redeploy that points an alias at a new version fails the stack.
This patch updates the alias as CloudFormation does on AWS: function version, description and
routing configuration.

On AWS a lanes canary worker's alias carries CodeDeploy's ``CodeDeployLambdaAliasUpdate`` update
policy: CloudFormation hands the version change to CodeDeploy, which first sends the canary's
percentage of invocations to the new version and, after the canary interval, all of them
(unless an alarm rolls it back). LocalStack has no CodeDeploy, so the Worker construct writes the
canary into the alias's description (``lanes-canary percent=10 interval=300s``) and this patch
plays CodeDeploy's part: the alias keeps its version and routes ``percent`` % to the new one (the
invoke path already honours alias weights), and after ``interval`` it moves all traffic, if the
canary is still running then (``lanes canary rollback`` or ``promote`` ended it). Alarms do not
roll a local canary back: ``lanes canary rollback`` does.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from localstack.services.cloudformation.resource_provider import OperationStatus, ProgressEvent
from localstack.services.lambda_.resource_providers.lambda_alias import LambdaAliasProvider
from localstack.utils.patch import Patch, Patches

LOG = logging.getLogger(__name__)

#: The marker the Worker construct writes (``shared/scaling/canary-marker.ts``).
CANARY_MARKER = re.compile(r"lanes-canary percent=(\d+(?:\.\d+)?) interval=(\d+)s")

#: Promotions scheduled at the end of a local canary, by (function, alias).
_timers: dict[tuple[str, str], threading.Timer] = {}
_timers_lock = threading.Lock()


def canary_of(description: str | None) -> tuple[float, int] | None:
    """(weight 0..1, interval seconds) of a canary alias's description, or None.

    >>> canary_of("lanes-canary percent=10 interval=300s: ...")
    (0.1, 300)
    """
    match = CANARY_MARKER.search(description or "")
    if not match:
        return None
    return float(match.group(1)) / 100, int(match.group(2))


def _routing_config(model: dict[str, Any]) -> dict[str, Any]:
    """The API shape of the template's RoutingConfig (a list of version weights in CloudFormation)."""
    weights = (model.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    return {
        "AdditionalVersionWeights": {
            str(entry["FunctionVersion"]): float(entry["FunctionWeight"]) for entry in weights
        }
    }


def _promote_later(lambda_client, function: str, alias: str, version: str, seconds: int) -> None:
    def promote() -> None:
        try:
            current = lambda_client.get_alias(FunctionName=function, Name=alias)
            weights = (current.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            if version not in weights:
                return  # rolled back, promoted, or replaced by a newer canary meanwhile
            lambda_client.update_alias(
                FunctionName=function,
                Name=alias,
                FunctionVersion=version,
                RoutingConfig={"AdditionalVersionWeights": {}},
            )
            LOG.info("lanes canary: %s:%s shifted all traffic to version %s", function, alias, version)
        except Exception as error:  # the function may be gone by then
            LOG.info("lanes canary: could not promote %s:%s: %s", function, alias, error)

    timer = threading.Timer(seconds, promote)
    timer.daemon = True
    with _timers_lock:
        previous = _timers.pop((function, alias), None)
        if previous:
            previous.cancel()
        _timers[(function, alias)] = timer
    timer.start()


def _update(original, self: LambdaAliasProvider, request) -> ProgressEvent:
    model = request.desired_state
    previous = request.previous_state or {}
    lambda_client = request.aws_client_factory.lambda_
    function = model.get("FunctionName") or previous["FunctionName"]
    name = model.get("Name") or previous["Name"]
    new_version = str(model["FunctionVersion"])
    current = lambda_client.get_alias(FunctionName=function, Name=name)
    stable = str(current.get("FunctionVersion"))
    canary = canary_of(model.get("Description"))
    params = {"FunctionName": function, "Name": name, "Description": model.get("Description") or ""}
    if canary and stable not in (new_version, "$LATEST"):
        weight, interval = canary
        lambda_client.update_alias(
            **params,
            FunctionVersion=stable,
            RoutingConfig={"AdditionalVersionWeights": {new_version: weight}},
        )
        _promote_later(lambda_client, function, name, new_version, interval)
        LOG.info(
            "lanes canary: %s:%s sends %s %% to version %s, the rest to %s, for %s s",
            function, name, weight * 100, new_version, stable, interval,
        )
    else:
        lambda_client.update_alias(**params, FunctionVersion=new_version, RoutingConfig=_routing_config(model))
    model["Id"] = previous.get("Id") or current.get("AliasArn")
    return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)


def alias_update_patches() -> Patches:
    return Patches([Patch.function(LambdaAliasProvider.update, _update)])
