"""The LocalStack internals the patches rely on, pinned by version and by a hash of their source.

The patches change behaviour inside LocalStack 4.13.1 (the last release that runs offline on
Python 3.11). Another version, or a changed copy of a patched function, could make them do the
wrong thing quietly; instead the embedded LocalStack refuses to start and names what changed.

``python -m lanes_esm.compat`` runs the same check and prints the result (the test suite runs it).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import sys

LOCALSTACK_DISTRIBUTION = "localstack-core"
LOCALSTACK_VERSION = "4.13.1"

_LAMBDA = "localstack.services.lambda_"
_ESM = f"{_LAMBDA}.event_source_mapping"
_SFN_PROVIDER = "localstack.services.stepfunctions.provider"
_SFN_CALLBACK = "localstack.services.stepfunctions.asl.eval.callback.callback"
_SFN_LOGGING = "localstack.services.stepfunctions.asl.eval.event.logging"

#: name -> (module, attribute path, sha256 of ``inspect.getsource`` in 4.13.1, first 16 digits)
PINNED_INTERNALS: dict[str, tuple[str, str, str]] = {
    "EsmWorkerFactory.get_esm_worker": (
        f"{_ESM}.esm_worker_factory",
        "EsmWorkerFactory.get_esm_worker",
        "686f7c77017e07ed",
    ),
    "EsmWorker.poller_loop": (f"{_ESM}.esm_worker", "EsmWorker.poller_loop", "0c30912d74284639"),
    "SqsPoller": (f"{_ESM}.pollers.sqs_poller", "SqsPoller", "b773e85249ea8785"),
    "EsmEventProcessor.process_events_batch": (
        f"{_ESM}.esm_event_processor",
        "EsmEventProcessor.process_events_batch",
        "a447306f20a58832",
    ),
    "LambdaSender.send_events": (f"{_ESM}.senders.lambda_sender", "LambdaSender.send_events", "61d45f857a10f701"),
    "get_internal_client": (f"{_ESM}.pipe_utils", "get_internal_client", "740d6e7c1f6d9962"),
    "CountingService.get_invocation_lease": (
        f"{_LAMBDA}.invocation.counting_service",
        "CountingService.get_invocation_lease",
        "f594940a5499a7bb",
    ),
    "LambdaProvider.validate_event_source_mapping": (
        f"{_LAMBDA}.provider",
        "LambdaProvider.validate_event_source_mapping",
        "952e4fa3cc58d885",
    ),
    "LambdaFunctionProvider.create": (
        f"{_LAMBDA}.resource_providers.aws_lambda_function",
        "LambdaFunctionProvider.create",
        "dcb6d034cc6c72a7",
    ),
    "LambdaFunctionProvider.update": (
        f"{_LAMBDA}.resource_providers.aws_lambda_function",
        "LambdaFunctionProvider.update",
        "8e1af177ac2fb933",
    ),
    "LambdaAliasProvider.update": (
        f"{_LAMBDA}.resource_providers.lambda_alias",
        "LambdaAliasProvider.update",
        "8aa093e2f1d4a324",
    ),
    "ChangeSetModel._resolve_requires_replacement": (
        "localstack.services.cloudformation.engine.v2.change_set_model",
        "ChangeSetModel._resolve_requires_replacement",
        "beabaec47ce89d9e",
    ),
    "ChangeSetModel._resolve_intrinsic_function_ref": (
        "localstack.services.cloudformation.engine.v2.change_set_model",
        "ChangeSetModel._resolve_intrinsic_function_ref",
        "73aa930a75597b66",
    ),
    "LambdaVersionProvider.delete": (
        f"{_LAMBDA}.resource_providers.aws_lambda_version",
        "LambdaVersionProvider.delete",
        "206a77d5f491e702",
    ),
    "LambdaProvider.update_alias": (f"{_LAMBDA}.provider", "LambdaProvider.update_alias", "c57b115049a7d168"),
    "EsmWorker.update_esm_state_in_store": (
        f"{_ESM}.esm_worker",
        "EsmWorker.update_esm_state_in_store",
        "eb2231e43285a815",
    ),
    # Not patched: mapping_state relies on stop() writing Disabling at once and the loop Disabled.
    "EsmWorker.stop": (f"{_ESM}.esm_worker", "EsmWorker.stop", "55e4147285f709c1"),
    "AssignmentService.__init__": (
        f"{_LAMBDA}.invocation.assignment",
        "AssignmentService.__init__",
        "ad88ee390482d287",
    ),
    # The snapshot dicts are right for it only while it iterates with ``.values()``; cold_starts
    # wraps it (the wait for a start comes before it, its body is unchanged).
    "AssignmentService.get_environment": (
        f"{_LAMBDA}.invocation.assignment",
        "AssignmentService.get_environment",
        "91986297628aed06",
    ),
    # cold_starts: an environment's release wakes an invocation waiting to start one.
    "ExecutionEnvironment.release": (
        f"{_LAMBDA}.invocation.execution_environment",
        "ExecutionEnvironment.release",
        "a60bb2034315c4be",
    ),
    "LambdaProvider._create_routing_config_model": (
        f"{_LAMBDA}.provider",
        "LambdaProvider._create_routing_config_model",
        "f3e70cacc1d3c863",
    ),
    # The weighted routing of an alias's invocations (a local canary relies on it).
    "LambdaService.invoke": (
        f"{_LAMBDA}.invocation.lambda_service",
        "LambdaService.invoke",
        "8d0926c9ee8fb534",
    ),
    "publish_sqs_metric_batch": (
        "localstack.utils.cloudwatch.cloudwatch_util",
        "publish_sqs_metric_batch",
        "25a399666de41148",
    ),
    "SqsProvider.receive_message": (
        "localstack.services.sqs.provider",
        "SqsProvider.receive_message",
        "87ca0123fbab6217",
    ),
    "SqsQueue.update_visibility_timeout": (
        "localstack.services.sqs.models",
        "SqsQueue.update_visibility_timeout",
        "a3f0da00b2f446e5",
    ),
    "ServiceRequestRouter.__call__": (
        "localstack.aws.handlers.service",
        "ServiceRequestRouter.__call__",
        "96eb7400b414b52c",
    ),
    "ExecutionEnvironment.invoke": (
        f"{_LAMBDA}.invocation.execution_environment",
        "ExecutionEnvironment.invoke",
        "cf0e0565b58f8dd8",
    ),
    "metrics.record_cw_metric_invocation": (
        f"{_LAMBDA}.invocation.metrics",
        "record_cw_metric_invocation",
        "716fd65bcb6a1272",
    ),
    "metrics.record_cw_metric_error": (
        f"{_LAMBDA}.invocation.metrics",
        "record_cw_metric_error",
        "8def1a39e6766056",
    ),
    "VersionManager.invoke": (
        f"{_LAMBDA}.invocation.version_manager",
        "LambdaVersionManager.invoke",
        "3982e0e791a38dcc",
    ),
    "FifoQueue._put_message": ("localstack.services.sqs.models", "FifoQueue._put_message", "f1d876d0f6b18655"),
    "FifoQueue.receive": ("localstack.services.sqs.models", "FifoQueue.receive", "777b7d277fb32201"),
    "StandardQueue._put_message": (
        "localstack.services.sqs.models",
        "StandardQueue._put_message",
        "34e6bf0bad882121",
    ),
    "StandardQueue.receive": ("localstack.services.sqs.models", "StandardQueue.receive", "99e0321c768afb65"),
    "FifoQueue.requeue_inflight_messages": (
        "localstack.services.sqs.models",
        "FifoQueue.requeue_inflight_messages",
        "c96b3949542fd6f4",
    ),
    "FifoQueue.update_message_group_visibility": (
        "localstack.services.sqs.models",
        "FifoQueue.update_message_group_visibility",
        "d274fd9ecb4d13af",
    ),
    # parser_caches: the cached factories, and every caller of the names it rebinds.
    "create_parser": ("localstack.aws.protocol.parser", "create_parser", "28988aa5e90831d1"),
    "create_serializer": ("localstack.aws.protocol.serializer", "create_serializer", "ce9f0bc5dbfa9fb9"),
    "ServiceRequestParser.parse_and_enrich": (
        "localstack.aws.handlers.service",
        "ServiceRequestParser.parse_and_enrich",
        "275ab30f34941218",
    ),
    "ServiceRequestRouter.create_not_implemented_response": (
        "localstack.aws.handlers.service",
        "ServiceRequestRouter.create_not_implemented_response",
        "436067b461a9e77f",
    ),
    "ServiceExceptionSerializer.create_exception_response": (
        "localstack.aws.handlers.service",
        "ServiceExceptionSerializer.create_exception_response",
        "68f9306be2e44349",
    ),
    "Skeleton.invoke": ("localstack.aws.skeleton", "Skeleton.invoke", "53c0587bd85e2fba"),
    "extract_json": (
        "localstack.services.stepfunctions.asl.utils.json_path",
        "extract_json",
        "19892e7da4d1c857",
    ),
    "ResultPath._eval_body": (
        "localstack.services.stepfunctions.asl.component.common.path.result_path",
        "ResultPath._eval_body",
        "2ca999215578c669",
    ),
    # stepfunctions_clients: the function whose connect_to it replaces, and what it caches.
    "boto_client_for": (
        "localstack.services.stepfunctions.asl.utils.boto_client",
        "boto_client_for",
        "d42f1567d85b6fa1",
    ),
    "ClientFactory.with_assumed_role": (
        "localstack.aws.connect",
        "ClientFactory.with_assumed_role",
        "22cfb31408b0b81f",
    ),
    # stepfunctions_logs: the put it buffers, its one caller, and the put it calls.
    "CloudWatchLoggingSession.publish_history_log": (
        _SFN_LOGGING,
        "CloudWatchLoggingSession.publish_history_log",
        "77c52dbbcd1ca2e7",
    ),
    "CloudWatchLoggingSession._publish_history_log_or_setup": (
        _SFN_LOGGING,
        "CloudWatchLoggingSession._publish_history_log_or_setup",
        "3586dc5478aa7c52",
    ),
    "CloudWatchLoggingSession._put_events": (
        _SFN_LOGGING,
        "CloudWatchLoggingSession._put_events",
        "d989ea61acb36050",
    ),
    # stepfunctions_callbacks: the lookup it filters, its callers, and where env is created.
    "StepFunctionsProvider._get_executions": (
        _SFN_PROVIDER,
        "StepFunctionsProvider._get_executions",
        "c9e8052d41925861",
    ),
    "StepFunctionsProvider.send_task_heartbeat": (
        _SFN_PROVIDER,
        "StepFunctionsProvider.send_task_heartbeat",
        "e1bc59ca7b162e15",
    ),
    "StepFunctionsProvider.send_task_success": (
        _SFN_PROVIDER,
        "StepFunctionsProvider.send_task_success",
        "7cdb6939ba7953e8",
    ),
    "StepFunctionsProvider.send_task_failure": (
        _SFN_PROVIDER,
        "StepFunctionsProvider.send_task_failure",
        "8a8bbcbb4b70d76f",
    ),
    "CallbackEndpoint.notify_heartbeat": (
        _SFN_CALLBACK,
        "CallbackEndpoint.notify_heartbeat",
        "838bf10119e4371e",
    ),
    "CallbackEndpoint.setup_heartbeat_endpoint": (
        _SFN_CALLBACK,
        "CallbackEndpoint.setup_heartbeat_endpoint",
        "19e0aac4bf607d9a",
    ),
    # Not patched: who asks the endpoint for a heartbeat, and how a task waits for its answer.
    "CallbackPoolManager.heartbeat": (
        _SFN_CALLBACK,
        "CallbackPoolManager.heartbeat",
        "b816a1b1ca234405",
    ),
    "StateTaskServiceCallback._wait_for_task_token_heartbeat": (
        "localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service"
        ".state_task_service_callback",
        "StateTaskServiceCallback._wait_for_task_token_heartbeat",
        "156c1dac9685af62",
    ),
    "ExecutionWorker._execution_logic": (
        "localstack.services.stepfunctions.backend.execution_worker",
        "ExecutionWorker._execution_logic",
        "baa3e2a48fd228d9",
    ),
    # lanes_executor.dynamodb_direct: functions reach DynamoDB Local itself, which works only as
    # long as -sharedDb comes from DYNAMODB_SHARE_DB and the proxy they skip does no more than
    # rewrite credentials (and check the throughput-error settings, unused here).
    "DynamodbServer.get": ("localstack.services.dynamodb.server", "DynamodbServer.get", "900b38f59757fe92"),
    "DynamodbServer.__init__": ("localstack.services.dynamodb.server", "DynamodbServer.__init__", "87c52fcc4924edd9"),
    "DynamodbServer._create_shell_command": (
        "localstack.services.dynamodb.server",
        "DynamodbServer._create_shell_command",
        "aa98a356b748a0d2",
    ),
    # moto_backends: the lookup it short-cuts, and the locked creation it still falls back to
    # (moto-ext, pinned in requirements.lock.txt with LocalStack).
    "BackendDict.__getitem__": ("moto.core.base_backend", "BackendDict.__getitem__", "16766ef9c002fbc6"),
    "BackendDict._create_account_specific_backend": (
        "moto.core.base_backend",
        "BackendDict._create_account_specific_backend",
        "e3235c2e553bb08f",
    ),
    # dynamodb_local: the JVM options it extends, placed before -jar by the command above.
    "DynamodbServer._get_java_vm_options": (
        "localstack.services.dynamodb.server",
        "DynamodbServer._get_java_vm_options",
        "394ec1d16242cdf7",
    ),
    "DynamoDBProvider.forward_request": (
        "localstack.services.dynamodb.v2.provider",
        "DynamoDBProvider.forward_request",
        "5b1adc9b6e85a41b",
    ),
    "ServicePluginManager.is_running": (
        "localstack.services.plugins",
        "ServicePluginManager.is_running",
        "750c1883a8e9cacb",
    ),
    # lanes_executor.emf_hook: EMF extraction wraps the log write; its buffer merges data points
    # because this commits once per datum.
    "LogsProvider.put_log_events": ("localstack.services.logs.provider", "LogsProvider.put_log_events", "8927f8624147166c"),
    "CloudwatchDatabase.add_metric_data": (
        "localstack.services.cloudwatch.cloudwatch_database_helper",
        "CloudwatchDatabase.add_metric_data",
        "e2b4e6c816e823f1",
    ),
}


class IncompatibleLocalStackError(RuntimeError):
    """The installed LocalStack is not the one the lanes patches were written for."""


def _resolve(module_name: str, path: str):
    target = importlib.import_module(module_name)
    for part in path.split("."):
        target = getattr(target, part)
    return target


def source_hash(module_name: str, path: str) -> str:
    source = inspect.getsource(_resolve(module_name, path))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def installed_version() -> str:
    return importlib.metadata.version(LOCALSTACK_DISTRIBUTION)


def problems() -> list[str]:
    """Everything that differs from LocalStack 4.13.1 as the patches know it (empty: compatible)."""
    found: list[str] = []
    version = installed_version()
    if version != LOCALSTACK_VERSION:
        found.append(f"{LOCALSTACK_DISTRIBUTION} is {version}, the patches are for {LOCALSTACK_VERSION}")
    for name, (module_name, path, expected) in PINNED_INTERNALS.items():
        try:
            actual = source_hash(module_name, path)
        except Exception as error:  # moved or renamed
            found.append(f"{name} ({module_name}) cannot be read: {error}")
            continue
        if actual != expected:
            found.append(f"{name} changed (source hash {actual}, expected {expected})")
    return found


def check() -> None:
    """Raises IncompatibleLocalStackError listing every difference; call before patching."""
    found = problems()
    if found:
        raise IncompatibleLocalStackError(
            "The lanes event source mapping patches LocalStack internals of "
            f"{LOCALSTACK_DISTRIBUTION}=={LOCALSTACK_VERSION}, and these differ: "
            + "; ".join(found)
            + ". Install the pinned version (npm run localstack:setup) or review the patches in "
            "embedded-localstack/esm/lanes_esm against the new code and update PINNED_INTERNALS."
        )


def main() -> int:
    if "--print-hashes" in sys.argv:
        for name, (module_name, path, _) in PINNED_INTERNALS.items():
            print(f"{name} {source_hash(module_name, path)}")
        return 0
    found = problems()
    if found:
        print("incompatible:\n- " + "\n- ".join(found))
        return 1
    print(f"compatible: {LOCALSTACK_DISTRIBUTION} {LOCALSTACK_VERSION}, {len(PINNED_INTERNALS)} internals unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
