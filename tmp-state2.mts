import { LambdaClient, ListEventSourceMappingsCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
const endpoint = `http://127.0.0.1:${process.env.LANES_LOCALSTACK_PORT}`;
const l = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const m = await l.send(new ListEventSourceMappingsCommand({}));
for (const x of m.EventSourceMappings ?? []) {
  if (!x.FunctionArn?.includes('Consumer')) continue;
  const fn = x.FunctionArn.split(':')[6];
  const byName = await l.send(new ListEventSourceMappingsCommand({ FunctionName: fn }));
  console.log('list all', x.State, 'by name', byName.EventSourceMappings?.map(y => y.State));
  const g = await l.send(new GetEventSourceMappingCommand({ UUID: x.UUID }));
  console.log('get', g.State, g.StateTransitionReason, g.ScalingConfig);
}
