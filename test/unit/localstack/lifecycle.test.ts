import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  awsEnvironment,
  ensureLocalStack,
  ForeignLocalStackError,
  operationsTarget,
  orphanDynamoDbLocals,
  resolveTarget,
} from '#localstack/lifecycle.ts';
import { embeddedPort, OWNER_PATH, PROJECT_ROOT } from '#localstack/settings.ts';

describe('embedded LocalStack', () => {
  describe('resolveTarget', () => {
    it('uses the embedded LocalStack on loopback when no endpoint is given', () => {
      expect(resolveTarget({})).toEqual({
        kind: 'embedded',
        endpoint: 'http://127.0.0.1:4566',
        port: 4566,
      });
    });

    it('uses AWS_ENDPOINT_URL as an external endpoint and starts nothing', () => {
      expect(resolveTarget({ AWS_ENDPOINT_URL: 'http://laptop:4566/' })).toEqual({
        kind: 'external',
        endpoint: 'http://laptop:4566',
      });
    });

    it('prefers LANES_ENDPOINT_URL over AWS_ENDPOINT_URL', () => {
      expect(
        resolveTarget({ LANES_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL: 'http://b:2' }),
      ).toMatchObject({
        endpoint: 'http://a:1',
      });
    });

    it('selects real AWS with LANES_TARGET=aws and then sets no endpoint variables', () => {
      const target = resolveTarget({ LANES_TARGET: 'aws', AWS_ENDPOINT_URL: 'http://ignored:1' });
      expect(target).toEqual({ kind: 'aws' });
      expect(awsEnvironment(target)).toEqual({});
    });
  });

  describe('embeddedPort', () => {
    afterEach(() => {
      delete process.env.LANES_LOCALSTACK_PORT;
    });

    it('rejects a port that is not a TCP port, naming the value', () => {
      process.env.LANES_LOCALSTACK_PORT = '70000';
      expect(() => embeddedPort()).toThrow(
        /LANES_LOCALSTACK_PORT must be a TCP port .*given 70000/,
      );
    });
  });

  describe('ensureLocalStack', () => {
    let server: Server | undefined;
    const saved = { ...process.env };

    afterEach(async () => {
      process.env = { ...saved };
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    it('fails with a clear message when the port is taken by something that is not LocalStack', async () => {
      server = createServer((_request, response) => response.writeHead(404).end('not localstack'));
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.LANES_ENDPOINT_URL;
      process.env.LANES_LOCALSTACK_PORT = String(port);

      await expect(ensureLocalStack()).rejects.toThrow(
        new RegExp(`Port ${port} on 127.0.0.1 is taken by another program that is not LocalStack`),
      );
    });

    it('fails when an external endpoint does not answer, naming the endpoint and the variable', async () => {
      process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';

      await expect(ensureLocalStack()).rejects.toThrow(
        /http:\/\/127\.0\.0\.1:9 \(from AWS_ENDPOINT_URL\/LANES_ENDPOINT_URL\) does not answer/,
      );
    });
  });

  describe('ownership', () => {
    let server: Server | undefined;
    const saved = { ...process.env };
    const services = Object.fromEntries(
      [
        'sqs',
        'dynamodb',
        'lambda',
        'events',
        'cloudformation',
        'stepfunctions',
        's3',
        'iam',
        'sts',
      ].map((name) => [name, 'available']),
    );

    /** A ready-looking LocalStack on loopback whose owner route says `owner` (none: no route). */
    async function fakeLocalStack(owner: string | undefined): Promise<number> {
      server = createServer((request, response) => {
        if (request.url === '/_localstack/health') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ services, version: '4.13.1' }));
        } else if (request.url === OWNER_PATH && owner !== undefined) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ checkout: owner, pid: 1 }));
        } else {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.LANES_ENDPOINT_URL;
      process.env.LANES_LOCALSTACK_PORT = String(port);
      return port;
    }

    afterEach(async () => {
      process.env = { ...saved };
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    it('refuses a LocalStack started by another checkout, naming it and the way out', async () => {
      const port = await fakeLocalStack('/work/other-checkout');

      const attempt = ensureLocalStack();

      await expect(attempt).rejects.toBeInstanceOf(ForeignLocalStackError);
      await expect(attempt).rejects.toThrow(
        new RegExp(
          `127\\.0\\.0\\.1:${port} belongs to the checkout at /work/other-checkout.*LANES_ENDPOINT_URL=http://127\\.0\\.0\\.1:${port}`,
        ),
      );
    });

    it('refuses a LocalStack that no lanes checkout started (no owner route)', async () => {
      await fakeLocalStack(undefined);

      await expect(ensureLocalStack()).rejects.toThrow(/belongs to no lanes checkout/);
      await expect(operationsTarget()).rejects.toBeInstanceOf(ForeignLocalStackError);
    });

    it("uses this checkout's own LocalStack", async () => {
      const port = await fakeLocalStack(PROJECT_ROOT);

      await expect(ensureLocalStack()).resolves.toMatchObject({ started: false });
      await expect(operationsTarget()).resolves.toEqual({
        kind: 'embedded',
        endpoint: `http://127.0.0.1:${port}`,
        port,
      });
    });

    it('uses a LocalStack named explicitly with LANES_ENDPOINT_URL, whoever started it', async () => {
      const port = await fakeLocalStack('/work/other-checkout');
      process.env.LANES_ENDPOINT_URL = `http://127.0.0.1:${port}`;

      await expect(ensureLocalStack()).resolves.toMatchObject({ target: { kind: 'external' } });
      await expect(operationsTarget()).resolves.toMatchObject({ kind: 'external' });
    });

    it('tells operations commands to start LocalStack when nothing answers', async () => {
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.LANES_ENDPOINT_URL;
      process.env.LANES_LOCALSTACK_PORT = '9';

      await expect(operationsTarget()).rejects.toThrow(
        /No LocalStack answers on http:\/\/127\.0\.0\.1:9\. Start this checkout's/,
      );
    });
  });
});

describe('leftover DynamoDB Local processes', () => {
  it("picks this checkout's DynamoDB Local whose LocalStack is gone, and no other process", () => {
    const jar = (dir: string) => `${dir}/dynamodb-local/2/DynamoDBLocal.jar`;
    const ours = '/repo/.lanes/localstack/var/lib/localstack/lib';
    const picked = orphanDynamoDbLocals(
      [
        { pid: 10, ppid: 1, argv: ['java', '-Xmx1g', '-jar', jar(ours), '-port', '4569'] },
        // Its LocalStack (pid 40) still runs: another port of this checkout.
        { pid: 11, ppid: 40, argv: ['java', '-jar', jar(ours)] },
        // Another checkout's.
        { pid: 12, ppid: 1, argv: ['java', '-jar', jar('/other/.lanes/localstack/lib')] },
        { pid: 13, ppid: 1, argv: ['node', 'server.js'] },
      ],
      ours,
    );
    expect(picked).toEqual([10]);
  });
});
