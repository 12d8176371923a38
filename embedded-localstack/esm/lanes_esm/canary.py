"""CloudFormation updates a Lambda alias, and a canary worker's alias starts a canary.

LocalStack 4.13.1 cannot redeploy an alias at a new version: its change set model counts a
``Ref`` to a resource that was modified (the function, whose code or environment changed) as a
changed value, so the alias's ``FunctionName`` (create-only) looks changed and the alias is
replaced; the replacement creates an alias of the same name, which already exists, and the stack
update fails. And its ``AWS::Lambda::Alias`` resource provider has no update (it raises
``NotImplementedError``). These patches keep an alias whose ``FunctionName`` still refers to the
same, not replaced, function (a ``Ref`` returns its name, which did not change), and update the
alias as CloudFormation does on AWS: function version, description and routing configuration.
It also deletes a replaced ``AWS::Lambda::Version`` even when its ``DeletionPolicy`` is
``Retain`` (the v2 engine does not read it on removal), and Lambda lets it delete a version an
alias still routes to (AWS refuses: ``ResourceConflictException``): the canary's stable version
vanished under its alias. A patch keeps a version that an alias points or routes to.
A last one fixes ``UpdateAlias`` with version weights, which LocalStack 4.13.1 fails with an
InternalError (its ``update_alias`` calls the routing check without the version it checks
against): both the local canary and a user's own weighted alias need it.

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

import dataclasses
import logging
import re
import threading
from typing import Any

from localstack.services.cloudformation.engine.v2.change_set_model import (
    ChangeSetModel,
    ChangeType,
    NodeIntrinsicFunction,
    TerminalValueUnchanged,
)
from localstack.services.cloudformation.resource_provider import OperationStatus, ProgressEvent
from localstack.services.lambda_ import api_utils
from localstack.services.lambda_.provider import LambdaProvider
from localstack.services.lambda_.provider_utils import get_function_version
from localstack.services.lambda_.resource_providers.aws_lambda_version import LambdaVersionProvider
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


def _update_alias(original, self: LambdaProvider, context, function_name, name, *args, **kwargs):
    routing_config = kwargs.get("routing_config")
    weights = (routing_config or {}).get("AdditionalVersionWeights")
    if not weights:
        return original(self, context, function_name, name, *args, **kwargs)
    # Everything else as LocalStack does it; then the weights, checked against the version the
    # alias now points at (what the routing check needs and LocalStack's call leaves out).
    original(self, context, function_name, name, *args, **{**kwargs, "routing_config": None})
    account_id, region = api_utils.get_account_and_region(function_name, context)
    plain_name = api_utils.get_function_name(function_name, context)
    function = self._get_function(function_name=plain_name, region=region, account_id=account_id)
    alias = function.aliases[name]
    target = get_function_version(
        function_name=plain_name, qualifier=alias.function_version, account_id=account_id, region=region
    )
    weighted = dataclasses.replace(
        alias, routing_configuration=self._create_routing_config_model(weights, target)
    )
    function.aliases[name] = weighted
    self.lambda_service.update_alias(old_alias=alias, new_alias=weighted, function=function)
    return api_utils.map_alias_out(alias=weighted, function=function)


def versions_in_use(lambda_client, function_name: str) -> set[str]:
    """The versions the function's aliases point or route to."""
    in_use: set[str] = set()
    marker = None
    while True:
        page = lambda_client.list_aliases(FunctionName=function_name, **({"Marker": marker} if marker else {}))
        for alias in page.get("Aliases", []):
            in_use.add(str(alias.get("FunctionVersion")))
            in_use.update((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {}).keys())
        marker = page.get("NextMarker")
        if not marker:
            return in_use


def _delete_version(original, self: LambdaVersionProvider, request) -> ProgressEvent:
    model = request.desired_state
    version = str(model.get("Version"))
    try:
        in_use = versions_in_use(request.aws_client_factory.lambda_, model["FunctionName"])
    except Exception:  # the function is gone: nothing refers to the version any more
        in_use = set()
    if version in in_use:
        LOG.info("lanes canary: keeping version %s of %s: an alias still routes to it", version, model["FunctionName"])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model, custom_context=request.custom_context)
    return original(self, request)


ALIAS_TYPE = "AWS::Lambda::Alias"


def _is_ref_to_same_resource(model: ChangeSetModel, value) -> bool:
    """A ``Ref`` whose logical id did not change, to a resource that is not being replaced."""
    if not isinstance(value, NodeIntrinsicFunction) or value.intrinsic_function != "Ref":
        return False
    if not isinstance(value.arguments, TerminalValueUnchanged):
        return False
    target = model._retrieve_or_visit_resource(resource_name=value.arguments.value)
    return not target.requires_replacement


def _resolve_requires_replacement(original, self: ChangeSetModel, node_properties, resource_type) -> bool:
    if resource_type.value != ALIAS_TYPE or not original(self, node_properties, resource_type):
        return original(self, node_properties, resource_type)
    # The same rule as LocalStack's, except that a Ref to the same, kept resource is no change.
    for node_property in node_properties.properties:
        if node_property.name not in ("Name", "FunctionName"):
            continue
        if node_property.change_type == ChangeType.UNCHANGED:
            continue
        if _is_ref_to_same_resource(self, node_property.value):
            continue
        return True
    return False


def alias_update_patches() -> Patches:
    return Patches(
        [
            Patch.function(LambdaAliasProvider.update, _update),
            Patch.function(LambdaProvider.update_alias, _update_alias),
            Patch.function(LambdaVersionProvider.delete, _delete_version),
            Patch.function(ChangeSetModel._resolve_requires_replacement, _resolve_requires_replacement),
        ]
    )
