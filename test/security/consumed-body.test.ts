import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { QQBotConnector } from '../../src/connector.js';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import { postCallback } from '../../src/testing/callback-post.js';
import { APP_ID, SECRET, dispatchBody, signedHeaders } from '../webhook/helpers.js';
import { listenHost, type HostServer } from './helpers.js';

let bot: QQBotConnector | undefined;
let host: HostServer | undefined;

afterEach(async () => {
  await host?.close();
  host = undefined;
  await bot?.close();
  bot = undefined;
});

/** What `express.json()` does before the next handler runs: reads the whole body and sets `req.body`. */
function bodyParserFirst(
  next: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      (req as IncomingMessage & { body?: unknown }).body = JSON.parse(
        Buffer.concat(chunks).toString('utf8'),
      ) as unknown;
      next(req, res);
    });
  };
}

describe('webhookHandler() mounted after a body parser', () => {
  it('answers 500 at once, reports QQBOT_WEBHOOK_BODY_CONSUMED, and never wedges: 300 such requests later it still serves', async () => {
    bot = new QQBotConnector({ appId: APP_ID, secret: SECRET, transport: { kind: 'webhook' } });
    const errors: QQBotError[] = [];
    bot.on('error', (err) => errors.push(err));
    const seen: string[] = [];
    bot.on('dispatch', (e) => seen.push(e.id!));
    const handle = bot.webhookHandler();
    // Both mounts on one server: /parsed behind the parser, /qqbot (the callback path) raw.
    host = await listenHost((req, res) =>
      req.url === '/parsed'
        ? bodyParserFirst((r, s) => handle(Object.assign(r, { url: '/qqbot' }), s))(req, res)
        : handle(req, res),
    );
    const { port } = host;

    const body = dispatchBody('evt-parsed');
    const answer = await postCallback(new URL(`http://127.0.0.1:${port}/parsed`), body, {
      headers: signedHeaders(body),
      timeoutMs: 5_000,
    });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'consumed' });
    await expect
      .poll(() => errors.find((e) => e.code === ErrorCodes.WEBHOOK_BODY_CONSUMED), { timeout: 5_000 })
      .toBeDefined();
    expect(errors.find((e) => e.code === ErrorCodes.WEBHOOK_BODY_CONSUMED)!.retryable).toBe(false);

    const more = await Promise.all(
      Array.from({ length: 300 }, () => {
        const b = dispatchBody();
        return postCallback(new URL(`http://127.0.0.1:${port}/parsed`), b, {
          headers: signedHeaders(b),
          timeoutMs: 5_000,
        }).then((a) => a.status);
      }),
    );
    expect(more.every((s) => s === 500)).toBe(true);
    const raw = dispatchBody('evt-raw');
    expect(
      (
        await postCallback(new URL(`http://127.0.0.1:${port}/qqbot`), raw, {
          headers: signedHeaders(raw),
          timeoutMs: 5_000,
        })
      ).status,
    ).toBe(200);
    expect(seen).toEqual(['evt-raw']);
  });
});
