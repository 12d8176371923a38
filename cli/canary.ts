import { parseArgs } from 'node:util';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { type CanaryMarker, parseCanaryDescription } from '../shared/scaling/canary-marker.ts';
import { ScalingError } from '../shared/scaling/errors.ts';
import type { Command, Print } from './command.ts';
import { type DeployedWorker, discoverApp, pickByName } from './discovery.ts';
import { connectToDeployedTarget } from './target.ts';
import { UsageError } from './usage.ts';

/** A canary command that cannot act; the message says why and what to do. */
export class CanaryError extends ScalingError {
  override name = 'CanaryError';
}

/** A CodeDeploy deployment of the worker's group that has not finished. */
export interface ActiveDeployment {
  readonly id: string;
  readonly status: string;
  readonly createdAt?: Date;
}

/** Where a worker's traffic goes now. */
export interface CanaryStatus {
  readonly worker: string;
  readonly alias: string;
  /** The version that gets the rest of the traffic. */
  readonly stableVersion: string;
  /** The new version and its share (0..1), when a canary runs. */
  readonly canary?: { readonly version: string; readonly weight: number };
  /** What the alias's description says the canary is (percent, interval). */
  readonly configured?: CanaryMarker;
  /** AWS only: the deployment shifting traffic now. */
  readonly deployment?: ActiveDeployment;
}

export interface CanaryClients {
  readonly lambda: LambdaClient;
  /** Only on AWS (LocalStack has no CodeDeploy): the deployment group's deployments. */
  readonly codedeploy?: CodeDeployClient;
}

function aliasOf(worker: DeployedWorker): string {
  if (!worker.alias) {
    throw new CanaryError(
      `${worker.name} has no canary: its mappings invoke the function itself. Give the Worker canary: { percent } and deploy.`,
    );
  }
  return worker.alias;
}

async function activeDeployment(
  codedeploy: CodeDeployClient | undefined,
  worker: DeployedWorker,
): Promise<ActiveDeployment | undefined> {
  if (!codedeploy || !worker.codeDeployApplication || !worker.deploymentGroup) return undefined;
  const { deployments = [] } = await codedeploy.send(
    new ListDeploymentsCommand({
      applicationName: worker.codeDeployApplication,
      deploymentGroupName: worker.deploymentGroup,
      includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
    }),
  );
  const id = deployments[0];
  if (!id) return undefined;
  const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }));
  return {
    id,
    status: deploymentInfo?.status ?? 'unknown',
    ...(deploymentInfo?.createTime ? { createdAt: deploymentInfo.createTime } : {}),
  };
}

/**
 * Where the worker's invocations go: the alias's version and, during a canary, the new version
 * with its weight; on AWS also the CodeDeploy deployment that shifts them.
 *
 * @example
 * const status = await canaryStatus(worker, { lambda: new LambdaClient({}) });
 * if (status.canary) console.log(`${status.canary.weight * 100} % to version ${status.canary.version}`);
 */
export async function canaryStatus(
  worker: DeployedWorker,
  clients: CanaryClients,
): Promise<CanaryStatus> {
  const alias = aliasOf(worker);
  const [current, deployment] = await Promise.all([
    clients.lambda.send(new GetAliasCommand({ FunctionName: worker.functionName, Name: alias })),
    activeDeployment(clients.codedeploy, worker),
  ]);
  const [entry] = Object.entries(current.RoutingConfig?.AdditionalVersionWeights ?? {});
  const configured = parseCanaryDescription(current.Description);
  return {
    worker: worker.name,
    alias,
    stableVersion: current.FunctionVersion ?? '?',
    ...(entry && entry[1] > 0 ? { canary: { version: entry[0], weight: entry[1] } } : {}),
    ...(configured ? { configured } : {}),
    ...(deployment ? { deployment } : {}),
  };
}

/**
 * Sends all traffic to the canary's version. On AWS a deployment in progress is CodeDeploy's to
 * finish: it is refused, unless `force`, which stops the deployment (without rollback) first.
 */
export async function promoteCanary(
  worker: DeployedWorker,
  clients: CanaryClients,
  options: { readonly force?: boolean } = {},
): Promise<{ readonly before: CanaryStatus; readonly after: CanaryStatus }> {
  const before = await canaryStatus(worker, clients);
  if (!before.canary) {
    throw new CanaryError(
      `${worker.name} runs no canary: all of ${before.alias} goes to version ${before.stableVersion}. Deploy new code to start one.`,
    );
  }
  if (before.deployment && clients.codedeploy) {
    if (!options.force) {
      throw new CanaryError(
        `CodeDeploy deployment ${before.deployment.id} (${before.deployment.status}) is shifting ${before.alias}; it promotes by itself after the canary interval. Use --force to stop it and promote now.`,
      );
    }
    await clients.codedeploy.send(
      new StopDeploymentCommand({ deploymentId: before.deployment.id, autoRollbackEnabled: false }),
    );
  }
  await clients.lambda.send(
    new UpdateAliasCommand({
      FunctionName: worker.functionName,
      Name: before.alias,
      FunctionVersion: before.canary.version,
      RoutingConfig: { AdditionalVersionWeights: {} },
    }),
  );
  return { before, after: await canaryStatus(worker, clients) };
}

/**
 * Returns all traffic to the stable version. On AWS a deployment in progress is stopped with
 * CodeDeploy's automatic rollback (which moves the alias back); otherwise the alias's weights
 * are removed.
 */
export async function rollbackCanary(
  worker: DeployedWorker,
  clients: CanaryClients,
): Promise<{ readonly before: CanaryStatus; readonly after: CanaryStatus }> {
  const before = await canaryStatus(worker, clients);
  if (before.deployment && clients.codedeploy) {
    await clients.codedeploy.send(
      new StopDeploymentCommand({ deploymentId: before.deployment.id, autoRollbackEnabled: true }),
    );
    return { before, after: await canaryStatus(worker, clients) };
  }
  if (!before.canary) {
    throw new CanaryError(
      `${worker.name} runs no canary: all of ${before.alias} already goes to version ${before.stableVersion}.`,
    );
  }
  await clients.lambda.send(
    new UpdateAliasCommand({
      FunctionName: worker.functionName,
      Name: before.alias,
      FunctionVersion: before.stableVersion,
      RoutingConfig: { AdditionalVersionWeights: {} },
    }),
  );
  return { before, after: await canaryStatus(worker, clients) };
}

/** The status as `lanes canary status` prints it. */
export function formatCanaryStatus(status: CanaryStatus): string {
  const percent = (weight: number) => `${Number((weight * 100).toFixed(2))} %`;
  const lines = [
    status.canary
      ? `${status.worker}: alias ${status.alias} -> version ${status.stableVersion} ${percent(1 - status.canary.weight)}, version ${status.canary.version} ${percent(status.canary.weight)} (canary)`
      : `${status.worker}: alias ${status.alias} -> version ${status.stableVersion} 100 % (no canary)`,
  ];
  if (status.configured) {
    lines.push(
      `  configured: ${status.configured.percent} % for ${status.configured.intervalSeconds / 60} min, then all`,
    );
  }
  if (status.deployment) {
    lines.push(`  CodeDeploy deployment ${status.deployment.id}: ${status.deployment.status}`);
  }
  return lines.join('\n');
}

const ACTIONS = ['status', 'promote', 'rollback'] as const;

export const canaryCommand: Command = {
  name: 'canary',
  summary: "a canary worker's traffic split: status, promote or rollback",
  usage: `lanes canary status|promote|rollback <worker> [--force] [--stack NAME]

  status     the alias's versions and weights (and, on AWS, the CodeDeploy deployment)
  promote    all traffic to the canary's version (--force stops a CodeDeploy deployment first)
  rollback   all traffic back to the stable version (on AWS: stops the deployment with rollback)
  A deploy of new code starts the canary (the Worker's canary prop).`,
  async run(args, print: Print) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        force: { type: 'boolean', default: false },
        stack: { type: 'string', multiple: true },
      },
    });
    const [action, name] = positionals;
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
      throw new UsageError(
        `lanes canary needs status, promote or rollback (given ${action ?? 'nothing'})`,
      );
    }
    const target = await connectToDeployedTarget();
    const { workers } = await discoverApp({ stacks: values.stack });
    const worker = pickByName('worker', workers, name);
    const clients: CanaryClients = {
      lambda: new LambdaClient({}),
      // LocalStack has no CodeDeploy: there, the embedded LocalStack started the canary itself.
      ...(target.kind === 'aws' ? { codedeploy: new CodeDeployClient({}) } : {}),
    };
    if (action === 'status') {
      print(formatCanaryStatus(await canaryStatus(worker, clients)));
      return 0;
    }
    const { before, after } =
      action === 'promote'
        ? await promoteCanary(worker, clients, { force: values.force })
        : await rollbackCanary(worker, clients);
    print(
      `[canary] ${worker.name}: ${action} (was: ${formatCanaryStatus(before).split('\n')[0]?.replace(`${worker.name}: `, '')})`,
    );
    print(formatCanaryStatus(after));
    return 0;
  },
};
