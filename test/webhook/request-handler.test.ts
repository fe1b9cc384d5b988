import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../src/testing/self-signed.js';
import { postCallback } from '../../src/testing/callback-post.js';
import { WEBHOOK_REFUSALS, type WebhookRefusal } from '../../src/transports/webhook/request-handler.js';
import { webhookKeyPair } from '../../src/transports/webhook/signature.js';
import { APP_ID, DEFAULT_CHECKS, dispatchBody, nowSeconds, serve, signedHeaders, type Served } from './helpers.js';

const ACK = '{"op":12,"d":0}';
let served: Served | undefined;

afterEach(async () => {
  await served?.listener.close(1_000);
  served = undefined;
});

function refusedWith(answer: { status: number; body: string }, reason: WebhookRefusal): void {
  expect(answer.status).toBe(WEBHOOK_REFUSALS[reason].status);
  expect(JSON.parse(answer.body)).toMatchObject({ error: reason });
}

describe('webhook request handler over real HTTP', () => {
  it('delivers a signed dispatch and answers op 12', async () => {
    served = await serve();
    const body = dispatchBody('evt-a');
    const answer = await served.post(body, signedHeaders(body));
    expect(answer).toEqual({ status: 200, body: ACK });
    // Known by its event id, and remembered until the timestamp window closes (a replay is refused until then).
    expect(served.delivered).toEqual([
      {
        type: 'C2C_MESSAGE_CREATE',
        id: 'evt-a',
        seq: -1,
        frame: body,
        problem: undefined,
        key: 'e:evt-a',
        expiresAt: expect.any(Number),
      },
    ]);
    expect(served.delivered[0]!.expiresAt - Date.now()).toBeGreaterThan(DEFAULT_CHECKS.timestampWindowMs - 10_000);
    expect(served.handler.counters.acked).toBe(1);
  });

  it('hands the host a signed dispatch that fails the edge checks with its problem, and acknowledges it (a redelivery would fail the same)', async () => {
    served = await serve();
    const body = JSON.stringify({ op: 0, id: 'evt-bad', t: 'C2C_MESSAGE_CREATE', d: { content: 'no id' } });
    expect(await served.post(body, signedHeaders(body))).toEqual({ status: 200, body: ACK });
    expect(served.delivered).toMatchObject([
      { type: 'C2C_MESSAGE_CREATE', id: 'evt-bad', seq: -1, frame: body, problem: { path: 'id', expected: 'id' } },
    ]);
  });

  it('answers the official op 13 example without a signature', async () => {
    served = await serve();
    const body = JSON.stringify({ d: { plain_token: 'Arq0D5A61EgUu4OxUvOp', event_ts: '1725442341' }, op: 13 });
    const answer = await served.post(body, { 'x-bot-appid': APP_ID });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      plain_token: 'Arq0D5A61EgUu4OxUvOp',
      signature:
        '87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706',
    });
    expect(served.delivered).toEqual([]);
  });

  const body = dispatchBody('evt-refused');
  const cases: Array<{
    name: string;
    reason: WebhookRefusal;
    send: (s: Served) => Promise<{ status: number; body: string }>;
  }> = [
    { name: 'a GET', reason: 'method', send: (s) => getStatus(s.url) },
    { name: 'another path', reason: 'path', send: (s) => s.post(body, signedHeaders(body), '/other') },
    { name: 'another app id', reason: 'appid', send: (s) => s.post(body, signedHeaders(body, { appId: '999' })) },
    {
      name: 'a timestamp 6 minutes old',
      reason: 'timestamp',
      send: (s) => s.post(body, signedHeaders(body, { timestamp: nowSeconds(-6 * 60_000) })),
    },
    {
      name: 'a timestamp 6 minutes ahead',
      reason: 'timestamp',
      send: (s) => s.post(body, signedHeaders(body, { timestamp: nowSeconds(6 * 60_000) })),
    },
    {
      name: 'a timestamp in milliseconds',
      reason: 'timestamp',
      send: (s) => s.post(body, signedHeaders(body, { timestamp: String(Date.now()) })),
    },
    {
      name: 'a signature by another key',
      reason: 'signature',
      send: (s) => s.post(body, signedHeaders(body, { privateKey: webhookKeyPair('forger').privateKey })),
    },
    {
      name: 'a body changed after signing',
      reason: 'signature',
      send: (s) => s.post(body.replace('hello', 'pwned'), signedHeaders(body)),
    },
    {
      name: 'a non-JSON body with a bad signature (never parsed)',
      reason: 'signature',
      send: (s) => s.post('not json', { ...signedHeaders('x'), 'x-signature-ed25519': '00'.repeat(64) }),
    },
    { name: 'an unsigned dispatch', reason: 'signature', send: (s) => s.post(body, { 'x-bot-appid': APP_ID }) },
    {
      name: 'a signed body over the limit',
      reason: 'too-large',
      send: (s) => {
        const big = 'x'.repeat(1024 * 1024 + 1);
        return s.post(big, signedHeaders(big));
      },
    },
    { name: 'a signed non-JSON body', reason: 'json', send: (s) => s.post('{"op":0,', signedHeaders('{"op":0,')) },
    { name: 'a signed JSON array', reason: 'json', send: (s) => s.post('[0]', signedHeaders('[0]')) },
    {
      name: 'a signed dispatch without t',
      reason: 'shape',
      send: (s) => {
        const b = '{"op":0,"id":"x","d":{}}';
        return s.post(b, signedHeaders(b));
      },
    },
    {
      name: 'a signed dispatch with a numeric id',
      reason: 'shape',
      send: (s) => {
        const b = '{"op":0,"id":1,"t":"X","d":{}}';
        return s.post(b, signedHeaders(b));
      },
    },
    {
      name: 'an op 13 whose token could pass for an event body',
      reason: 'validation',
      send: (s) => s.post('{"op":13,"d":{"plain_token":"{\\"op\\":0}","event_ts":"1"}}', {}),
    },
  ];

  it.each(cases)('refuses $name with a clear status, and delivers nothing', async ({ reason, send }) => {
    served = await serve();
    refusedWith(await send(served), reason);
    expect(served.delivered).toEqual([]);
    expect(served.handler.counters.refused[reason]).toBe(1);
  });

  it('stops reading a streamed body at the limit', async () => {
    served = await serve({ checks: { maxBodyBytes: 1024 } });
    const headers = signedHeaders('x');
    let written = 0;
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(served!.url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
      req.once('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        // Bounded: 64 MiB at most, far more than the server may read.
        while (written < 64 * 1024 * 1024 && !req.destroyed) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer).toBe(413);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(served.delivered).toEqual([]);
  });

  it('answers 503 past the concurrency cap, and 503 when the host does not take the event in time', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    served = await serve({
      checks: { maxConcurrentRequests: 1, deliverTimeoutMs: 30_000 },
      host: { deliver: () => held },
    });
    const first = dispatchBody();
    const pending = served.post(first, signedHeaders(first));
    await waitUntil(() => served!.handler.inFlight === 1);
    const second = dispatchBody();
    refusedWith(await served.post(second, signedHeaders(second)), 'busy');
    release();
    expect(await pending).toEqual({ status: 200, body: ACK });
    await served.listener.close(1_000);

    served = await serve({ checks: { deliverTimeoutMs: 200 }, host: { deliver: () => new Promise<void>(() => {}) } });
    refusedWith(await served.post(first, signedHeaders(first)), 'undelivered');
    await served.listener.close(1_000);

    served = await serve({
      host: {
        deliver: () => {
          throw new Error('host pipeline gone');
        },
      },
    });
    refusedWith(await served.post(first, signedHeaders(first)), 'undelivered');
  });

  it('close() stops accepting and answers the requests in flight before it resolves', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    served = await serve({ host: { deliver: () => held } });
    const body = dispatchBody();
    const pending = served.post(body, signedHeaders(body));
    await waitUntil(() => served!.handler.inFlight === 1);
    let closed = false;
    const closing = served.listener.close(10_000).then(() => (closed = true));
    await expect(served.post(body, signedHeaders(body))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);
    release();
    expect(await pending).toEqual({ status: 200, body: ACK });
    await closing;
    expect(served.handler.inFlight).toBe(0);
  });

  it('serves HTTPS with a self-signed certificate the client trusts explicitly', async () => {
    const tls = selfSignedCert();
    served = await serve({ tls });
    const body = dispatchBody('evt-tls');
    expect(await served.post(body, signedHeaders(body))).toEqual({ status: 200, body: ACK });
    expect(served.delivered.map((d) => d.id)).toEqual(['evt-tls']);
    // Verification stays on: without the certificate as a CA the client refuses the server.
    await expect(
      postCallback(served.url, body, { headers: signedHeaders(body), timeoutMs: 5_000 }),
    ).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});

function getStatus(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    })
      .once('error', reject)
      .end();
  });
}

async function waitUntil(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitUntil: timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
