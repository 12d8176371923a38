"""Lambda runtime executor for LocalStack that runs Node.js functions as local processes.

LocalStack's open-source Lambda provider runs functions in Docker only. This package plugs a
``RuntimeExecutor`` into the ``localstack.lambda.runtime_executor`` plugin namespace that starts
each execution environment as a Node.js child process instead, speaking a small JSON-lines
protocol over two pipes (see ``bootstrap.cjs``). Select it with
``LAMBDA_RUNTIME_EXECUTOR=lanes-process``.
"""
