"""CloudFormation applies ``AWS::Lambda::Function.ReservedConcurrentExecutions``.

LocalStack 4.13.1's function resource provider creates and updates the function but never calls
PutFunctionConcurrency, so a reservation set in a template (CDK ``reservedConcurrentExecutions``)
is ignored and the function scales into the account pool. These patches set it after the function
is active, and put or remove it on update, as CloudFormation does on AWS.
"""

from __future__ import annotations

from localstack.services.cloudformation.resource_provider import OperationStatus
from localstack.services.lambda_.resource_providers.aws_lambda_function import (
    LambdaFunctionProvider,
)
from localstack.utils.patch import Patch, Patches

PROPERTY = "ReservedConcurrentExecutions"


def _apply_reservation(lambda_client, function_name: str, reserved) -> None:
    if reserved is None:
        lambda_client.delete_function_concurrency(FunctionName=function_name)
    else:
        lambda_client.put_function_concurrency(
            FunctionName=function_name, ReservedConcurrentExecutions=int(reserved)
        )


def _create(original, self: LambdaFunctionProvider, request):
    event = original(self, request)
    model = request.desired_state
    if event.status == OperationStatus.SUCCESS and model.get(PROPERTY) is not None:
        _apply_reservation(request.aws_client_factory.lambda_, model["FunctionName"], model[PROPERTY])
    return event


def _update(original, self: LambdaFunctionProvider, request):
    event = original(self, request)
    before = (request.previous_state or {}).get(PROPERTY)
    after = request.desired_state.get(PROPERTY)
    if event.status == OperationStatus.SUCCESS and before != after:
        name = request.desired_state.get("FunctionName") or request.previous_state["FunctionName"]
        _apply_reservation(request.aws_client_factory.lambda_, name, after)
    return event


def reserved_concurrency_patches() -> Patches:
    return Patches(
        [
            Patch.function(LambdaFunctionProvider.create, _create),
            Patch.function(LambdaFunctionProvider.update, _update),
        ]
    )
