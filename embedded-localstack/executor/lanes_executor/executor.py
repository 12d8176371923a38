"""A LocalStack ``RuntimeExecutor`` whose execution environments are Node.js child processes.

One executor instance is one execution environment: LocalStack's assignment service creates as
many as it needs for concurrent invocations of a function and sends each one invocation at a
time, so parallelism comes from several processes, never from overlapping invokes in one.

Protocol with ``bootstrap.cjs`` (JSON lines over two pipes, so the handler's own stdout and
stderr stay free for logs):

- child -> parent on the response pipe: ``{"type": "ready"}`` once the handler module loaded,
  ``{"type": "init-error", "error": {...}}`` when it did not, then per invocation
  ``{"type": "result", "id": ..., "payload": "<json>"}`` or ``{"type": "error", "id": ..., "error": {...}}``;
- parent -> child on the command pipe: ``{"type": "invoke", "id", "payload", "deadlineMs", ...}``.

The executor, not the child, enforces the function timeout: a child that does not answer in time
is killed with its process group, the invocation fails with ``Sandbox.Timedout`` and the next
invocation starts a fresh process (a new init, as on AWS). A child that answers a ``TimeoutError``
itself (middy's early timeout, just before the deadline) is ended the same way: the work it
abandoned would otherwise go on and apply its effects while the batch is retried elsewhere.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from lanes_executor.dynamodb_direct import record_dynamodb_timings, with_direct_dynamodb

LOG = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.cjs")
# Marker line the bootstrap writes to stdout after each invocation, so the logs of one
# invocation can be cut exactly even though they arrive on another pipe than the result.
END_MARKER = "\x1elanes-invocation-end "
# How long a stopping child gets between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 2.0
# Upper bound on kept log lines per environment (get_logs is for diagnostics only).
MAX_LOG_LINES = 2000
# Host variables a Node process needs; nothing else of LocalStack's own environment leaks in.
INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS")


def _error_payload(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    return json.dumps(
        {"errorType": error_type, "errorMessage": message, "stackTrace": stack or []}
    ).encode()


# Error types a handler answers when it timed itself out: middy's early timeout, and Node's own
# AbortSignal.timeout(), both name it TimeoutError.
TIMEOUT_ERROR_TYPES = frozenset({"TimeoutError"})


def _is_timeout(error: dict) -> bool:
    return isinstance(error, dict) and error.get("errorType") in TIMEOUT_ERROR_TYPES


def _node_binary() -> str:
    node = os.environ.get("LANES_NODE_BINARY") or shutil.which("node")
    if not node:
        raise LambdaRuntimeException(
            "lanes-process executor: no `node` on PATH. Install Node.js or set LANES_NODE_BINARY."
        )
    return node


class _ChildProcess:
    """A running bootstrap process with its pipes and reader threads."""

    def __init__(self, popen: subprocess.Popen, commands, responses: queue.Queue):
        self.popen = popen
        self.commands = commands
        self.responses = responses
        self.invocation_ended: dict[str, threading.Event] = {}

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


class ProcessRuntimeExecutor(RuntimeExecutor):
    """Runs one execution environment of a Node.js function as a local process."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self._env: dict[str, str] = {}
        self._child: _ChildProcess | None = None
        self._lock = threading.RLock()
        self._all_logs: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self._invocation_logs: list[str] = []
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self._env = self._environment(env_vars)
        self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            child, self._child = self._child, None
        if child:
            self._terminate(child)

    def _code_dir(self) -> Path:
        code = self.function_version.config.code
        if code is None:
            raise LambdaRuntimeException(
                f"Function {self.function_version.qualified_arn} has no code archive; "
                "image functions are not supported by the lanes-process executor."
            )
        return Path(code.get_unzipped_code_location())

    def _environment(self, env_vars: dict[str, str]) -> dict[str, str]:
        env = {key: os.environ[key] for key in INHERITED_VARIABLES if key in os.environ}
        env.update({key: str(value) for key, value in env_vars.items() if value is not None})
        runtime = self.function_version.config.runtime or "nodejs"
        # Paths that point into the Lambda container image on AWS point at the real places here.
        env["LAMBDA_TASK_ROOT"] = str(self._code_dir())
        env["LAMBDA_RUNTIME_DIR"] = str(BOOTSTRAP.parent)
        env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_{runtime}"
        env.setdefault("NODE_OPTIONS", "--enable-source-maps")
        # The declared runtime is newer than the local Node: the SDK's warning that Node 20
        # support ends would not appear on Lambda. This is the SDK's own switch for it.
        env.setdefault("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true")
        return with_direct_dynamodb(env)

    def _spawn(self) -> None:
        """Start the bootstrap and wait for it to load the handler (raises on init errors)."""
        command_read, command_write = os.pipe()
        response_read, response_write = os.pipe()
        env = dict(self._env)
        env["LANES_COMMAND_FD"] = str(command_read)
        env["LANES_RESPONSE_FD"] = str(response_write)
        try:
            popen = subprocess.Popen(
                [_node_binary(), str(BOOTSTRAP)],
                cwd=str(self._code_dir()),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(command_read, response_write),
                # Own process group: a timeout kills the handler's subprocesses too.
                start_new_session=True,
            )
        finally:
            os.close(command_read)
            os.close(response_write)
        responses: queue.Queue = queue.Queue()
        child = _ChildProcess(popen, os.fdopen(command_write, "w", buffering=1), responses)
        threading.Thread(
            target=self._read_responses, args=(child, os.fdopen(response_read, "r")), daemon=True,
            name=f"lanes-lambda-responses-{self.id}",
        ).start()
        threading.Thread(
            target=self._read_logs, args=(child,), daemon=True, name=f"lanes-lambda-logs-{self.id}"
        ).start()
        with self._lock:
            self._child = child

        startup_seconds = float(config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)
        try:
            message = responses.get(timeout=startup_seconds)
        except queue.Empty:
            self._terminate(child)
            raise StatusErrorException(
                "Environment startup timed out",
                payload=_error_payload(
                    "Runtime.InitTimeout",
                    f"The handler module did not load within {startup_seconds:.0f} s "
                    "(LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT).",
                ),
            )
        if message is None:
            code = child.popen.wait()
            self._forget(child)
            raise StatusErrorException(
                "Environment startup failed",
                payload=_error_payload(
                    "Runtime.ExitError",
                    f"The runtime exited during init with exit code {code}. Logs:\n{self.get_logs()}",
                ),
            )
        if message.get("type") == "init-error":
            self._terminate(child)
            error = message.get("error", {})
            raise StatusErrorException(
                "Environment startup failed",
                payload=json.dumps(error).encode(),
            )

    def _terminate(self, child: _ChildProcess) -> None:
        try:
            child.commands.close()
        except OSError:
            pass
        if child.alive:
            try:
                os.killpg(child.popen.pid, signal.SIGTERM)
                child.popen.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(child.popen.pid, signal.SIGKILL)
                child.popen.wait()
            except ProcessLookupError:
                pass
        self._forget(child)

    def _forget(self, child: _ChildProcess) -> None:
        with self._lock:
            if self._child is child:
                self._child = None

    # -- reader threads --------------------------------------------------------------------

    def _read_responses(self, child: _ChildProcess, stream) -> None:
        with stream:
            for line in stream:
                try:
                    child.responses.put(json.loads(line))
                except json.JSONDecodeError:
                    LOG.warning("lanes-process: unreadable message from runtime %s: %r", self.id, line)
        child.responses.put(None)  # EOF: the process is gone

    def _read_logs(self, child: _ChildProcess) -> None:
        assert child.popen.stdout is not None
        for raw in child.popen.stdout:
            line = raw.decode("utf-8", errors="replace")
            if line.startswith(END_MARKER):
                request_id = line[len(END_MARKER) :].strip()
                ended = child.invocation_ended.get(request_id)
                if ended:
                    ended.set()
                continue
            self._all_logs.append(line)
            self._invocation_logs.append(line)
            LOG.debug("[lambda %s] %s", self.id, line.rstrip())

    # -- invocations -----------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        timeout_seconds = float(self.function_version.config.timeout)
        with self._lock:
            child = self._child
        if child is None or not child.alive:
            try:
                self._spawn()  # a previous timeout or crash replaced the process: init again
            except StatusErrorException as error:
                return InvocationResult(request_id, error.payload, is_error=True, logs=self.get_logs())
            with self._lock:
                child = self._child
        assert child is not None

        self._invocation_logs = []
        ended = threading.Event()
        child.invocation_ended[request_id] = ended
        started = time.monotonic()
        command = {
            "type": "invoke",
            "id": request_id,
            "payload": payload.get("payload", ""),
            "invokedFunctionArn": payload.get("invoked-function-arn"),
            "traceId": payload.get("trace-id"),
            "deadlineMs": int(time.time() * 1000 + timeout_seconds * 1000),
        }
        try:
            child.commands.write(json.dumps(command) + "\n")
            child.commands.flush()
        except (BrokenPipeError, ValueError, OSError):
            child.invocation_ended.pop(request_id, None)
            self._terminate(child)
            return self._result(request_id, _error_payload(
                "Runtime.ExitError", "The runtime process exited before the invocation was sent."
            ), is_error=True)

        try:
            return self._await_result(child, request_id, ended, started, timeout_seconds)
        finally:
            # Only now: the end marker may still be on its way when the result has arrived.
            child.invocation_ended.pop(request_id, None)

    def _await_result(
        self,
        child: _ChildProcess,
        request_id: str,
        ended: threading.Event,
        started: float,
        timeout_seconds: float,
    ) -> InvocationResult:
        try:
            message = child.responses.get(timeout=timeout_seconds)
        except queue.Empty:
            self._terminate(child)
            elapsed = time.monotonic() - started
            LOG.info("lanes-process: %s timed out after %.2f s", request_id, elapsed)
            timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            return self._result(request_id, _error_payload(
                "Sandbox.Timedout",
                f"{timestamp} {request_id} Task timed out after {timeout_seconds:.2f} seconds",
            ), is_error=True)

        if message is None:
            code = child.popen.wait()
            self._forget(child)
            return self._result(request_id, _error_payload(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
            ), is_error=True)
        record_dynamodb_timings(self.function_version.id.unqualified_arn(), message.get("dynamodb"))
        # The result can overtake the last log lines on the other pipe: wait for the marker.
        if not ended.wait(timeout=1.0):
            LOG.warning("lanes-process: no end-of-logs marker for %s; its last log lines may be missing", request_id)
        if message.get("type") == "result":
            return self._result(request_id, (message.get("payload") or "null").encode(), is_error=False)
        if message.get("type") == "error":
            error = message.get("error", {})
            if message.get("fatal"):
                self._terminate(child)  # uncaught exception: the process state is unknown
            elif _is_timeout(error):
                # The handler answered its own timeout (middy's early timeout): the work it gave up
                # on may still be running and would write its effects after the batch has been
                # handed to another invocation. End the process, as a real timeout does.
                LOG.info("lanes-process: %s answered a timeout (%s); ending the process", request_id, error.get("errorType"))
                self._terminate(child)
            return self._result(request_id, json.dumps(error).encode(), is_error=True)
        return self._result(request_id, _error_payload(
            "Runtime.InvalidResponse", f"Unexpected message from the runtime: {message!r}"
        ), is_error=True)

    def _result(self, request_id: str, payload: bytes, is_error: bool) -> InvocationResult:
        logs = "".join(self._invocation_logs)
        return InvocationResult(request_id, payload, is_error=is_error, logs=logs)

    # -- addresses (unused by this executor's invoke path, required by the interface) -------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return f"http://127.0.0.1:{config.GATEWAY_LISTEN[0].port}/_localstack_lambda/{self.id}"

    def get_logs(self) -> str:
        return "".join(self._all_logs)

    # -- versions --------------------------------------------------------------------------

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        runtime = function_version.config.runtime or ""
        if not runtime.startswith("nodejs"):
            raise LambdaRuntimeException(
                f"The lanes-process executor runs Node.js functions only; {function_version.id.function_name} "
                f"uses {runtime or 'a container image'}. Use LocalStack in Docker for other runtimes."
            )
        if function_version.config.layers:
            LOG.warning(
                "lanes-process: %s declares layers; layers are not mounted by this executor "
                "(bundle dependencies into the function code).",
                function_version.id.function_name,
            )
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        # The unzipped code is LocalStack's cache (shared between versions with the same code).
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        try:
            _node_binary()
        except LambdaRuntimeException as error:
            LOG.warning("%s", error)
            return False
        return True
