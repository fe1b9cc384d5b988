import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import type { QQBotError } from '../../src/errors.js';
import { postCallback } from '../../src/testing/callback-post.js';
import { webhookKeyPair } from '../../src/transports/webhook/signature.js';
import { APP_ID, SECRET, dispatchBody, signedHeaders } from './helpers.js';

const UNPRIVILEGED = fileURLToPath(new URL('../fixtures/unprivileged-bind.js', import.meta.url));

// A webhook that cannot work must say so on 'error': a secret that is not the bot's (every callback refused), a
// port another process holds. Default options unless a test names one.

let bot: QQBotConnector | undefined;
let blocker: Server | undefined;
let hostServer: HttpServer | undefined;

afterEach(async () => {
  await bot?.close();
  if (blocker !== undefined) await new Promise((resolve) => blocker!.close(resolve));
  if (hostServer !== undefined) {
    hostServer.closeAllConnections();
    await new Promise((resolve) => hostServer!.close(resolve));
  }
  bot = undefined;
  blocker = undefined;
  hostServer = undefined;
});

/** The platform signs with the real secret's key; the bot was given another secret. */
const PLATFORM_KEY = webhookKeyPair('the-real-app-secret').privateKey;

function errorsOf(connector: QQBotConnector): QQBotError[] {
  const errors: QQBotError[] = [];
  connector.on('error', (e) => errors.push(e));
  return errors;
}

async function post(url: URL, count: number, headers: (body: string) => Record<string, string>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = dispatchBody();
    statuses.push((await postCallback(url, body, { headers: headers(body), timeoutMs: 10_000 })).status);
  }
  return statuses;
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function blockPort(): Promise<number> {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
  return (blocker.address() as { port: number }).port;
}

describe('a wrong secret', () => {
  it('is reported once as QQBOT_WEBHOOK_SECRET_MISMATCH with the fix, however many callbacks it refuses (listener in a worker)', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    const errors = errorsOf(bot);
    await bot.start();
    const url = new URL(`http://127.0.0.1:${bot.webhookAddress()!.port}/qqbot`);
    expect(await post(url, 25, (body) => signedHeaders(body, { privateKey: PLATFORM_KEY }))).toEqual(
      Array(25).fill(401),
    );
    await until(() => errors.some((e) => e.code === 'QQBOT_WEBHOOK_SECRET_MISMATCH'));
    const mismatch = errors.filter((e) => e.code === 'QQBOT_WEBHOOK_SECRET_MISMATCH');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ retryable: false, details: { failures: 3 } });
    expect(mismatch[0]!.message).toContain('AppSecret');
    expect(mismatch[0]!.message).not.toContain(SECRET);
  });

  it('is not suspected from forgeries that do not name this bot, nor from a run broken by a valid callback (webhookHandler)', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' } });
    const errors = errorsOf(bot);
    bot.on('dispatch', () => undefined);
    hostServer = createHttpServer(bot.webhookHandler());
    hostServer.listen(0, '127.0.0.1');
    await once(hostServer, 'listening');
    const url = new URL(`http://127.0.0.1:${(hostServer.address() as { port: number }).port}/qqbot`);
    // Noise from the internet: no X-Bot-Appid.
    await post(url, 10, (body) => {
      const { 'x-bot-appid': _appId, ...rest } = signedHeaders(body, { privateKey: PLATFORM_KEY });
      return rest;
    });
    // Two failures, a valid one, two failures: never three in a row.
    for (let i = 0; i < 3; i++) {
      await post(url, 2, (body) => signedHeaders(body, { privateKey: PLATFORM_KEY }));
      expect(await post(url, 1, (body) => signedHeaders(body))).toEqual([200]);
    }
    // The refusals themselves are reported (summed once a second); give that report the time to come.
    await until(() => errors.some((e) => e.code === 'QQBOT_WEBHOOK_REFUSED'), 5_000);
    expect(errors.filter((e) => e.code === 'QQBOT_WEBHOOK_SECRET_MISMATCH')).toEqual([]);
    await post(url, 3, (body) => signedHeaders(body, { privateKey: PLATFORM_KEY }));
    expect(errors.filter((e) => e.code === 'QQBOT_WEBHOOK_SECRET_MISMATCH')).toHaveLength(1);
  });
});

describe('a port already taken', () => {
  it("reaches 'error' at once with the address, is retried, and start() resolves once the port is free", async () => {
    const port = await blockPort();
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port } });
    const errors = errorsOf(bot);
    const started = bot.start();
    const first = (await once(bot, 'error')) as [QQBotError];
    expect(first[0]).toMatchObject({
      code: 'QQBOT_WEBHOOK_LISTEN_FAILED',
      retryable: true,
      details: { errno: 'EADDRINUSE', host: '127.0.0.1', port },
    });
    expect(first[0].message).toContain(`127.0.0.1:${port}`);
    await until(() => errors.length >= 2);
    await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
    await started;
    expect(bot.webhookAddress()).toEqual({ address: '127.0.0.1', port });
    expect(bot.health().ok).toBe(true);
  });

  it('rejects start() with QQBOT_WEBHOOK_LISTEN_FAILED when a fixed port is still taken after transport.startTimeoutMs (default 10 s)', async () => {
    const port = await blockPort();
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook', port } });
    const errors = errorsOf(bot);
    const fatal: QQBotError[] = [];
    bot.on('fatal', (e) => fatal.push(e));
    const began = Date.now();
    const failure = await bot.start().then(
      () => undefined,
      (err: QQBotError) => err,
    );
    const took = Date.now() - began;
    expect(failure).toMatchObject({ code: 'QQBOT_WEBHOOK_LISTEN_FAILED', details: { errno: 'EADDRINUSE', port } });
    expect(took).toBeGreaterThanOrEqual(9_500);
    expect(took).toBeLessThan(25_000);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((e) => e.code === 'QQBOT_WEBHOOK_LISTEN_FAILED')).toBe(true);
    expect(bot.status()[0]!.state).toBe('fatal');
    expect(fatal).toEqual([failure]);
  }, 40_000);

  it('EACCES (a privileged port, in a process without the right): reported at once, retried, then start() rejects with it', async () => {
    // A child process (dist/: build first) that drops root if it has it, so the bind really is refused.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [UNPRIVILEGED, JSON.stringify({ startTimeoutMs: 1_500 })],
      { timeout: 30_000 },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { kind: string; code: string; retryable?: boolean; details: Record<string, unknown> },
      );
    const errors = lines.filter((l) => l.kind === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({
      code: 'QQBOT_WEBHOOK_LISTEN_FAILED',
      retryable: true,
      details: { errno: 'EACCES', host: '127.0.0.1', port: 80 },
    });
    expect(lines.at(-1)).toMatchObject({
      kind: 'start-failed',
      code: 'QQBOT_WEBHOOK_LISTEN_FAILED',
      details: { errno: 'EACCES' },
    });
  }, 40_000);
});
