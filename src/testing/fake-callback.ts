import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import {
  signWebhook,
  validationAnswerProblem,
  validationBody,
  webhookKeyPair,
  type WebhookKeyPair,
} from '../transports/webhook/signature.js';
import { postCallback, type CallbackAnswer } from './callback-post.js';
import { sampleEventData, sampleTime } from './sample-events.js';

/**
 * The callback ("webhook") half of {@link FakeQQServer}: it validates the bot's URL with op 13, then POSTs
 * signed events to it the way the platform does, redelivering an event (same id) that is not answered 200 in
 * time. Internal to the testing kit: reach it through `FakeQQServer.startCallbacks()`.
 * @internal
 * @module
 */

export interface FakeCallbackOptions {
  /** The bot's callback URL, e.g. `https://127.0.0.1:8443/qqbot`. */
  url: string;
  /** Trust this certificate (a test's self-signed one). TLS verification stays on. */
  ca?: string | Buffer;
  /**
   * Deliveries of one event before the fake gives up on it (the platform: reportedly 3).
   * @defaultValue `3`
   */
  tries?: number;
  /**
   * A delivery not answered 200 within this long has failed and is tried again.
   * @defaultValue `5_000`
   */
  timeoutMs?: number;
  /**
   * Pause before a redelivery.
   * @defaultValue `100`
   */
  retryDelayMs?: number;
  /**
   * Events in flight at once during `emitEvents`.
   * @defaultValue `16`
   */
  concurrency?: number;
}

/** How {@link FakeQQServer.sendCallback} signs its request. */
export interface SendCallbackOptions {
  /** `'valid'` signs with the app's key, `'forged'` with another, `'none'` sends no signature. @defaultValue `'valid'` */
  signature?: 'valid' | 'forged' | 'none';
  /** `X-Signature-Timestamp` (unix seconds): an old one replays a request. @defaultValue now */
  timestamp?: string;
}

/** One answer the bot gave that was not 200 (or no answer: `status` 0 and `error`). */
export interface FakeCallbackRejection {
  id: string | undefined;
  status: number;
  body: string;
  error: string | undefined;
}

/** What the callback mode has seen (a live object). */
export interface FakeCallbackStats {
  /** op 13 validations answered correctly. */
  validations: number;
  /** POSTs of events, first deliveries and redeliveries. */
  posts: number;
  /** Events answered 200 (each counted once). */
  acked: number;
  /** Redeliveries after a failed try. */
  retries: number;
  /** Events given up on after `tries` failed deliveries. */
  gaveUp: number;
  /** Every failed try, oldest first. */
  rejections: FakeCallbackRejection[];
}

/** An event as the platform POSTs it. */
export interface FakeCallbackEvent {
  id: string;
  type: string;
  data: unknown;
}

export class FakeCallbackSender {
  readonly stats: FakeCallbackStats = { validations: 0, posts: 0, acked: 0, retries: 0, gaveUp: 0, rejections: [] };
  readonly #url: URL;
  readonly #keys: WebhookKeyPair;
  readonly #appId: string;
  readonly #options: Required<Omit<FakeCallbackOptions, 'ca' | 'url'>> & { ca: string | Buffer | undefined };
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #notify: () => void;
  /** Pending redelivery pauses: close() ends them at once. */
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>();
  #closed = false;

  constructor(options: FakeCallbackOptions, credentials: { appId: string; secret: string }, notify: () => void) {
    this.#url = new URL(options.url);
    if (this.#url.protocol !== 'https:' && this.#url.protocol !== 'http:')
      throw new RangeError('FakeQQServer callbacks: url must be http(s)');
    this.#keys = webhookKeyPair(credentials.secret);
    this.#appId = credentials.appId;
    this.#options = {
      tries: atLeast('tries', options.tries ?? 3, 1),
      timeoutMs: atLeast('timeoutMs', options.timeoutMs ?? 5_000, 1),
      retryDelayMs: atLeast('retryDelayMs', options.retryDelayMs ?? 100, 0),
      concurrency: atLeast('concurrency', options.concurrency ?? 16, 1),
      ca: options.ca,
    };
    const agentOptions = { keepAlive: true, maxSockets: this.#options.concurrency };
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ ...agentOptions, ...(options.ca === undefined ? {} : { ca: options.ca }) })
        : new HttpAgent(agentOptions);
    this.#notify = notify;
  }

  get concurrency(): number {
    return this.#options.concurrency;
  }

  /** op 13: sends a validation and checks the answer's signature. @throws when the bot answered wrong. */
  async validate(plainToken = 'Arq0D5A61EgUu4OxUvOp', eventTs = String(Math.floor(Date.now() / 1000))): Promise<void> {
    const request = { plainToken, eventTs };
    const answer = await this.#post(validationBody(request), {
      'x-bot-appid': this.#appId,
      'user-agent': 'QQBot-Callback',
    });
    const problem = validationAnswerProblem(this.#keys.publicKey, request, answer);
    if (problem !== null)
      throw new Error(
        `FakeQQServer callbacks: the op 13 validation failed: ${problem} (HTTP ${answer.status}: ${answer.body.slice(0, 200)})`,
      );
    this.stats.validations += 1;
    this.#notify();
  }

  /** Delivers one event, redelivering it (same id) until answered 200 or out of tries; true when acked. */
  async deliver(event: FakeCallbackEvent): Promise<boolean> {
    const body = JSON.stringify({ op: 0, id: event.id, t: event.type, d: event.data });
    for (let attempt = 1; attempt <= this.#options.tries && !this.#closed; attempt++) {
      if (attempt > 1) {
        this.stats.retries += 1;
        await this.#sleep(this.#options.retryDelayMs);
        if (this.#closed) break;
      }
      const answer = await this.send(body, { id: event.id });
      if (answer.status === 200) {
        this.stats.acked += 1;
        this.#notify();
        return true;
      }
    }
    this.stats.gaveUp += 1;
    this.#notify();
    return false;
  }

  /**
   * Delivers `count` numbered events (`d` as in gateway mode, with `n`; id `cb-<n>`), at most `concurrency`
   * in flight; with `ratePerSec`, event i is not sent before i / ratePerSec s. Resolves with the numbers once
   * each was acked or given up on; an abort stops starting new ones.
   */
  async emitEvents(
    count: number,
    opts: { type: string; ratePerSec: number | undefined; signal: AbortSignal | undefined },
    nextNumber: () => number,
  ): Promise<number[]> {
    const numbers: number[] = [];
    const started = performance.now();
    let index = 0;
    const lane = async (): Promise<void> => {
      const stopped = (): boolean => this.#closed || opts.signal?.aborted === true;
      while (index < count && !stopped()) {
        const i = index++;
        if (opts.ratePerSec !== undefined) {
          const wait = (i * 1000) / opts.ratePerSec - (performance.now() - started);
          if (wait > 0) await this.#sleep(wait);
          if (stopped()) return;
        }
        const n = nextNumber();
        numbers.push(n);
        await this.deliver({
          id: `cb-${n}`,
          type: opts.type,
          data: sampleEventData(opts.type, n, sampleTime(Date.now())),
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, count) }, lane));
    return numbers.sort((a, b) => a - b);
  }

  /**
   * One POST of `body`, signed as the platform signs it unless told otherwise: `signature: 'forged'` signs with
   * another key, `'none'` sends none; `timestamp` replaces the current time (a replay). Not retried; a
   * non-200 answer is recorded as a rejection.
   */
  async send(body: string, options: SendCallbackOptions & { id?: string } = {}): Promise<CallbackAnswer> {
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'x-bot-appid': this.#appId,
      'x-signature-timestamp': timestamp,
      'user-agent': 'QQBot-Callback',
    };
    const signature = options.signature ?? 'valid';
    if (signature !== 'none') {
      const key = signature === 'valid' ? this.#keys.privateKey : webhookKeyPair(`forged-${this.#appId}`).privateKey;
      headers['x-signature-ed25519'] = signWebhook(key, timestamp, body);
      headers['x-signature-method'] = 'Ed25519';
    }
    this.stats.posts += 1;
    const answer = await this.#post(body, headers);
    if (answer.status !== 200) {
      this.stats.rejections.push({
        id: options.id,
        status: answer.status,
        body: answer.body,
        error: answer.status === 0 ? answer.body : undefined,
      });
      this.#notify();
    }
    return answer;
  }

  close(): void {
    this.#closed = true;
    for (const [timer, wake] of this.#sleeps) {
      clearTimeout(timer);
      wake();
    }
    this.#sleeps.clear();
    this.#agent.destroy();
  }

  /** A POST; a network error or a timeout becomes status 0 with the error code as the body. */
  async #post(body: string, headers: Record<string, string>): Promise<CallbackAnswer> {
    try {
      return await postCallback(this.#url, body, {
        headers,
        agent: this.#agent,
        timeoutMs: this.#options.timeoutMs,
        ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
      });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return { status: 0, body: typeof code === 'string' ? code : 'network error' };
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleeps.delete(timer);
        resolve();
      }, ms);
      this.#sleeps.set(timer, resolve);
    });
  }
}

function atLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`FakeQQServer callbacks: ${name} must be an integer ≥ ${min}`);
  return value;
}
