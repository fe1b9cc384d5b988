import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/protocol/close-codes.js';
import type { Outcome } from '../../src/protocol/outcome.js';
import { WorkerEventOp, type HostMessage, type WorkerEvent } from '../../src/protocol/worker-messages.js';
import { postCallback } from '../../src/testing/callback-post.js';
import { WebhookHostSide } from '../../src/transports/webhook/host-side.js';
import type { WebhookAddress } from '../../src/transports/webhook/listener.js';
import { WebhookEventOp, type WebhookEvent } from '../../src/transports/webhook/messages.js';
import { exportPublicKey } from '../../src/transports/webhook/signature.js';
import { WebhookAttempt } from '../../src/transports/webhook/webhook-attempt.js';
import { WEBHOOK_ENTRY } from '../../src/transports/webhook/webhook-entry.js';
import type { WebhookAttemptSpec } from '../../src/transports/webhook/webhook-spec.js';
import { APP_ID, DEFAULT_CHECKS, KEYS, SECRET, dispatchBody, signedHeaders } from './helpers.js';

const ACK = '{"op":12,"d":0}';

function spec(overrides: Partial<WebhookAttemptSpec> = {}): WebhookAttemptSpec {
  return {
    transport: 'webhook',
    entry: WEBHOOK_ENTRY,
    quiesceFirst: true,
    appId: APP_ID,
    host: '127.0.0.1',
    port: 0,
    path: '/qqbot',
    tls: null,
    publicKey: exportPublicKey(KEYS.publicKey),
    maxBodyBytes: DEFAULT_CHECKS.maxBodyBytes,
    timestampWindowMs: DEFAULT_CHECKS.timestampWindowMs,
    maxConcurrentRequests: DEFAULT_CHECKS.maxConcurrentRequests,
    maxUnverifiedRequests: DEFAULT_CHECKS.maxUnverifiedRequests,
    bodyTimeoutMs: DEFAULT_CHECKS.bodyTimeoutMs,
    deliverTimeoutMs: DEFAULT_CHECKS.deliverTimeoutMs,
    drainMs: 2_000,
    ...overrides,
  };
}

/**
 * An attempt in process with a stand-in host: events cross as structured clones, batched per turn as the
 * thread runner does; dispatches are deduped by id and recorded; the host side signs and acks.
 */
class Harness {
  readonly delivered: string[] = [];
  readonly events: WorkerEvent[] = [];
  readonly attempt: WebhookAttempt;
  readonly done: Promise<Outcome>;
  readonly hostSide: WebhookHostSide;
  /** While false, the host takes events but does not process them (a busy or gone host). */
  processing = true;
  #seen = new Set<string>();
  #toAttempt: ((m: HostMessage) => void) | undefined;
  /** Where the listener is bound, once it is. */
  address: WebhookAddress | null = null;

  constructor(s: WebhookAttemptSpec) {
    this.hostSide = new WebhookHostSide(
      KEYS.privateKey,
      {
        send: (m) => {
          const copy = structuredClone(m);
          setImmediate(() => this.#toAttempt?.(copy));
        },
        live: () => undefined,
      },
      (dispatch) => {
        if (this.#seen.has(dispatch.key)) return;
        this.#seen.add(dispatch.key);
        this.delivered.push(dispatch.id ?? '');
      },
      (address) => (this.address = address),
    );
    let batch: WorkerEvent[] = [];
    const flush = (): void => {
      const copy = structuredClone(batch);
      batch = [];
      for (const e of copy) this.#onEvent(e);
    };
    this.attempt = new WebhookAttempt(structuredClone(s), {
      threadId: 0,
      post: (event) => {
        if (batch.length === 0) setImmediate(flush);
        batch.push(event);
      },
      onHostMessage: (handler) => (this.#toAttempt = handler),
    });
    // As the worker does: the outcome goes after every event the attempt posted.
    this.done = this.attempt.run().then((outcome) => {
      if (batch.length > 0) flush();
      return outcome;
    });
  }

  #onEvent(event: WorkerEvent): void {
    this.events.push(event);
    if (!this.processing) return;
    if (event.op === WorkerEventOp.Transport) this.hostSide.onEvent(event.payload);
  }

  async url(): Promise<URL> {
    await until(() => this.address !== null);
    return new URL(`http://127.0.0.1:${this.address!.port}/qqbot`);
  }
}

/** A callback's dispatch, as the webhook attempt posts it (the payload of a transport event). */
function isWebhookDispatch(e: WorkerEvent): e is Extract<WorkerEvent, { op: typeof WorkerEventOp.Transport }> {
  return e.op === WorkerEventOp.Transport && (e.payload as WebhookEvent).op === WebhookEventOp.Dispatch;
}

async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let harness: Harness | undefined;
afterEach(async () => {
  harness?.attempt.shutdown(1000);
  await harness?.done;
  harness = undefined;
});

describe('WebhookAttempt (in process, real HTTP)', () => {
  it('answers 200 only after the host took the dispatch; a redelivery is acked and delivered once', async () => {
    harness = new Harness(spec());
    const url = await harness.url();
    const body = dispatchBody('evt-1');
    for (let i = 0; i < 3; i++) {
      expect(await postCallback(url, body, { headers: signedHeaders(body), timeoutMs: 5_000 })).toEqual({
        status: 200,
        body: ACK,
      });
    }
    expect(harness.delivered).toEqual(['evt-1']);
  });

  it('answers 503 when the host does not acknowledge in time, and keeps nothing for it', async () => {
    harness = new Harness(spec({ deliverTimeoutMs: 200 }));
    const url = await harness.url();
    harness.processing = false;
    const body = dispatchBody();
    const answer = await postCallback(url, body, { headers: signedHeaders(body), timeoutMs: 5_000 });
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'undelivered' });
  });

  it('has op 13 signed by the host: the spec carries the public key only', async () => {
    const s = spec();
    const text = JSON.stringify({ ...s, publicKey: Buffer.from(s.publicKey).toString('hex') });
    const seed = Buffer.from(SECRET.repeat(2)).subarray(0, 32).toString('hex');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(seed);
    expect(text).not.toContain(KEYS.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'));
    harness = new Harness(s);
    const url = await harness.url();
    const answer = await postCallback(
      url,
      JSON.stringify({ op: 13, d: { plain_token: 'Arq0D5A61EgUu4OxUvOp', event_ts: '1725442341' } }),
      { headers: {}, timeoutMs: 5_000 },
    );
    expect(JSON.parse(answer.body)).toEqual({
      plain_token: 'Arq0D5A61EgUu4OxUvOp',
      signature:
        '87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706',
    });
  });

  it('sums refusals into few QQBOT_WEBHOOK_REFUSED reports', async () => {
    harness = new Harness(spec());
    const url = await harness.url();
    const body = dispatchBody();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        postCallback(url, body, {
          headers: { ...signedHeaders(body), 'x-signature-ed25519': '00'.repeat(64) },
          timeoutMs: 5_000,
        }),
      ),
    );
    harness.attempt.shutdown(1000);
    await harness.done;
    const errors = harness.events.flatMap((e) => (e.op === WorkerEventOp.Error ? [e.error] : []));
    const reports = errors.filter((r) => r.code === 'QQBOT_WEBHOOK_REFUSED');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.length).toBeLessThanOrEqual(3);
    // They named this bot with fresh timestamps: a wrong secret, said once however many failed.
    expect(errors.filter((r) => r.code === 'QQBOT_WEBHOOK_SECRET_MISMATCH')).toHaveLength(1);
    expect(errors).toHaveLength(reports.length + 1);
    expect(reports.reduce((n, r) => n + Number(r.details.total), 0)).toBe(50);
    expect(harness.delivered).toEqual([]);
  });

  it('drains requests in flight on shutdown, then releases the port for the next attempt', async () => {
    harness = new Harness(spec());
    const url = await harness.url();
    harness.processing = false;
    const body = dispatchBody('evt-drain');
    const pending = postCallback(url, body, { headers: signedHeaders(body), timeoutMs: 5_000 });
    await until(() => harness!.events.some(isWebhookDispatch));
    harness.attempt.shutdown(1000);
    // The host catches up while the attempt drains: the request in flight still gets its ack.
    harness.processing = true;
    for (const e of harness.events.filter(isWebhookDispatch)) harness.hostSide.onEvent(e.payload);
    expect(await pending).toEqual({ status: 200, body: ACK });
    expect((await harness.done).kind).toBe('shutdown');
    const port = Number(url.port);
    harness = new Harness(spec({ port }));
    expect((await harness.url()).port).toBe(String(port));
  });

  it('ends with a retryable listen-failed on EADDRINUSE, a fatal one on an address not on this machine', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      harness = new Harness(spec({ port }));
      const busy = await harness.done;
      expect(busy).toMatchObject({
        kind: 'listen-failed',
        retryable: true,
        error: { code: 'QQBOT_WEBHOOK_LISTEN_FAILED', details: { errno: 'EADDRINUSE' } },
      });
      expect(decide(busy, { resumeFailures: 0, authFailures: 0 }).kind).toBe('resume');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    // TEST-NET-1 (RFC 5737) is never a local address: binding fails at once, nothing is sent.
    harness = new Harness(spec({ host: '192.0.2.1' }));
    const elsewhere = await harness.done;
    expect(elsewhere).toMatchObject({ kind: 'listen-failed', retryable: false });
    const decision = decide(elsewhere, { resumeFailures: 0, authFailures: 0 });
    expect(decision.kind === 'fatal' && decision.error.code).toBe('QQBOT_WEBHOOK_LISTEN_FAILED');
  });
});
