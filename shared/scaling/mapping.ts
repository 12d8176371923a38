import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  GetFunctionConcurrencyCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { ScalingApplyError } from './errors.ts';

/** The function and mapping a scaling change applies to. */
export interface MappingTarget {
  /** The worker function (reserved concurrency belongs to it). */
  readonly functionName: string;
  /** The mapping to scale. */
  readonly mappingUuid: string;
  /** The alias the mappings of a canary worker are on (they are listed by its ARN too). */
  readonly aliasName?: string;
}

/** Every mapping of the function (and of its alias), by UUID. */
export async function mappingsOf(
  lambda: LambdaClient,
  target: Pick<MappingTarget, 'functionName' | 'aliasName'>,
): Promise<EventSourceMappingConfiguration[]> {
  const names = [target.functionName];
  if (target.aliasName) names.push(`${target.functionName}:${target.aliasName}`);
  const found = new Map<string, EventSourceMappingConfiguration>();
  for (const FunctionName of names) {
    let Marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName, Marker }));
      for (const mapping of page.EventSourceMappings ?? []) {
        if (mapping.UUID) found.set(mapping.UUID, mapping);
      }
      Marker = page.NextMarker;
    } while (Marker);
  }
  return [...found.values()];
}

/** What the function's concurrency looks like now. */
export interface ConcurrencyState {
  readonly mapping: EventSourceMappingConfiguration;
  readonly maxConcurrency: number | undefined;
  readonly reservedConcurrency: number | undefined;
  /** Sum of the other mappings' maximum concurrency (provisioned ones: their minimum pollers x 10). */
  readonly otherMappingsConcurrency: number;
}

/** Concurrent invocations a mapping can start: its maximum, or what its minimum pollers drive. */
export function mappingConcurrency(mapping: EventSourceMappingConfiguration): number {
  const provisioned = mapping.ProvisionedPollerConfig?.MinimumPollers;
  if (provisioned !== undefined) return provisioned * 10;
  return mapping.ScalingConfig?.MaximumConcurrency ?? 0;
}

/**
 * Reads the mapping, the function's reserved concurrency and the other mappings' share of it.
 *
 * @example
 * const state = await readConcurrency(new LambdaClient({}), { functionName, mappingUuid });
 */
export async function readConcurrency(
  lambda: LambdaClient,
  target: MappingTarget,
): Promise<ConcurrencyState> {
  const [mapping, concurrency, all] = await Promise.all([
    lambda.send(new GetEventSourceMappingCommand({ UUID: target.mappingUuid })),
    lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: target.functionName })),
    mappingsOf(lambda, target),
  ]);
  const others = all.filter((m) => m.UUID !== target.mappingUuid);
  return {
    mapping,
    maxConcurrency: mapping.ScalingConfig?.MaximumConcurrency,
    reservedConcurrency: concurrency.ReservedConcurrentExecutions,
    otherMappingsConcurrency: others.reduce((sum, m) => sum + mappingConcurrency(m), 0),
  };
}

/** A change of the mapping's scaling and/or the function's reservation. */
export interface ConcurrencyChange {
  readonly maxConcurrency?: number;
  readonly provisionedPollers?: {
    readonly minimumPollers: number;
    readonly maximumPollers: number;
  };
  readonly reservedConcurrency?: number;
}

/**
 * Applies a change so that the rule "reserved concurrency >= the mappings' concurrency" holds at
 * every step: a larger reservation is put before the mapping grows, a smaller one after it
 * shrank. Switching a mapping to provisioned pollers clears its maximum concurrency in the same
 * update (AWS refuses both on one mapping). Returns the steps taken, in order.
 *
 * @example
 * await applyConcurrency(lambda, target, current, { maxConcurrency: 40, reservedConcurrency: 40 });
 */
export async function applyConcurrency(
  lambda: LambdaClient,
  target: MappingTarget,
  current: {
    readonly reservedConcurrency?: number | undefined;
    readonly maxConcurrency?: number | undefined;
    readonly provisionedPollers?: ConcurrencyChange['provisionedPollers'];
  },
  change: ConcurrencyChange,
): Promise<string[]> {
  const steps: string[] = [];
  const reserved = change.reservedConcurrency;
  const putReserved = async () => {
    if (reserved === undefined || reserved === current.reservedConcurrency) return;
    try {
      await lambda.send(
        new PutFunctionConcurrencyCommand({
          FunctionName: target.functionName,
          ReservedConcurrentExecutions: reserved,
        }),
      );
    } catch (error) {
      throw new ScalingApplyError(
        `Could not set the reserved concurrency of ${target.functionName} to ${reserved} (${(error as Error).message}); the mapping was ${steps.length > 0 ? 'already changed' : 'left as it was'}. An account keeps at least 100 unreserved: lower the maximum or raise the account's concurrency.`,
        { cause: error },
      );
    }
    steps.push(`reserved concurrency ${current.reservedConcurrency ?? '-'} -> ${reserved}`);
  };
  const putMapping = async () => {
    if (change.maxConcurrency === undefined && change.provisionedPollers === undefined) return;
    const pollers = change.provisionedPollers;
    try {
      await lambda.send(
        new UpdateEventSourceMappingCommand({
          UUID: target.mappingUuid,
          ...(pollers
            ? {
                // `{}` is the documented way to clear MaximumConcurrency.
                ScalingConfig: {},
                ProvisionedPollerConfig: {
                  MinimumPollers: pollers.minimumPollers,
                  MaximumPollers: pollers.maximumPollers,
                },
              }
            : { ScalingConfig: { MaximumConcurrency: change.maxConcurrency } }),
        }),
      );
    } catch (error) {
      throw new ScalingApplyError(
        `Could not update event source mapping ${target.mappingUuid} of ${target.functionName} (${(error as Error).message})${steps.length > 0 ? `; already done: ${steps.join(', ')}` : ''}.`,
        { cause: error },
      );
    }
    const before = current.provisionedPollers;
    steps.push(
      pollers
        ? `provisioned pollers ${before ? `${before.minimumPollers}..${before.maximumPollers}` : `- (maximum concurrency ${current.maxConcurrency ?? '-'})`} -> ${pollers.minimumPollers}..${pollers.maximumPollers}`
        : `mapping maximum concurrency ${current.maxConcurrency ?? '-'} -> ${change.maxConcurrency}`,
    );
  };
  const growsReservation = reserved !== undefined && reserved > (current.reservedConcurrency ?? 0);
  if (growsReservation) {
    await putReserved();
    await putMapping();
  } else {
    await putMapping();
    await putReserved();
  }
  return steps;
}
