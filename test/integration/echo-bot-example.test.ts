import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import type { FakeSentMessage } from '../../src/testing/index.js';
import { useFakeQQ } from '../helpers.js';

const env = useFakeQQ();
const ECHO_BOT = fileURLToPath(new URL('../../dist/examples/echo-bot.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

it('examples/echo-bot answers a group @-message through the fake, then stops cleanly on SIGTERM', async () => {
  const fake = env.fake;
  child = spawn(process.execPath, [ECHO_BOT], {
    env: {
      ...process.env,
      QQBOT_APP_ID: 'test-app',
      QQBOT_SECRET: 'test-secret',
      QQBOT_API_URL: fake.endpoints.api,
      QQBOT_TOKEN_URL: fake.endpoints.token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await fake.waitFor(() => output.includes('echo bot is up'), 10_000);

  const timestamp = new Date().toISOString();
  fake.rest.registerMessage({ id: 'in-1', timestamp, kind: 'group' });
  const sent = once(fake.rest, 'message') as Promise<[FakeSentMessage]>;
  fake.dispatch('GROUP_AT_MESSAGE_CREATE', {
    id: 'in-1',
    group_openid: 'G1',
    author: { member_openid: 'M1' },
    content: ' hello',
    timestamp,
  });
  const [message] = await sent;
  expect(message).toMatchObject({
    kind: 'group',
    targetId: 'G1',
    body: { content: 'echo: hello', msg_id: 'in-1', msg_seq: 1 },
  });

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, output).toBe(0);
  expect(output).not.toContain('test-secret');
});
