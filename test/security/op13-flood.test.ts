import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { VALIDATION_LIMITS } from '../../src/transports/webhook/request-handler.js';
import { answerValidation } from '../../src/transports/webhook/signature.js';
import { KEYS, serve, type Served } from '../webhook/helpers.js';

let served: Served | undefined;

afterEach(async () => {
  await served?.listener.close(1_000);
  served = undefined;
});

/** One unsigned op 13 POST from `localAddress`; its status and body. */
function validate(url: URL, plainToken: string, localAddress: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ op: 13, d: { plain_token: plainToken, event_ts: '1725442341' } });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

describe('unsigned op 13 requests are signed on a budget', () => {
  it('a flood from one address is answered 429 past its burst, and is signed only that often; another address still validates', async () => {
    let signed = 0;
    served = await serve({
      host: { signValidation: (r) => (signed++, answerValidation(KEYS.privateKey, r).signature) },
    });
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => validate(served!.url, `flood${i}`, '127.0.0.2')),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(300 - VALIDATION_LIMITS.perPeer.burst - 5);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // Quickly: refused without waiting for anything (generous bound for a loaded machine).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(signed).toBeLessThanOrEqual(VALIDATION_LIMITS.perPeer.burst + 5);
    expect(JSON.parse(answers.find((a) => a.status === 429)!.body)).toMatchObject({ error: 'rate' });

    const genuine = await validate(served.url, 'Arq0D5A61EgUu4OxUvOp', '127.0.0.3');
    expect(genuine.status).toBe(200);
    expect(JSON.parse(genuine.body)).toEqual(
      answerValidation(KEYS.privateKey, { plainToken: 'Arq0D5A61EgUu4OxUvOp', eventTs: '1725442341' }),
    );
  });

  it('a flood spread over many addresses is held to the global budget', async () => {
    let signed = 0;
    served = await serve({
      host: { signValidation: (r) => (signed++, answerValidation(KEYS.privateKey, r).signature) },
    });
    const addresses = Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 1}`);
    const answers = await Promise.all(
      addresses.flatMap((address) => [0, 1, 2, 3, 4].map((j) => validate(served!.url, `t${j}`, address))),
    );
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    // 300 requests, each address within its own burst: only the global bucket refuses (plus what it refilled meanwhile).
    expect(signed).toBeLessThan(300);
    expect(signed).toBeLessThanOrEqual(VALIDATION_LIMITS.global.burst + VALIDATION_LIMITS.global.perSecond * 10);
  });
});
