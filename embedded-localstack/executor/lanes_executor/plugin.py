"""plux plugin that makes the executor discoverable as ``LAMBDA_RUNTIME_EXECUTOR=lanes-process``."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class ProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "lanes-process"

    def load(self, *args, **kwargs):
        from lanes_executor.executor import ProcessRuntimeExecutor

        return ProcessRuntimeExecutor
