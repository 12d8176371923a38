"""Task-token callbacks that do not fail because another execution is still starting.

LocalStack 4.13.1 answers ``SendTaskHeartbeat``, ``SendTaskSuccess`` and ``SendTaskFailure`` by
asking every execution in turn whether the token is one of its callbacks
(``execution.exec_worker.env.callback_pool_manager``). An execution's ``env`` is only created in
its worker thread, after the state machine definition is parsed, so an execution that is still
starting has ``env = None`` and the lookup raises ``AttributeError`` for the whole call, which the
caller sees as an InternalError: ``'NoneType' object has no attribute 'callback_pool_manager'``.
With many executions starting at once (500 in ``npm run bench:workflows``) nearly every
heartbeat of a queue-dispatched step failed that way, its batch was retried, and the workflows
stalled. An execution without an environment has issued no task token, so here the lookup skips
it, which is what AWS's answer for that token would be.

A heartbeat also failed (``InvalidToken``) when it came before the task had set up its heartbeat
timer: the state sends the message first and starts the timer afterwards, so a worker that picked
the step up at once was told its token was invalid, dropped the step as stale, and the workflow
waited for the heartbeat timeout (5 minutes). A task without a heartbeat timeout refused every
heartbeat the same way. AWS accepts a heartbeat for any valid token; here too.

And an answer (SendTaskSuccess or SendTaskFailure) that came before the timer was set up was
lost until the heartbeat timeout: the task waits on the timer, which the answer never signalled.
A timer set up after the answer is signalled at once here.
"""

from __future__ import annotations

from localstack.aws.api import RequestContext
from localstack.aws.api.stepfunctions import (
    ExecutionStatus,
    InvalidToken,
    SendTaskFailureOutput,
    TaskDoesNotExist,
    TaskTimedOut,
)
from localstack.services.stepfunctions.asl.eval.callback.callback import (
    CallbackConsumerTimeout,
    CallbackEndpoint,
    CallbackNotifyConsumerError,
    CallbackOutcomeFailure,
)
from localstack.services.stepfunctions.provider import StepFunctionsProvider
from localstack.utils.patch import Patch, Patches


def has_environment(execution) -> bool:
    """Whether the execution's program runs (and so may hold task tokens)."""
    worker = execution.exec_worker
    return worker is not None and worker.env is not None


def _get_executions(original, self, context: RequestContext, execution_status=None):
    executions = original(self, context, execution_status)
    if execution_status == ExecutionStatus.RUNNING:
        # Only the heartbeat and success callbacks ask for running executions.
        return [execution for execution in executions if has_environment(execution)]
    return executions


def _send_task_failure(
    _original,
    self: StepFunctionsProvider,
    context: RequestContext,
    task_token,
    error=None,
    cause=None,
    **kwargs,
) -> SendTaskFailureOutput:
    # LocalStack's own body, with executions that have no environment yet skipped.
    outcome = CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause)
    store = self.get_store(context)
    for execution in list(store.executions.values()):
        if not has_environment(execution):
            continue
        try:
            if execution.exec_worker.env.callback_pool_manager.notify(
                callback_id=task_token, outcome=outcome
            ):
                return SendTaskFailureOutput()
        except CallbackNotifyConsumerError as consumer_error:
            if isinstance(consumer_error, CallbackConsumerTimeout):
                raise TaskTimedOut()
            raise TaskDoesNotExist()
    raise InvalidToken("Invalid token")


def _notify_heartbeat(_original, self: CallbackEndpoint) -> bool:
    endpoint = self._heartbeat_endpoint
    if endpoint is not None:
        endpoint.notify()
    # The token is valid (its endpoint exists): a timer that starts later starts afresh anyway.
    return True


def _setup_heartbeat_endpoint(original, self: CallbackEndpoint, heartbeat_seconds: int):
    endpoint = original(self, heartbeat_seconds=heartbeat_seconds)
    # The answer came first (a fast worker): wake the wait at once instead of at the timeout.
    if self.get_outcome() is not None:
        endpoint.notify()
    return endpoint


def callback_lookup_patches() -> Patches:
    return Patches(
        [
            Patch.function(StepFunctionsProvider._get_executions, _get_executions),
            Patch.function(StepFunctionsProvider.send_task_failure, _send_task_failure),
            Patch.function(CallbackEndpoint.notify_heartbeat, _notify_heartbeat),
            Patch.function(CallbackEndpoint.setup_heartbeat_endpoint, _setup_heartbeat_endpoint),
        ]
    )
