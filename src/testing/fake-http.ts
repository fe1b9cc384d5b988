import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * HTTP helpers of {@link FakeQQServer}: JSON answers, capped body reading and the hang/delay/fail counters.
 * Internal to the testing kit.
 * @internal
 * @module
 */

/** The gateway's WebSocket path, as `GET /gateway/bot` answers it. */
export const GATEWAY_PATHS: ReadonlySet<string> = new Set(['/websocket', '/websocket/']);

/** Request bodies above this many bytes are answered 413, as the platform refuses inline uploads around 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Answers `status` with `body` as JSON, unless an answer already went out or the socket is gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads the body as UTF-8; `undefined` when it exceeds `limit` bytes (the rest is discarded). */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** What to do with one request, as decided by {@link HttpFaults.take}. */
export interface HttpFaultPlan {
  hang: boolean;
  delayMs: number;
  fail: { status: number; body: unknown } | undefined;
}

/** The fault counters of one endpoint; each setting applies to the next `n` requests and replaces the last. */
export class HttpFaults {
  #hang = 0;
  #delay = { n: 0, ms: 0 };
  #fail = { n: 0, status: 500, body: undefined as unknown };

  hang(n: number): void {
    this.#hang = n;
  }

  delay(n: number, ms: number): void {
    this.#delay = { n, ms };
  }

  fail(n: number, status: number, body: unknown): void {
    this.#fail = { n, status, body };
  }

  /** Consumes one request's worth of every counter: a hang wins; a delay and a fail combine. */
  take(): HttpFaultPlan {
    if (this.#hang > 0) {
      this.#hang -= 1;
      return { hang: true, delayMs: 0, fail: undefined };
    }
    let delayMs = 0;
    if (this.#delay.n > 0) {
      this.#delay.n -= 1;
      delayMs = this.#delay.ms;
    }
    let fail: HttpFaultPlan['fail'];
    if (this.#fail.n > 0) {
      this.#fail.n -= 1;
      fail = { status: this.#fail.status, body: this.#fail.body };
    }
    return { hang: false, delayMs, fail };
  }
}
