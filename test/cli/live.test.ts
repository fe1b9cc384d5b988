import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeQQServer } from '../../src/testing/index.js';
import { killAll, startCli } from './cli-process.js';

let fake: FakeQQServer;
let dir: string | undefined;

beforeEach(async () => {
  fake = await FakeQQServer.start({ heartbeatIntervalMs: 500 });
});

afterEach(async () => {
  await killAll();
  await fake.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function fakeEnv(secret = 'test-secret'): Record<string, string> {
  return {
    QQBOT_APP_ID: 'test-app',
    QQBOT_SECRET: secret,
    QQBOT_API_URL: fake.endpoints.api,
    QQBOT_TOKEN_URL: fake.endpoints.token,
  };
}

describe('live mode (credentials set)', () => {
  it('prints each dispatch as one JSON line and exits 0 on SIGINT', async () => {
    const cli = startCli([], fakeEnv());
    await fake.waitFor(() => fake.stats.identifies.length === 1 && fake.sessions.length === 1, 10_000);
    await fake.emitEvents(5);
    const lines = await cli.stdoutLines(5, 10_000);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const [i, event] of events.entries()) {
      expect(event).toMatchObject({
        shard: 0,
        type: 'GROUP_AT_MESSAGE_CREATE',
        seq: expect.any(Number),
        id: expect.any(String),
        data: { n: i },
      });
      expect(Object.keys(event)).toEqual(['shard', 'seq', 'type', 'id', 'data']);
    }
    cli.child.kill('SIGINT');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/stopped by SIGINT .*5 events received/);
    expect(cli.stdout() + cli.stderr()).not.toContain('test-secret');
  });

  it('--json writes JSON status lines and a JSON summary on stderr, and keeps stdout NDJSON events only', async () => {
    const cli = startCli(['--json'], fakeEnv());
    await fake.waitFor(() => fake.stats.identifies.length === 1 && fake.sessions.length === 1, 10_000);
    await fake.emitEvents(3);
    await cli.stdoutLines(3, 10_000);
    await fake.waitFor(
      () => cli.stderr().includes('"type":"status"') && cli.stderr().includes('"state":"ready"'),
      10_000,
    );
    cli.child.kill('SIGINT');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    const json = cli
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; shards?: Array<{ state: string }>; received?: number });
    expect(json.find((o) => o.type === 'status' && o.shards?.[0]?.state === 'ready')).toBeDefined();
    expect(json.at(-1)).toMatchObject({ type: 'summary', received: 3, stopReason: 'SIGINT' });
    for (const line of cli.stdout().trim().split('\n'))
      expect(JSON.parse(line)).toMatchObject({ type: 'GROUP_AT_MESSAGE_CREATE' });
  });

  it('asks for the intents given by name', async () => {
    const cli = startCli(['--intents', 'dm,guild-at'], fakeEnv());
    await fake.waitFor(() => fake.stats.identifies.length === 1, 10_000);
    expect(fake.stats.identifies[0]?.intents).toBe((1 << 12) | (1 << 30));
    cli.child.kill('SIGTERM');
    expect((await cli.exit(10_000)).code, cli.stderr()).toBe(0);
  });

  it('reads the secret from --secret-file (trimmed) and never prints it, even with --verbose', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qqbot-cli-'));
    const file = join(dir, 'secret');
    await writeFile(file, 'test-secret\n');
    const cli = startCli(['--app-id', 'test-app', '--secret-file', file, '--verbose'], {
      QQBOT_API_URL: fake.endpoints.api,
      QQBOT_TOKEN_URL: fake.endpoints.token,
    });
    await fake.waitFor(() => fake.sessions.length === 1, 10_000);
    await cli.stderrMatches(/connected/, 10_000);
    cli.child.kill('SIGTERM');
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/DEBUG/);
    expect(cli.stdout() + cli.stderr()).not.toContain('test-secret');
  });

  it('exits 1 with QQBOT_CREDENTIALS_REFUSED and advice when the secret is wrong, without printing it', async () => {
    const cli = startCli([], fakeEnv('wrong-secret-4242'));
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 1, signal: null });
    expect(cli.stderr()).toMatch(/QQBOT_CREDENTIALS_REFUSED/);
    expect(cli.stderr()).toMatch(/check QQBOT_APP_ID\/QQBOT_SECRET/);
    expect(cli.stdout() + cli.stderr()).not.toContain('wrong-secret-4242');
    expect(fake.stats.identifies).toHaveLength(0);
  });

  it('exits 0 when --duration ends a run that connected', async () => {
    const cli = startCli(['--duration', '3'], fakeEnv());
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/stopped by duration/);
  });

  it('exits 1 when --duration ends a run that never connected', async () => {
    fake.hangGatewayBot(100);
    const cli = startCli(['--duration', '4'], fakeEnv());
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 1, signal: null });
    expect(cli.stderr()).toMatch(/never connected within --duration 4 s/);
    expect(cli.stderr()).not.toMatch(/stopped by duration/);
  });

  it('names the last error when --duration ends a run that never connected', async () => {
    fake.failGatewayBot(100, 500);
    const cli = startCli(['--duration', '4'], fakeEnv());
    expect(await cli.exit(10_000), cli.stderr()).toEqual({ code: 1, signal: null });
    expect(cli.stderr()).toMatch(/never connected within --duration 4 s; last error: QQBOT_[A-Z_]+: /);
  });

  it('exits 2 when --secret-file cannot be read', async () => {
    const cli = startCli(['--app-id', 'test-app', '--secret-file', '/nonexistent/qqbot-secret']);
    expect((await cli.exit(10_000)).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toMatch(/cannot read --secret-file \/nonexistent\/qqbot-secret \(ENOENT\)/);
  });
});
