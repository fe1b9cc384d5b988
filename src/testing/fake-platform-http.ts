import type { IncomingMessage, ServerResponse } from 'node:http';
import { OBJECT_STORE_PATH } from './fake-chunked-upload.js';
import { GATEWAY_PATHS, HttpFaults, MAX_BODY_BYTES, readBody, sendJson } from './fake-http.js';
import type { ResolvedFakeOptions } from './fake-options.js';
import type { FakeRestApi } from './fake-rest.js';
import { FakeRestCodes, IP_NOT_ALLOWED_ANSWER } from './fake-rest-types.js';
import type { TimerSet } from './fake-timers.js';
import type { FakeTokens } from './fake-tokens.js';

/**
 * The plain HTTP requests of {@link FakeQQServer}: the token endpoint and `GET /gateway/bot` with their
 * hang/delay/fail faults, `GET /gateway`, the 503 of a refused gateway path, the object store of chunked uploads,
 * and every other path handed to the REST fake. Internal to the testing kit.
 * @internal
 * @module
 */

export const TOKEN_PATH = '/app/getAppAccessToken';
const TOKEN_EXPIRED = { code: FakeRestCodes.TOKEN_INVALID, message: 'token not exist or expire' };

/** What the request handler needs from the fake that hosts it. */
export interface PlatformHttpHost {
  readonly url: string;
  readonly gatewayUrl: string;
  readonly options: ResolvedFakeOptions;
  readonly stats: { tokenCalls: number; gatewayBotCalls: number };
  readonly tokens: FakeTokens;
  readonly rest: FakeRestApi;
  readonly timers: TimerSet;
  closing(): boolean;
  /** True while gateway upgrades (and plain requests to the gateway path) are refused. */
  refusing(): boolean;
  /** Emits the fake's event and wakes `waitFor`. */
  signal(event: 'token' | 'gatewayBot'): void;
}

export class FakePlatformHttp {
  readonly tokenFaults = new HttpFaults();
  readonly gatewayBotFaults = new HttpFaults();
  #gatewayUrlOverride: { n: number; url: string } = { n: 0, url: '' };
  /** Answers held by a hang fault: destroyed by `close()`. */
  readonly #hung = new Set<ServerResponse>();

  constructor(private readonly host: PlatformHttpHost) {}

  /** The next `n` successful `GET /gateway/bot` answers carry `url`. */
  answerGatewayUrl(n: number, url: string): void {
    this.#gatewayUrlOverride = { n, url };
  }

  /** Destroys the requests a hang fault holds. */
  close(): void {
    for (const res of this.#hung) res.destroy();
    this.#hung.clear();
  }

  async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { host } = this;
    try {
      const url = new URL(req.url ?? '/', host.url);
      // Presigned part PUTs stream into the fake object store: no body is buffered here.
      if (url.pathname.startsWith(OBJECT_STORE_PATH)) return host.rest.chunkedUploads.put(req, res, url.pathname);
      const body = await readBody(req, MAX_BODY_BYTES);
      if (host.closing()) return void res.destroy();
      if (body === undefined) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, { code: 413, message: 'payload too large' });
      }
      if (req.method === 'POST' && url.pathname === TOKEN_PATH) {
        host.stats.tokenCalls += 1;
        host.signal('token');
        if (await this.#applyFaults(this.tokenFaults, res)) host.tokens.answer(res, body);
      } else if (req.method === 'GET' && url.pathname === '/gateway/bot') {
        host.stats.gatewayBotCalls += 1;
        host.signal('gatewayBot');
        if (!(await this.#applyFaults(this.gatewayBotFaults, res))) return;
        if (this.#refuseCaller(req, res)) return;
        this.#answerGatewayBot(res);
      } else if (req.method === 'GET' && url.pathname === '/gateway') {
        if (this.#refuseCaller(req, res)) return;
        sendJson(res, 200, { url: host.gatewayUrl });
      } else if (GATEWAY_PATHS.has(url.pathname) && host.refusing()) {
        sendJson(res, 503, { code: 503, message: 'gateway unavailable' });
      } else if (!host.rest.handle(req, res, url, body)) {
        sendJson(res, 404, { code: 404, message: 'not found' });
      }
    } catch {
      if (!res.headersSent) sendJson(res, 500, { code: 500, message: 'fake server error' });
      else res.destroy();
    }
  }

  /** Answers 401 to a caller off the IP allow-list or without a valid token; true when it did. */
  #refuseCaller(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.host.rest.refuseCallerIp) sendJson(res, 401, IP_NOT_ALLOWED_ANSWER);
    else if (!this.host.tokens.validAuth(req.headers.authorization)) sendJson(res, 401, TOKEN_EXPIRED);
    else return false;
    return true;
  }

  #answerGatewayBot(res: ServerResponse): void {
    const { options } = this.host;
    const limit = {
      total: 1000,
      remaining: options.sessionStartRemaining,
      reset_after: options.sessionStartResetAfterMs,
      max_concurrency: options.maxConcurrency,
    };
    let gatewayUrl = this.host.gatewayUrl;
    if (this.#gatewayUrlOverride.n > 0) {
      this.#gatewayUrlOverride.n -= 1;
      gatewayUrl = this.#gatewayUrlOverride.url;
    }
    sendJson(res, 200, { url: gatewayUrl, shards: options.shards, session_start_limit: limit });
  }

  /** Applies the next hang/delay/fail; true when the request is still to be answered normally. */
  async #applyFaults(faults: HttpFaults, res: ServerResponse): Promise<boolean> {
    const plan = faults.take();
    if (plan.hang) {
      this.#hung.add(res);
      res.once('close', () => this.#hung.delete(res));
      return false;
    }
    if (plan.delayMs > 0) {
      // close() clears this timer: the request then never resumes and its socket is destroyed.
      await new Promise<void>((resolve) => this.host.timers.set(resolve, plan.delayMs));
    }
    if (plan.fail === undefined) return true;
    sendJson(res, plan.fail.status, plan.fail.body);
    return false;
  }
}
