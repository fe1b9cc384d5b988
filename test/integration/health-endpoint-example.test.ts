import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../store/redis-helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../dist/examples/health-endpoint.js', import.meta.url));

interface Replica {
  child: ChildProcess;
  output(): string;
  port: number;
}

let fake: FakeQQServer;
let prefix: string;
/** Every example process started, its port known or not. */
const children: ChildProcess[] = [];
/** A host's own preload, beside the example: the process exits if this test process dies before its afterEach. */
const EXIT_WITH_PARENT = fileURLToPath(new URL('../fixtures/exit-with-parent.js', import.meta.url));

beforeEach(async () => {
  fake = await FakeQQServer.start({ heartbeatIntervalMs: 500 });
  prefix = uniquePrefix();
});

afterEach(async () => {
  // Gone before the keys are deleted: a live replica would write its lease and session again.
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
  await fake.close();
  await deleteKeysUnder(prefix);
});

/** Starts examples/health-endpoint with the fake's endpoints and a free health port; resolves once the port is known. */
async function startReplica(env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, EXAMPLE], {
    env: {
      ...process.env,
      QQBOT_APP_ID: 'test-app',
      QQBOT_SECRET: 'test-secret',
      QQBOT_API_URL: fake.endpoints.api,
      QQBOT_TOKEN_URL: fake.endpoints.token,
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await fake.waitFor(() => /health on port \d+/.test(output), 10_000);
  return { child, output: () => output, port: Number(/health on port (\d+)/.exec(output)![1]) };
}

async function get(replica: Replica, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${replica.port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function exitCode(replica: Replica): Promise<number | null> {
  if (replica.child.exitCode !== null) return replica.child.exitCode;
  const [code] = (await once(replica.child, 'exit')) as [number | null];
  return code;
}

it('examples/health-endpoint: /healthz 200 at once, /readyz 503 until the session is up then 200, SIGTERM → close and exit 0', async () => {
  fake.holdReady(true);
  const replica = await startReplica();
  expect(await get(replica, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
  await fake.waitFor(() => fake.stats.identifies.length === 1, 10_000);
  const before = await get(replica, '/readyz');
  expect(before.status).toBe(503);
  expect(JSON.parse(before.body)).toMatchObject({ ok: false, shards: [{ shard: 0, state: 'connecting' }] });
  fake.holdReady(false);
  await fake.waitFor(() => replica.output().includes('bot started'), 10_000);
  expect(JSON.parse((await get(replica, '/readyz')).body)).toEqual({
    ok: true,
    shards: [{ shard: 0, state: 'ready' }],
  });

  replica.child.kill('SIGTERM');
  expect(await exitCode(replica), replica.output()).toBe(0);
  expect(fake.stats.liveConnections).toBe(0);
  expect(replica.output()).not.toContain('test-secret');
});

it('two replicas on one Redis (a rolling deploy): the second is a ready standby; SIGTERM to the first → the second RESUMEs, 1 IDENTIFY, nothing lost', async () => {
  const redis = { QQBOT_REDIS_URL: REDIS_URL, QQBOT_REDIS_PREFIX: prefix };
  const a = await startReplica(redis);
  await fake.waitFor(() => a.output().includes('bot started'), 15_000);
  const b = await startReplica(redis);
  await fake.waitFor(() => b.output().includes('bot started'), 15_000);
  expect(JSON.parse((await get(b, '/readyz')).body)).toEqual({ ok: true, shards: [{ shard: 0, state: 'standby' }] });
  await fake.emitEvents(20);
  await fake.waitFor(() => (a.output().match(/GROUP_AT_MESSAGE_CREATE/g) ?? []).length === 20, 10_000);

  a.child.kill('SIGTERM');
  expect(await exitCode(a), a.output()).toBe(0);
  await fake.waitFor(() => fake.stats.resumes.length === 1, 15_000);
  await fake.emitEvents(20);
  await fake.waitFor(() => (b.output().match(/GROUP_AT_MESSAGE_CREATE/g) ?? []).length >= 20, 10_000);
  expect(JSON.parse((await get(b, '/readyz')).body)).toEqual({ ok: true, shards: [{ shard: 0, state: 'ready' }] });
  expect(fake.stats.identifies).toHaveLength(1);
  const ids = (text: string): string[] => [...text.matchAll(/GROUP_AT_MESSAGE_CREATE (\S+)/g)].map((m) => m[1]!);
  const seen = new Set([...ids(a.output()), ...ids(b.output())]);
  expect(seen.size).toBe(40);
  b.child.kill('SIGTERM');
  expect(await exitCode(b)).toBe(0);
}, 60_000);

it('with QQBOT_SESSION_FILE, a restarted process (SIGTERM, start again) RESUMEs the session: 1 IDENTIFY, nothing lost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qqbot-health-'));
  try {
    const file = { QQBOT_SESSION_FILE: join(dir, 'qq-session.json') };
    const first = await startReplica(file);
    await fake.waitFor(() => first.output().includes('bot started'), 15_000);
    await fake.emitEvents(10);
    await fake.waitFor(() => (first.output().match(/GROUP_AT_MESSAGE_CREATE/g) ?? []).length === 10, 10_000);
    first.child.kill('SIGTERM');
    expect(await exitCode(first), first.output()).toBe(0);
    await fake.emitEvents(10);

    const second = await startReplica(file);
    await fake.waitFor(() => second.output().includes('bot started'), 15_000);
    await fake.waitFor(() => (second.output().match(/GROUP_AT_MESSAGE_CREATE/g) ?? []).length >= 10, 10_000);
    expect(fake.stats.identifies).toHaveLength(1);
    expect(fake.stats.resumes).toHaveLength(1);
    const ids = (text: string): string[] => [...text.matchAll(/GROUP_AT_MESSAGE_CREATE (\S+)/g)].map((m) => m[1]!);
    expect(new Set([...ids(first.output()), ...ids(second.output())]).size).toBe(20);
    second.child.kill('SIGTERM');
    expect(await exitCode(second)).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
