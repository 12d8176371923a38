import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DESCRIPTOR_DESCRIPTION,
  DescriptorSchema,
  type IngressDescriptor,
  type ScheduleDescriptor,
  type WorkerDescriptor,
  type WorkflowDescriptor,
} from '../shared/discovery.ts';
import { UsageError } from './usage.ts';

/** A worker of a deployed app, with the stack it belongs to. */
export interface DeployedWorker extends WorkerDescriptor {
  readonly stackName: string;
}

/** A workflow of a deployed app, with the stack it belongs to. */
export interface DeployedWorkflow extends WorkflowDescriptor {
  readonly stackName: string;
}

/** An Ingress (EventBridge modes) of a deployed app, with the stack it belongs to. */
export interface DeployedIngress extends IngressDescriptor {
  readonly stackName: string;
}

/** A singleton schedule of a deployed app, with the stack it belongs to. */
export interface DeployedSchedule extends ScheduleDescriptor {
  readonly stackName: string;
}

/** What the lanes constructs of the deployed stacks describe about themselves. */
export interface DeployedApp {
  readonly workers: readonly DeployedWorker[];
  readonly workflows: readonly DeployedWorkflow[];
  readonly ingresses: readonly DeployedIngress[];
  readonly schedules: readonly DeployedSchedule[];
}

export interface DiscoverOptions {
  /** Only these stacks. @default - every stack of the account and region */
  readonly stacks?: readonly string[];
  /** @default - a client on the environment's endpoint */
  readonly cloudFormation?: CloudFormationClient;
}

// CfnOutput logical ids end in an 8-digit hash; the description marks them where it is kept.
const DESCRIPTOR_OUTPUT_KEY = /LanesDescriptor[0-9A-F]{8}$/;

function isDescriptor(output: Output): boolean {
  return (
    output.Description === DESCRIPTOR_DESCRIPTION ||
    DESCRIPTOR_OUTPUT_KEY.test(output.OutputKey ?? '')
  );
}

async function describeStacks(client: CloudFormationClient, names?: readonly string[]) {
  if (names?.length) {
    const stacks = await Promise.all(
      names.map(async (name) => {
        try {
          return (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks ?? [];
        } catch (error) {
          throw new UsageError(
            `--stack ${name}: no such stack on the target (${(error as Error).message})`,
          );
        }
      }),
    );
    return stacks.flat();
  }
  const all: Stack[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeStacksCommand({ NextToken }));
    all.push(...(page.Stacks ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all.filter((stack) => stack.StackStatus !== 'DELETE_COMPLETE');
}

/**
 * Finds the workers, workflows, ingresses and schedules of every app built with the lanes constructs on the target,
 * from the descriptor outputs the constructs add to their stacks. No list of names is kept
 * anywhere: what is deployed is what the CLI knows.
 *
 * @example
 * const app = await discoverApp();
 * for (const worker of app.workers) console.log(worker.stackName, worker.name, worker.queueUrl);
 */
export async function discoverApp(options: DiscoverOptions = {}): Promise<DeployedApp> {
  const client = options.cloudFormation ?? new CloudFormationClient({});
  const workers: DeployedWorker[] = [];
  const workflows: DeployedWorkflow[] = [];
  const ingresses: DeployedIngress[] = [];
  const schedules: DeployedSchedule[] = [];
  for (const stack of await describeStacks(client, options.stacks)) {
    const stackName = stack.StackName ?? '?';
    for (const output of (stack.Outputs ?? []).filter(isDescriptor)) {
      const parsed = DescriptorSchema.safeParse(safeJson(output.OutputValue));
      if (!parsed.success) continue; // an output of an older or newer lanes: not ours to read
      const data = parsed.data;
      if (data.kind === 'worker') workers.push({ ...data, stackName });
      else if (data.kind === 'workflow') workflows.push({ ...data, stackName });
      else if (data.kind === 'ingress') ingresses.push({ ...data, stackName });
      else schedules.push({ ...data, stackName });
    }
  }
  return { workers, workflows, ingresses, schedules };
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/**
 * The one component of `items` called `name` (case-insensitive; `Stack/name` when two stacks
 * have one of that name), or a UsageError that lists the names there are.
 */
export function pickByName<T extends { readonly name: string; readonly stackName: string }>(
  kind: string,
  items: readonly T[],
  name: string | undefined,
): T {
  const known =
    items.map((item) => `${item.name} (${item.stackName})`).join(', ') || 'none deployed';
  if (!name) throw new UsageError(`name a ${kind}: one of ${known}`);
  const [stackPart, namePart] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const matches = items.filter(
    (item) =>
      item.name.toLowerCase() === namePart?.toLowerCase() &&
      (stackPart === undefined || item.stackName === stackPart),
  );
  if (matches.length === 1) return matches[0] as T;
  if (matches.length > 1) {
    throw new UsageError(
      `${kind} ${name} is in several stacks (${matches.map((m) => m.stackName).join(', ')}); name it as <stack>/${name}`,
    );
  }
  const plural = kind.endsWith('s') ? `${kind}es` : `${kind}s`;
  throw new UsageError(`no ${kind} named ${name} on the target; the ${plural} are: ${known}`);
}
