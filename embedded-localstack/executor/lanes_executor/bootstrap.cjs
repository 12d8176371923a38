'use strict';
/**
 * Node.js side of the lanes-process Lambda executor: loads the function's handler the way the
 * AWS Node.js runtime does (`_HANDLER` = `path/to/module.export`, resolved under
 * LAMBDA_TASK_ROOT, `.js`, `.mjs` or `.cjs`), then answers invocations read as JSON lines from
 * the command pipe with JSON lines on the response pipe. One invocation at a time; the parent
 * (executor.py) enforces the timeout by killing this process.
 *
 * Plain CommonJS with no dependencies: it runs whatever the bundled code's module format is.
 */
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const diagnostics = require('node:diagnostics_channel');
const { pathToFileURL } = require('node:url');

const END_MARKER = '\x1elanes-invocation-end ';
const commandFd = Number(process.env.LANES_COMMAND_FD);
const responseFd = Number(process.env.LANES_RESPONSE_FD);
delete process.env.LANES_COMMAND_FD;
delete process.env.LANES_RESPONSE_FD;

/** Writes one protocol message; synchronous so it cannot be lost when the process exits. */
function send(message) {
  fs.writeSync(responseFd, `${JSON.stringify(message)}\n`);
}

/** The AWS runtime's error shape: errorType, errorMessage, stackTrace (lines). */
function toLambdaError(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: error.name && error.name !== 'Error' ? error.name : fallbackType || 'Error',
      errorMessage: error.message,
      stackTrace: (error.stack || '')
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    };
  }
  return { errorType: fallbackType || 'Error', errorMessage: String(error), stackTrace: [] };
}

class HandlerNotFound extends Error {
  constructor(message) {
    super(message);
    this.name = 'Runtime.HandlerNotFound';
  }
}

class ImportModuleError extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.name = 'Runtime.ImportModuleError';
    if (cause && cause.stack)
      this.stack = `${this.name}: ${message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
  }
}

/** Resolves `_HANDLER` to a function, as the AWS Node.js runtime does. */
async function loadHandler() {
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const spec = process.env._HANDLER;
  if (!spec) throw new HandlerNotFound('No handler specified (_HANDLER is empty).');
  const lastDot = spec.lastIndexOf('.');
  if (lastDot < 1) throw new HandlerNotFound(`Bad handler ${spec}: expected <module>.<export>.`);
  // `dir/file.handler` or `file.nested.handler`: the module is up to the first dot of the basename.
  const slash = spec.lastIndexOf('/');
  const firstDotAfterSlash = spec.indexOf('.', slash + 1);
  const modulePart = spec.slice(0, firstDotAfterSlash);
  const exportPath = spec.slice(firstDotAfterSlash + 1).split('.');

  const base = path.resolve(taskRoot, modulePart);
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => base + ext);
  const file = candidates.find((candidate) => fs.existsSync(candidate));
  if (!file) {
    throw new ImportModuleError(
      `Error: Cannot find module '${modulePart}' (looked for ${candidates.map((c) => path.relative(taskRoot, c)).join(', ')} in ${taskRoot})`,
    );
  }
  let moduleExports;
  try {
    if (file.endsWith('.mjs')) {
      moduleExports = await import(pathToFileURL(file).href);
    } else {
      try {
        moduleExports = require(file);
      } catch (error) {
        if (error && error.code === 'ERR_REQUIRE_ESM')
          moduleExports = await import(pathToFileURL(file).href);
        else throw error;
      }
    }
  } catch (error) {
    if (error instanceof SyntaxError || (error && error.code === 'MODULE_NOT_FOUND')) {
      throw new ImportModuleError(String(error && error.message), error);
    }
    throw error; // an error thrown by the module's own top-level code keeps its type
  }
  let handler = moduleExports;
  for (const key of exportPath) handler = handler == null ? undefined : handler[key];
  if (handler === undefined && moduleExports && moduleExports.default) {
    handler = moduleExports.default;
    for (const key of exportPath) handler = handler == null ? undefined : handler[key];
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${modulePart}.${exportPath.join('.')} is undefined or not exported`);
  }
  return handler;
}

function makeContext(command) {
  const env = process.env;
  return {
    awsRequestId: command.id,
    invokedFunctionArn: command.invokedFunctionArn,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, command.deadlineMs - Date.now()),
  };
}

/** Runs the handler in both styles the runtime supports: async/promise and callback. */
function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error ?? new Error('handled'));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') {
        returned.then(
          (result) => callback(null, result),
          (error) => callback(error ?? new Error('Promise rejected')),
        );
      } else if (handler.length < 3) {
        callback(null, returned);
      }
    } catch (error) {
      callback(error);
    }
  });
}

let current = null; // the command being processed, for errors raised outside the handler's promise

/**
 * Time of the invocation's DynamoDB calls per operation (`{ GetItem: [count, ms] }`), when they
 * go straight to DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB, see dynamodb_direct.py): LocalStack's
 * gateway no longer sees them, so its request timings cannot tell where a function's time went.
 * Measured from the request's start to the end of its response body, from node:http's
 * diagnostics channels (the SDK's Node HTTP handler goes through node:http).
 */
const dynamodbTimings = (() => {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint) return { take: () => undefined };
  const port = new URL(endpoint).port;
  let byOperation = {};
  const started = new WeakMap();
  diagnostics.subscribe('http.client.request.start', ({ request }) => {
    const target = request.getHeader('x-amz-target');
    if (typeof target !== 'string' || !target.startsWith('DynamoDB_')) return;
    // Only calls to DynamoDB Local itself: the gateway's own timings cover a client pointed there.
    if (!String(request.getHeader('host') ?? '').endsWith(`:${port}`)) return;
    started.set(request, {
      operation: target.slice(target.indexOf('.') + 1),
      at: performance.now(),
    });
  });
  diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
    const call = started.get(request);
    if (!call) return;
    started.delete(request);
    response.once('end', () => {
      const entry = byOperation[call.operation] ?? [0, 0];
      byOperation[call.operation] = entry;
      entry[0] += 1;
      entry[1] += performance.now() - call.at;
    });
  });
  return {
    take() {
      const taken = byOperation;
      byOperation = {};
      return Object.keys(taken).length ? taken : undefined;
    },
  };
})();

function failFatally(error) {
  const lambdaError = toLambdaError(error, 'Runtime.UnhandledPromiseRejection');
  process.stdout.write(`${END_MARKER}${current ? current.id : ''}\n`);
  send(
    current
      ? { type: 'error', id: current.id, error: lambdaError, fatal: true }
      : { type: 'init-error', error: lambdaError },
  );
  process.exit(128);
}
process.on('uncaughtException', failFatally);
process.on('unhandledRejection', failFatally);

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const lambdaError = toLambdaError(error, 'Runtime.UserCodeSyntaxError');
    console.error(`INIT_ERROR ${lambdaError.errorType}: ${lambdaError.errorMessage}`);
    send({ type: 'init-error', error: lambdaError });
    process.exit(1);
  }
  send({ type: 'ready' });

  const commands = readline.createInterface({
    input: fs.createReadStream(null, { fd: commandFd }),
  });
  for await (const line of commands) {
    if (!line.trim()) continue;
    const command = JSON.parse(line);
    if (command.type !== 'invoke') continue;
    current = command;
    if (command.traceId) process.env._X_AMZN_TRACE_ID = command.traceId;
    let message;
    try {
      const event = command.payload ? JSON.parse(command.payload) : {};
      const result = await runHandler(handler, event, makeContext(command));
      message = {
        type: 'result',
        id: command.id,
        payload: JSON.stringify(result === undefined ? null : result),
      };
    } catch (error) {
      const lambdaError = toLambdaError(error, 'Error');
      console.error(`ERROR\tInvoke Error\t${JSON.stringify(lambdaError)}`);
      message = { type: 'error', id: command.id, error: lambdaError };
    }
    process.stdout.write(`${END_MARKER}${command.id}\n`);
    const dynamodb = dynamodbTimings.take();
    send(dynamodb ? { ...message, dynamodb } : message);
    current = null;
  }
  // The command pipe closed: the executor (or LocalStack) is gone, so leave no orphan behind.
  process.exit(0);
}

main();
