import { afterEach, describe, expect, it } from 'vitest';
import { FakeQQServer, selfSignedCert } from '../../src/testing/index.js';
import type { WebhookDispatch } from '../../src/transports/webhook/request-handler.js';
import { answerValidation, webhookKeyPair } from '../../src/transports/webhook/signature.js';
import { APP_ID, SECRET, serve, type Served } from './helpers.js';

let fake: FakeQQServer | undefined;
let served: Served | undefined;

afterEach(async () => {
  await fake?.close();
  await served?.listener.close(1_000);
  fake = undefined;
  served = undefined;
});

/** A host that dedupes by id, as the delivery pipeline does, and fails the first `failFirst` tries. */
function dedupingHost(failFirst = 0, delayFirstMs = 0) {
  const seen = new Set<string>();
  const unique: string[] = [];
  let calls = 0;
  return {
    unique,
    deliver: async (d: WebhookDispatch): Promise<void> => {
      calls += 1;
      if (calls <= failFirst) throw new Error('the host is busy');
      if (calls === 1 && delayFirstMs > 0) await new Promise((resolve) => setTimeout(resolve, delayFirstMs));
      if (d.id === undefined || seen.has(d.id)) return;
      seen.add(d.id);
      unique.push(d.id);
    },
  };
}

describe('FakeQQServer callback mode', () => {
  it('validates the URL with op 13, then POSTs signed events that are each acked once', async () => {
    const host = dedupingHost();
    served = await serve({ host });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href });
    expect(fake.callbackStats.validations).toBe(1);
    const numbers = await fake.emitEvents(40);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(host.unique.sort()).toEqual(numbers.map((n) => `cb-${n}`).sort());
    expect(fake.callbackStats).toMatchObject({ posts: 40, acked: 40, retries: 0, gaveUp: 0, rejections: [] });
  });

  it('paces events with ratePerSec and counts them in eventsDispatched', async () => {
    const host = dedupingHost();
    served = await serve({ host });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href });
    const t0 = performance.now();
    await fake.emitEvents(11, { ratePerSec: 50 });
    // Event 10 is due at 200 ms: it cannot go out sooner.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(host.unique).toHaveLength(11);
    expect(fake.eventsDispatched).toBe(11);
  });

  it('redelivers an event answered 503 with the same id; the host sees it once', async () => {
    const host = dedupingHost(1);
    served = await serve({ host });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href, retryDelayMs: 10 });
    expect(await fake.postEvent({ id: 'evt-retry', type: 'C2C_MESSAGE_CREATE', data: {} })).toBe(true);
    expect(host.unique).toEqual(['evt-retry']);
    expect(fake.callbackStats).toMatchObject({ posts: 2, acked: 1, retries: 1 });
    expect(fake.callbackStats.rejections).toEqual([expect.objectContaining({ id: 'evt-retry', status: 503 })]);
  });

  it('redelivers an event not answered in time; the slow first delivery and the redelivery reach the host once', async () => {
    const host = dedupingHost(0, 400);
    served = await serve({ host });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href, timeoutMs: 150, retryDelayMs: 0 });
    expect(await fake.postEvent({ id: 'evt-slow', type: 'C2C_MESSAGE_CREATE', data: {} })).toBe(true);
    await fake.waitFor(() => served!.handler.inFlight === 0);
    expect(host.unique).toEqual(['evt-slow']);
    expect(fake.callbackStats.rejections[0]).toMatchObject({ id: 'evt-slow', status: 0, error: 'ETIMEDOUT' });
  });

  it('gives up after 3 tries by default and records each rejection', async () => {
    served = await serve({ host: { deliver: () => Promise.reject(new Error('down')) } });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href, retryDelayMs: 0 });
    expect(await fake.postEvent({ id: 'evt-lost', type: 'C2C_MESSAGE_CREATE', data: {} })).toBe(false);
    expect(fake.callbackStats).toMatchObject({ posts: 3, retries: 2, gaveUp: 1, acked: 0 });
  });

  it('refuses to start when the bot answers op 13 with another key', async () => {
    const other = webhookKeyPair('not-the-secret');
    served = await serve({ host: { signValidation: (r) => answerValidation(other.privateKey, r).signature } });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await expect(fake.startCallbacks({ url: served.url.href })).rejects.toThrow(/op 13 validation failed/);
  });

  it('sends forged and replayed requests on demand; the bot refuses them and records nothing', async () => {
    const host = dedupingHost();
    served = await serve({ host });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await fake.startCallbacks({ url: served.url.href });
    const body = JSON.stringify({ op: 0, id: 'evt-bad', t: 'C2C_MESSAGE_CREATE', d: {} });
    expect((await fake.sendCallback(body, { signature: 'forged' })).status).toBe(401);
    expect((await fake.sendCallback(body, { signature: 'none' })).status).toBe(401);
    expect((await fake.sendCallback(body, { timestamp: String(Math.floor(Date.now() / 1000) - 3_600) })).status).toBe(
      401,
    );
    expect(host.unique).toEqual([]);
    expect(fake.callbackStats.rejections.map((r) => r.status)).toEqual([401, 401, 401]);
  });

  it('works over HTTPS with a self-signed certificate given as ca', async () => {
    const tls = selfSignedCert();
    const host = dedupingHost();
    served = await serve({ host, tls });
    fake = await FakeQQServer.start({ appId: APP_ID, secret: SECRET });
    await expect(fake.startCallbacks({ url: served.url.href, timeoutMs: 2_000 })).rejects.toThrow(
      /HTTP 0: DEPTH_ZERO_SELF_SIGNED_CERT/,
    );
    await fake.startCallbacks({ url: served.url.href, ca: tls.cert });
    await fake.emitEvents(5);
    expect(host.unique).toHaveLength(5);
  });
});
