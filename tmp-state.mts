import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { SQSClient, GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
const endpoint = `http://127.0.0.1:${process.env.LANES_LOCALSTACK_PORT}`;
const cfg = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const l = new LambdaClient(cfg); const s = new SQSClient(cfg);
const m = await l.send(new ListEventSourceMappingsCommand({}));
for (const x of m.EventSourceMappings ?? []) {
  if (!x.FunctionArn?.includes('Consumer')) continue;
  const name = x.EventSourceArn!.split(':').pop()!;
  const url = (await s.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  const a = await s.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  console.log(x.UUID, x.State, x.FunctionArn, name, a.Attributes?.ApproximateNumberOfMessages, a.Attributes?.ApproximateNumberOfMessagesNotVisible);
}
const stats = await fetch(`${endpoint}/_lanes/esm`).then(r => r.text()).catch(e => String(e));
console.log(stats.slice(0, 1500));
