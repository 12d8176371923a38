import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StepContext, StepFunction } from 'lanes/workflows';
import { ClaimCheck } from 'lanes/workflows';
import { FulfilmentStateError, NotificationRejectedError, PaymentDeclinedError } from './errors.ts';
import {
  FULFILMENT_KEYS,
  FULFILMENT_STEPS,
  type FulfilmentInput,
  FulfilmentInputSchema,
  type FulfilmentRequested,
  type FulfilmentStep,
  type OrderLine,
} from './model.ts';

/** Default charge limit: orders above it are declined (the reference workflow's failure path). */
export const DEFAULT_CHARGE_LIMIT_CENTS = 1_000_000;

export interface FulfilmentDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly claimCheck: ClaimCheck;
  /** @default DEFAULT_CHARGE_LIMIT_CENTS */
  readonly chargeLimitCents?: number;
  readonly nowMs: () => number;
}

/**
 * Builds the execution input from a fulfilment request: small order fields inline, the lines
 * behind a claim check when their JSON is above the claim check's threshold.
 *
 * @example
 * const input = await toFulfilmentInput(event.data, event.id, claimCheck);
 */
export async function toFulfilmentInput(
  order: FulfilmentRequested,
  correlationId: string,
  claimCheck: ClaimCheck,
): Promise<FulfilmentInput> {
  return {
    businessKey: order.orderId,
    correlationId,
    order: {
      orderId: order.orderId,
      customerId: order.customerId,
      amountCents: order.amountCents,
      currency: order.currency,
      email: order.email,
      lineCount: order.lines.length,
    },
    lines: await claimCheck.offload(order.lines),
  };
}

function parseState(step: string, input: unknown): FulfilmentInput {
  const result = FulfilmentInputSchema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new FulfilmentStateError(step, detail, { cause: result.error });
  }
  return result.data as FulfilmentInput;
}

/** Records when a step ran and how it was dispatched (the query command and tests read it). */
async function recordStep(
  deps: FulfilmentDeps,
  state: FulfilmentInput,
  context: StepContext,
  startedAtMs: number,
  extra: Record<string, unknown>,
): Promise<void> {
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: FULFILMENT_KEYS.order(state.order.orderId),
        sk: FULFILMENT_KEYS.step(context.step),
        dispatch: context.dispatch,
        correlationId: state.correlationId,
        startedAtMs,
        endedAtMs: deps.nowMs(),
        ...extra,
      },
    }),
  );
}

async function reserve(state: FulfilmentInput, deps: FulfilmentDeps, context: StepContext) {
  const startedAtMs = deps.nowMs();
  const lines = await deps.claimCheck.resolve<OrderLine[]>(state.lines);
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  const reservationId = `res-${state.order.orderId}`;
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: FULFILMENT_KEYS.order(state.order.orderId),
        sk: FULFILMENT_KEYS.RESERVATION_SK,
        reservationId,
        units,
        status: 'RESERVED',
      },
    }),
  );
  await recordStep(deps, state, context, startedAtMs, { units });
  return { reservationId, units };
}

async function charge(state: FulfilmentInput, deps: FulfilmentDeps, context: StepContext) {
  const startedAtMs = deps.nowMs();
  const limit = deps.chargeLimitCents ?? DEFAULT_CHARGE_LIMIT_CENTS;
  if (state.order.amountCents > limit) {
    await recordStep(deps, state, context, startedAtMs, { outcome: 'declined' });
    throw new PaymentDeclinedError(state.order.orderId, state.order.amountCents, limit);
  }
  const paymentId = `pay-${state.order.orderId}`;
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: FULFILMENT_KEYS.order(state.order.orderId),
        sk: FULFILMENT_KEYS.PAYMENT_SK,
        paymentId,
        amountCents: state.order.amountCents,
        currency: state.order.currency,
        status: 'CHARGED',
      },
    }),
  );
  await recordStep(deps, state, context, startedAtMs, { outcome: 'charged' });
  return { paymentId };
}

async function notify(state: FulfilmentInput, deps: FulfilmentDeps, context: StepContext) {
  const startedAtMs = deps.nowMs();
  if (state.order.email.toLowerCase().endsWith('.invalid')) {
    await recordStep(deps, state, context, startedAtMs, { outcome: 'rejected' });
    throw new NotificationRejectedError(state.order.orderId, state.order.email);
  }
  // The confirmation lists every line: the step that needs the large payload loads it here.
  const lines = await deps.claimCheck.resolve<OrderLine[]>(state.lines);
  const body = JSON.stringify(lines);
  const notificationId = `msg-${state.order.orderId}`;
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: FULFILMENT_KEYS.order(state.order.orderId),
        sk: FULFILMENT_KEYS.NOTIFICATION_SK,
        notificationId,
        to: state.order.email,
        linesBytes: Buffer.byteLength(body, 'utf8'),
        linesSha256: createHash('sha256').update(body).digest('hex'),
        byReference: ClaimCheck.isRef(state.lines),
      },
    }),
  );
  await recordStep(deps, state, context, startedAtMs, { outcome: 'sent' });
  return { notificationId };
}

async function setStatus(
  deps: FulfilmentDeps,
  orderId: string,
  sk: string,
  status: string,
): Promise<boolean> {
  try {
    await deps.client.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { pk: FULFILMENT_KEYS.order(orderId), sk },
        UpdateExpression: 'SET #status = :status',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      }),
    );
    return true;
  } catch (error) {
    // Nothing to undo (the forward step never wrote): compensation is then a no-op.
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/**
 * A compensation step: marks the item a forward step wrote as undone (`status`) and records
 * whether there was anything to undo; `result` names the flag it returns.
 */
function compensation<K extends string>(
  itemSk: string,
  status: string,
  result: K,
  outcomes: { readonly undone: string; readonly nothing: string },
) {
  return async (
    state: FulfilmentInput,
    deps: FulfilmentDeps,
    context: StepContext,
  ): Promise<Record<K, boolean>> => {
    const startedAtMs = deps.nowMs();
    const undone = await setStatus(deps, state.order.orderId, itemSk, status);
    await recordStep(deps, state, context, startedAtMs, {
      outcome: undone ? outcomes.undone : outcomes.nothing,
    });
    return { [result]: undone } as Record<K, boolean>;
  };
}

const release = compensation(FULFILMENT_KEYS.RESERVATION_SK, 'RELEASED', 'released', {
  undone: 'released',
  nothing: 'nothing to release',
});

const refund = compensation(FULFILMENT_KEYS.PAYMENT_SK, 'REFUNDED', 'refunded', {
  undone: 'refunded',
  nothing: 'nothing to refund',
});

const IMPLEMENTATIONS = { reserve, charge, notify, release, refund } as const;

/**
 * The five steps of the order fulfilment workflow as {@link StepFunction}s, bound to their
 * dependencies. The same functions back the direct Lambda tasks and the queue-dispatched worker.
 *
 * @example
 * const steps = fulfilmentSteps({ client, tableName, claimCheck, nowMs: Date.now });
 * await steps.reserve(input, { step: 'reserve', businessKey: 'o-1', dispatch: 'direct' });
 */
export function fulfilmentSteps(deps: FulfilmentDeps): Record<FulfilmentStep, StepFunction> {
  const bind =
    (step: FulfilmentStep): StepFunction =>
    async (input, context) =>
      IMPLEMENTATIONS[step](parseState(step, input), deps, context);
  return {
    [FULFILMENT_STEPS.RESERVE]: bind(FULFILMENT_STEPS.RESERVE),
    [FULFILMENT_STEPS.CHARGE]: bind(FULFILMENT_STEPS.CHARGE),
    [FULFILMENT_STEPS.NOTIFY]: bind(FULFILMENT_STEPS.NOTIFY),
    [FULFILMENT_STEPS.RELEASE]: bind(FULFILMENT_STEPS.RELEASE),
    [FULFILMENT_STEPS.REFUND]: bind(FULFILMENT_STEPS.REFUND),
  };
}
