import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes, QQBotError } from '../../src/errors.js';
import type { RestartEvent } from '../../src/events.js';
import { FileSessionStore } from '../../src/store/file-session-store.js';
import { FakeQQServer } from '../../src/testing/index.js';
import { untrustedText, UNTRUSTED_TEXT_MAX } from '../../src/util/untrusted-text.js';
import { FAST } from '../helpers.js';

// eslint-disable-next-line no-control-regex -- control characters are what the tests look for
const CONTROL = /[\u0000-\u001f\u202e]/;

/** Everything an error carries, its causes included, as text. */
function everything(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { message?: unknown; cause?: unknown; details?: unknown } | undefined;
    e !== undefined && e !== null;
    e = e.cause as typeof e
  ) {
    parts.push(String(e.message), JSON.stringify(e.details ?? null), String(e));
  }
  return parts.join(' | ');
}

describe('a gateway that echoes the token in its close reason', () => {
  let fake: FakeQQServer;
  let api: Server;
  let bot: QQBotConnector | undefined;

  beforeEach(async () => {
    fake = await FakeQQServer.start();
  });

  afterEach(async () => {
    await bot?.close();
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    await fake.close();
  });

  it('puts neither the token nor control characters into restart events, errors or logs, and caps the text', async () => {
    // An API origin whose /gateway/bot names its own gateway (allowed: the same origin), which closes each
    // connection after IDENTIFY with a reason quoting the token it was sent, escape sequences and padding.
    const wss = new WebSocketServer({ noServer: true });
    const tokens: string[] = [];
    api = createServer((req, res) => {
      const port = (api.address() as { port: number }).port;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ url: `ws://127.0.0.1:${port}/ws`, shards: 1 }));
    });
    api.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
        ws.once('message', (data) => {
          const token = String((JSON.parse(String(data)) as { d: { token: string } }).d.token);
          tokens.push(token.replace(/^QQBot /, ''));
          ws.close(4900, `${token} \u001b[2J\u202e ${token.slice(6)}`.slice(0, 120));
        });
      }),
    );
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const logged: string[] = [];
    const log = (obj: object | string, msg?: string): void => void logged.push(JSON.stringify(obj), msg ?? '');
    bot = new QQBotConnector({
      appId: 'test-app',
      secret: 'test-secret',
      intents: 1,
      endpoints: { token: fake.endpoints.token, api: `http://127.0.0.1:${(api.address() as { port: number }).port}` },
      ...FAST,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const restarts: RestartEvent[] = [];
    bot.on('restart', (e) => restarts.push(e));
    bot.on('error', () => undefined);
    void bot.start().catch(() => undefined);
    await expect.poll(() => restarts.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const text = [...restarts.map((r) => JSON.stringify(r)), ...logged, everything(bot.status()[0]?.lastError)].join(
      ' | ',
    );
    expect(text).toContain('QQBot ***');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const token of tokens) expect(text).not.toContain(token);
    expect(text).not.toMatch(CONTROL);
    for (const r of restarts) {
      expect(r.reason).not.toMatch(CONTROL);
      expect(r.reason.length).toBeLessThanOrEqual(UNTRUSTED_TEXT_MAX + 1);
    }
  });
});

describe('a store file’s bytes never reach an error', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qqbot-untrusted-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a store path that is a symlink to another file: QQBOT_STORE_CORRUPT, and neither the message, details nor cause quote its bytes', async () => {
    const target = join(dir, 'private.txt');
    await writeFile(target, 'PRIVATE-BYTES-9f3a not a checkpoint');
    const path = join(dir, 'session.json');
    await symlink(target, path);
    const err = await new FileSessionStore(path).load(0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QQBotError);
    expect((err as QQBotError).code).toBe(ErrorCodes.STORE_CORRUPT);
    expect(everything(err)).not.toContain('PRIVATE');
  });

  it('a shard key in the file is not quoted either', async () => {
    const path = join(dir, 'session.json');
    await writeFile(
      path,
      JSON.stringify({ format: 'qqbot-connector/session-store@1', shards: { 'PRIVATE-KEY-BYTES': {} } }),
    );
    const err = await new FileSessionStore(path).load(0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as QQBotError).code).toBe(ErrorCodes.STORE_CORRUPT);
    expect(everything(err)).not.toContain('PRIVATE');
  });
});

describe('untrustedText', () => {
  it('redacts given secrets and QQBot authorizations, replaces control characters, caps the length', () => {
    expect(untrustedText('bad QQBot abc.DEF-123 and s3cret', ['s3cret'])).toBe('bad QQBot *** and ***');
    expect(untrustedText('a\u0000b\nc\u001b[0m\u202ed')).toBe('a?b?c?[0m?d');
    expect(untrustedText('x'.repeat(1000))).toBe(`${'x'.repeat(UNTRUSTED_TEXT_MAX)}…`);
  });
});
