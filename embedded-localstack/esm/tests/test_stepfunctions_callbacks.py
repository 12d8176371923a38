"""Task-token callbacks skip executions that are still starting (no environment yet)."""

import unittest
from types import SimpleNamespace

from localstack.aws.api.stepfunctions import ExecutionStatus, InvalidToken, SendTaskFailureOutput
from localstack.services.stepfunctions.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackOutcomeSuccess,
)
from localstack.services.stepfunctions.provider import StepFunctionsProvider

from lanes_esm.stepfunctions_callbacks import (
    _get_executions,
    _send_task_failure,
    callback_lookup_patches,
)


class Pool:
    """A callback pool holding one token."""

    def __init__(self, token):
        self.token = token
        self.notified = []

    def notify(self, callback_id, outcome):
        if callback_id != self.token:
            return False
        self.notified.append(outcome)
        return True


def starting():
    """An execution whose worker thread has not created its environment yet."""
    return SimpleNamespace(exec_status=ExecutionStatus.RUNNING, exec_worker=SimpleNamespace(env=None))


def running(token):
    pool = Pool(token)
    execution = SimpleNamespace(
        exec_status=ExecutionStatus.RUNNING,
        exec_worker=SimpleNamespace(env=SimpleNamespace(callback_pool_manager=pool)),
    )
    return execution, pool


class CallbackLookupTest(unittest.TestCase):
    def test_running_executions_for_callbacks_leave_out_the_starting_ones(self):
        ready, _ = running("t-1")
        found = _get_executions(lambda *_: [starting(), ready], None, None, ExecutionStatus.RUNNING)
        self.assertEqual(found, [ready])

    def test_other_lookups_are_unchanged(self):
        everything = [starting(), running("t-1")[0]]
        self.assertEqual(_get_executions(lambda *_: everything, None, None, None), everything)

    def test_a_failure_reaches_its_execution_past_one_that_is_starting(self):
        ready, pool = running("t-2")
        provider = SimpleNamespace(
            get_store=lambda _context: SimpleNamespace(executions={"a": starting(), "b": ready})
        )
        answer = _send_task_failure(None, provider, None, "t-2", error="Declined", cause="limit")
        self.assertEqual(answer, SendTaskFailureOutput())
        self.assertEqual(len(pool.notified), 1)
        with self.assertRaises(InvalidToken):
            _send_task_failure(None, provider, None, "unknown")

    def test_a_heartbeat_before_the_task_waits_is_accepted(self):
        patches = callback_lookup_patches()
        patches.apply()
        try:
            endpoint = CallbackEndpoint(callback_id="t-3")
            self.assertTrue(endpoint.notify_heartbeat())  # no heartbeat timer yet
            timer = endpoint.setup_heartbeat_endpoint(heartbeat_seconds=60)
            self.assertTrue(endpoint.notify_heartbeat())
            self.assertTrue(timer.clear_and_wait())  # the timer saw the heartbeat
        finally:
            patches.undo()
        self.assertFalse(CallbackEndpoint(callback_id="t-4").notify_heartbeat())

    def test_an_answer_before_the_heartbeat_timer_wakes_the_timer_at_once(self):
        patches = callback_lookup_patches()
        patches.apply()
        try:
            endpoint = CallbackEndpoint(callback_id="t-5")
            endpoint.notify(CallbackOutcomeSuccess(callback_id="t-5", output="{}"))
            timer = endpoint.setup_heartbeat_endpoint(heartbeat_seconds=300)
            # Without the patch this waits the whole 300 s for a heartbeat that never comes.
            self.assertTrue(timer.clear_and_wait())
            self.assertIsNotNone(endpoint.get_outcome())
        finally:
            patches.undo()

    def test_the_patches_apply_and_undo(self):
        original = StepFunctionsProvider.send_task_failure
        patches = callback_lookup_patches()
        patches.apply()
        try:
            self.assertIsNot(StepFunctionsProvider.send_task_failure, original)
        finally:
            patches.undo()
        self.assertIs(StepFunctionsProvider.send_task_failure, original)


if __name__ == "__main__":
    unittest.main()
