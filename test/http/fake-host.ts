import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeRestApi } from '../../src/testing/fake-rest.js';

/** What the token endpoint answers; the default issues `tok-<n>` valid for 7200 s (expires_in as a string). */
export type TokenResponder = (
  call: number,
  body: unknown,
) => { status: number; body: unknown } | { status: number; raw: string };

export interface FakeHostOptions {
  tokenResponder?: TokenResponder;
  gatewayUrl?: string;
}

/**
 * A tiny loopback host for {@link FakeRestApi} plus a token endpoint, for the REST tests until FakeQQServer
 * lands. Tokens it issued stay valid until {@link FakeHost.revokeAll}.
 */
export class FakeHost {
  readonly rest: FakeRestApi;
  /** Bodies the token endpoint received (they contain the test secret: never print them). */
  readonly tokenRequests: unknown[] = [];
  tokenResponder: TokenResponder | undefined;
  /** The fake's clock, for the passive-reply window. */
  nowMs = Date.parse('2026-01-01T00:00:00Z');
  readonly #valid = new Set<string>();
  readonly #server: Server;
  #issued = 0;
  #gate: Promise<void> | undefined;
  #tokenWaiters: Array<() => void> = [];

  private constructor(server: Server, options: FakeHostOptions) {
    this.#server = server;
    this.tokenResponder = options.tokenResponder;
    this.rest = new FakeRestApi({
      isValidToken: (t) => this.#valid.has(t),
      now: () => this.nowMs,
      ...(options.gatewayUrl === undefined ? {} : { gatewayUrl: () => options.gatewayUrl ?? '' }),
    });
  }

  static async start(options: FakeHostOptions = {}): Promise<FakeHost> {
    const server = createServer((req, res) => {
      void host.onRequest(req, res);
    });
    server.keepAliveTimeout = 60_000;
    const host = new FakeHost(server, options);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    void host.url;
    return host;
  }

  #url = '';

  get url(): string {
    if (this.#url === '') this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  get tokenUrl(): string {
    return `${this.url}/app/getAppAccessToken`;
  }

  get tokenCalls(): number {
    return this.tokenRequests.length;
  }

  /** Every token issued so far stops working (as after a platform-side expiry). */
  revokeAll(): void {
    this.#valid.clear();
  }

  /**
   * Holds token answers until the returned function is called: lets a test line up callers behind one
   * in-flight token request without sleeping.
   */
  holdTokens(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.#gate = undefined;
      release();
    };
  }

  /** Resolves when the token endpoint has received `n` requests in total. */
  tokenRequestsReached(n: number): Promise<void> {
    if (this.tokenCalls >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.tokenCalls >= n) resolve();
        else this.#tokenWaiters.push(check);
      };
      this.#tokenWaiters.push(check);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname === '/app/getAppAccessToken') {
      await this.#token(text, res);
      return;
    }
    if (!this.rest.handle(req, res, url, text)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, message: 'not found' }));
    }
  }

  async #token(text: string, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
    this.tokenRequests.push(body);
    const waiters = this.#tokenWaiters;
    this.#tokenWaiters = [];
    for (const w of waiters) w();
    if (this.#gate !== undefined) await this.#gate;
    const call = this.tokenRequests.length;
    const answer = this.tokenResponder?.(call, body) ?? {
      status: 200,
      body: { access_token: `tok-${++this.#issued}`, expires_in: '7200' },
    };
    if ('raw' in answer) {
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.raw);
      return;
    }
    const b = answer.body as { access_token?: unknown };
    if (answer.status === 200 && typeof b?.access_token === 'string') this.#valid.add(b.access_token);
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }
}
