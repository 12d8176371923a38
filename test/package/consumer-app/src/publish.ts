import { readFileSync } from 'node:fs';
import { Publisher, routerFromOutputs } from 'lanes/publisher';
import { WorkflowStarter } from 'lanes/workflows';
import { z } from 'zod';
import { paymentsCatalogue } from './events.js';

/** A producer service: publishes `count` payments over 3 accounts and starts one workflow. */
const count = Number(process.argv[2] ?? '10');
const outputs = JSON.parse(readFileSync('.lanes/outputs.json', 'utf8'))['Consumer-Payments'];
const publisher = new Publisher({
  catalogue: paymentsCatalogue,
  router: routerFromOutputs(outputs, 'direct'),
  source: 'consumer.test',
});
const summary = await publisher.publish(
  Array.from({ length: count }, (_, i) => ({
    type: 'payments.received',
    data: { accountId: `account-${i % 3}`, paymentId: `p-${i}`, amountCents: 100 + i },
  })),
);
const starter = new WorkflowStarter({
  stateMachineArn: outputs.SettleStateMachineArn,
  schema: z.object({ businessKey: z.string() }),
});
await starter.start('settlement-1', { businessKey: 'settlement-1' }, 'consumer.test');
console.log(
  JSON.stringify({ sent: summary.sent, rejected: summary.rejected, failed: summary.failed }),
);
