import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import type { CallbackAnswer } from './callback-post.js';
import {
  FakeCallbackSender,
  type FakeCallbackEvent,
  type FakeCallbackOptions,
  type FakeCallbackStats,
} from './fake-callback.js';
import { FakeGateway } from './fake-gateway-session.js';
import { HttpFaults, MAX_BODY_BYTES, readBody, sendJson } from './fake-http.js';
import { FakeRestApi, FakeRestCodes, IP_NOT_ALLOWED_ANSWER } from './fake-rest.js';
import { OBJECT_STORE_PATH } from './fake-chunked-upload.js';
import { sampleEventData, sampleTime } from './sample-events.js';
import { closeCode, httpStatus, intAtLeast, positive, resolveFakeOptions } from './fake-types.js';
import type {
  FakeDispatchOptions,
  FakeEmitEventsOptions,
  FakeIdentifyRecord,
  FakeQQServerEventMap,
  FakeQQServerOptions,
  FakeQQServerStats,
  FakeResumeRecord,
  FakeSessionInfo,
  ResolvedFakeOptions,
} from './fake-types.js';

const WAIT_FOR_POLL_MS = 20;
const EMIT_BATCH = 500;
const GATEWAY_PATHS: ReadonlySet<string> = new Set(['/websocket', '/websocket/']);
const TOKEN_PATH = '/app/getAppAccessToken';
const TOKEN_EXPIRED = { code: FakeRestCodes.TOKEN_INVALID, message: 'token not exist or expire' };

/**
 * A fake of the QQ Official Bot platform on `127.0.0.1` with an ephemeral port: the token endpoint,
 * `GET /gateway/bot`, the WebSocket gateway (Hello, Identify/READY, Resume with replay/RESUMED, heartbeats)
 * and, through {@link FakeQQServer.rest}, the OpenAPI routes. It records what clients do
 * ({@link FakeQQServer.stats}) and injects faults on demand. Deterministic: no randomness but token values,
 * no timers but the ones you ask for. See `docs/testing.md`.
 *
 * @example
 * ```ts
 * const fake = await FakeQQServer.start();
 * const bot = new QQBotConnector({ appId: 'test-app', secret: 'test-secret', intents, endpoints: fake.endpoints });
 * await bot.start();
 * await fake.emitEvents(10);
 * await fake.waitFor(() => received.length === 10);
 * await bot.close();
 * await fake.close();
 * ```
 */
/** How {@link FakeQQServer.sendCallback} signs its request. */
export interface SendCallbackOptions {
  /** `'valid'` signs with the app's key, `'forged'` with another, `'none'` sends no signature. @defaultValue `'valid'` */
  signature?: 'valid' | 'forged' | 'none';
  /** `X-Signature-Timestamp` (unix seconds): an old one replays a request. @defaultValue now */
  timestamp?: string;
}

export class FakeQQServer extends EventEmitter<FakeQQServerEventMap> {
  /** The listening port. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `ws://127.0.0.1:<port>/websocket`, as answered by `GET /gateway/bot`. */
  readonly gatewayUrl: string;
  /** The endpoints to pass straight to the connector's `endpoints` option. */
  readonly endpoints: { readonly token: string; readonly api: string };
  /** The OpenAPI routes; their context accepts exactly the tokens {@link FakeQQServer.isValidToken} accepts. */
  readonly rest: FakeRestApi;

  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #gateway: FakeGateway;
  readonly #options: ResolvedFakeOptions;
  readonly #tokens = new Map<string, { expiresAt: number; appId: string }>();
  readonly #tokenFaults = new HttpFaults();
  readonly #gatewayBotFaults = new HttpFaults();
  #eventCounter = 0;
  #eventsDispatched = 0;
  readonly #stats = {
    identifies: [] as FakeIdentifyRecord[],
    resumes: [] as FakeResumeRecord[],
    heartbeats: 0,
    heartbeatAcks: 0,
    gatewayBotCalls: 0,
    tokenCalls: 0,
    connections: 0,
    liveConnections: 0,
    maxConcurrentConnections: 0,
    maxConcurrentPerSession: 0,
    refusedConnections: 0,
    resetConnections: 0,
  };
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #hung = new Set<ServerResponse>();
  readonly #stoppers = new Set<() => void>();
  readonly #waiters = new Set<{ check: () => void; fail: (err: Error) => void }>();
  #closing: Promise<void> | undefined;
  #callbacks: FakeCallbackSender | undefined;
  #gatewayUrlOverride: { n: number; url: string } = { n: 0, url: '' };
  /** `performance.now()` until which WebSocket upgrades are refused (`refuseConnections`). */
  #refuseUntil = 0;
  /** `performance.now()` until which every new TCP connection is reset (`outage`). */
  #outageUntil = 0;
  /** Upgrades still to be left unanswered (`silenceUpgrades`), and the sockets left so, destroyed on close. */
  #silenceUpgrades = 0;
  readonly #silenced = new Set<Duplex>();

  private constructor(server: Server, port: number, options: ResolvedFakeOptions) {
    super();
    this.#server = server;
    this.#options = options;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/websocket`;
    this.endpoints = Object.freeze({ token: `${this.url}${TOKEN_PATH}`, api: this.url });
    this.#gateway = new FakeGateway({
      stats: this.#stats,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      replayLimit: options.replayLimit,
      allowedIntents: options.allowedIntents,
      validAuth: (value) => this.#validAuth(value),
      appOf: (value) => this.#tokens.get(value.slice('QQBot '.length))?.appId ?? '',
      now: () => this.#options.now(),
      signal: (event, ...args) => this.#signal(event, ...args),
      setTimer: (fn, ms) => this.#setTimer(fn, ms),
      clearTimer: (timer) => this.#clearTimer(timer),
    });
    this.rest = new FakeRestApi({
      isValidToken: (token) => this.isValidToken(token),
      now: () => this.#options.now(),
      baseUrl: () => this.url,
    });
    server.on('connection', (socket: Socket) => {
      if (performance.now() >= this.#outageUntil) return;
      this.#stats.resetConnections += 1;
      socket.resetAndDestroy();
    });
    server.on('request', (req, res) => void this.#onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    server.on('error', () => {});
  }

  /**
   * Starts a fake on `127.0.0.1` with an ephemeral port.
   * @throws RangeError for an option out of range (before anything listens).
   */
  static async start(options: FakeQQServerOptions = {}): Promise<FakeQQServer> {
    const resolved = resolveFakeOptions(options);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new FakeQQServer(server, port, resolved);
  }

  /** What the fake has seen so far (a live object). */
  get stats(): Readonly<FakeQQServerStats> {
    return this.#stats;
  }

  /** Every session created over the fake's life, oldest first (snapshots). */
  get sessions(): ReadonlyArray<FakeSessionInfo> {
    return this.#gateway.sessions.map((s) => ({
      id: s.id,
      shard: s.shard,
      appId: s.appId,
      lastSeq: s.lastSeq,
      resumable: s.resumable,
      delivering: s.bound?.delivering === true,
    }));
  }

  /** Events dispatched by {@link FakeQQServer.dispatch} and {@link FakeQQServer.emitEvents} over the fake's life. */
  get eventsDispatched(): number {
    return this.#eventsDispatched;
  }

  /** True when `token` (without the `QQBot ` prefix) was issued by this fake and has not expired on its clock. */
  isValidToken(token: string): boolean {
    const issued = this.#tokens.get(token);
    return issued !== undefined && this.#options.now() < issued.expiresAt;
  }

  // ---------------------------------------------------------------- events into the session

  /**
   * Dispatches one event into the current session (the one most recently created by an Identify): it is
   * appended to the session's log (replayed on Resume) and sent to the session's socket if that socket has
   * received READY/RESUMED.
   * @returns The event's seq.
   * @throws Error when no session exists yet, or after {@link FakeQQServer.close}.
   */
  dispatch(type: string, data: unknown, opts: FakeDispatchOptions = {}): number {
    if (this.#closing) throw new Error('FakeQQServer.dispatch: the fake is closed');
    const seq = this.#gateway.dispatch(type, data, opts.id, opts.shard, opts.session);
    this.#eventsDispatched += 1;
    this.#notify();
    return seq;
  }

  /**
   * Dispatches `count` numbered events (`d = { n, content: "event <n>" }`, `n` counting from 0 over the
   * fake's life) into the current session. Without `ratePerSec` the first 500 are dispatched synchronously
   * and the rest in batches of 500 separated by `setImmediate`; with it, event i is due at i / ratePerSec s
   * and timers dispatch every due event (several per tick at high rates). Events dispatched while no socket
   * is live are still logged, so a later Resume replays them.
   * @returns The seqs dispatched, in order. An abort or {@link FakeQQServer.close} ends it early: the promise
   * then resolves with the seqs dispatched so far (it never rejects for that).
   * @throws (rejects) the {@link FakeQQServer.dispatch} error when there is no session.
   */
  emitEvents(count: number, opts: FakeEmitEventsOptions = {}): Promise<number[]> {
    const total = intAtLeast('count', count, 0);
    const rate = opts.ratePerSec === undefined ? undefined : positive('ratePerSec', opts.ratePerSec);
    if (this.#callbacks !== undefined) {
      const next = (): number => {
        this.#eventsDispatched += 1;
        return this.#eventCounter++;
      };
      return this.#callbacks.emitEvents(
        total,
        { type: opts.type ?? 'GROUP_AT_MESSAGE_CREATE', ratePerSec: rate, signal: opts.signal },
        next,
      );
    }
    const type = opts.type ?? 'GROUP_AT_MESSAGE_CREATE';
    const { signal } = opts;
    const seqs: number[] = [];
    return new Promise<number[]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.#clearTimer(timer);
        if (immediate !== undefined) clearImmediate(immediate);
        signal?.removeEventListener('abort', stop);
        this.#stoppers.delete(stop);
        if (err === undefined) resolve(seqs);
        else reject(err);
      };
      const stop = (): void => settle();
      if (signal?.aborted === true) return settle();
      signal?.addEventListener('abort', stop, { once: true });
      this.#stoppers.add(stop);
      const started = performance.now();
      const run = (): void => {
        timer = undefined;
        immediate = undefined;
        if (settled) return;
        try {
          const due =
            rate === undefined
              ? seqs.length + EMIT_BATCH
              : Math.floor(((performance.now() - started) * rate) / 1000) + 1;
          const until = Math.min(total, due);
          // Once per batch: the shards that have a session now.
          const shards = opts.shard === undefined ? this.#gateway.shardsWithSession() : [opts.shard];
          const at = sampleTime(this.#options.now());
          while (seqs.length < until) {
            const n = this.#eventCounter;
            const shard = shards.length > 1 ? shards[n % shards.length] : opts.shard;
            const target =
              opts.session !== undefined ? { session: opts.session } : shard === undefined ? {} : { shard };
            seqs.push(this.dispatch(type, sampleEventData(type, n, at), target));
            this.#eventCounter = n + 1;
          }
        } catch (err) {
          return settle(err);
        }
        if (seqs.length >= total) return settle();
        if (rate === undefined) {
          immediate = setImmediate(run);
        } else {
          const wait = Math.max(0, Math.ceil((seqs.length * 1000) / rate - (performance.now() - started)));
          timer = this.#setTimer(run, wait);
        }
      };
      run();
    });
  }

  // ---------------------------------------------------------------- callback (webhook) mode

  /**
   * Switches to callback mode: validates `url` with op 13 (and checks the answer's signature), then
   * {@link FakeQQServer.emitEvents} POSTs signed events to it instead of dispatching into a gateway session
   * (the numbers it resolves with are the events' `n`; their ids are `cb-<n>`). An event not answered 200
   * within `timeoutMs` is redelivered with the same id, up to `tries` times. See docs/testing.md.
   * @throws (rejects) when the bot's validation answer is wrong, or it cannot be reached.
   */
  async startCallbacks(options: FakeCallbackOptions): Promise<void> {
    if (this.#closing) throw new Error('FakeQQServer.startCallbacks: the fake is closed');
    this.#callbacks?.close();
    const sender = new FakeCallbackSender(options, { appId: this.#options.appId, secret: this.#options.secret }, () =>
      this.#notify(),
    );
    this.#callbacks = sender;
    await sender.validate();
  }

  /** What callback mode has seen: validations, posts, acks, redeliveries, rejections (a live object). */
  get callbackStats(): Readonly<FakeCallbackStats> {
    return this.#requireCallbacks().stats;
  }

  /** Delivers one event in callback mode, redelivering as the platform does; true once answered 200. */
  postEvent(event: FakeCallbackEvent): Promise<boolean> {
    return this.#requireCallbacks().deliver(event);
  }

  /**
   * One POST to the bot in callback mode, not retried: the raw body, or an event (sent as its op 0 payload).
   * `signature: 'forged'` signs with another key, `'none'` sends none, `timestamp` (unix seconds) replays an old request.
   */
  sendCallback(body: string | FakeCallbackEvent, options: SendCallbackOptions = {}): Promise<CallbackAnswer> {
    const raw = typeof body === 'string' ? body : JSON.stringify({ op: 0, id: body.id, t: body.type, d: body.data });
    return this.#requireCallbacks().send(raw, options);
  }

  #requireCallbacks(): FakeCallbackSender {
    if (this.#callbacks === undefined)
      throw new Error('FakeQQServer: callback mode is not started (call startCallbacks first)');
    return this.#callbacks;
  }

  // ---------------------------------------------------------------- HTTP faults

  /** The next `n` `GET /gateway/bot` requests are never answered (their sockets are destroyed by close()). */
  hangGatewayBot(n: number): void {
    this.#gatewayBotFaults.hang(intAtLeast('n', n, 0));
  }

  /** The next `n` `GET /gateway/bot` requests are answered after `ms` ms (combines with a fail). */
  delayGatewayBot(n: number, ms: number): void {
    this.#gatewayBotFaults.delay(intAtLeast('n', n, 0), intAtLeast('ms', ms, 0));
  }

  /**
   * The next `n` successful `GET /gateway/bot` answers carry `url` instead of this fake's gateway: a stale or
   * dead gateway URL, to test that a client fetches the URL again when connecting to it fails.
   */
  answerGatewayUrl(n: number, url: string): void {
    this.#gatewayUrlOverride = { n: intAtLeast('n', n, 0), url };
  }

  /** The next `n` `GET /gateway/bot` requests are answered `status` with `{"code":500,"message":"internal"}`. */
  failGatewayBot(n: number, status = 500): void {
    this.#gatewayBotFaults.fail(intAtLeast('n', n, 0), httpStatus(status), { code: 500, message: 'internal' });
  }

  /** The next `n` token requests are never answered (their sockets are destroyed by close()). */
  hangToken(n: number): void {
    this.#tokenFaults.hang(intAtLeast('n', n, 0));
  }

  /** The next `n` token requests are answered after `ms` ms (combines with a fail). */
  delayToken(n: number, ms: number): void {
    this.#tokenFaults.delay(intAtLeast('n', n, 0), intAtLeast('ms', ms, 0));
  }

  /**
   * The next `n` token requests are answered `status` with `body`.
   * @defaultValue status `500`, body `{"code":100002,"message":"internal err"}`
   */
  failToken(n: number, status = 500, body: unknown = { code: 100002, message: 'internal err' }): void {
    this.#tokenFaults.fail(intAtLeast('n', n, 0), httpStatus(status), body);
  }

  // ---------------------------------------------------------------- gateway faults

  /**
   * Sends a close frame with `code` on every live gateway socket.
   * @throws RangeError unless `code` is 1000 or 3000–4999 (a frame cannot carry 1006: use dropConnections()).
   */
  closeConnections(code: number, reason = ''): void {
    this.#gateway.closeAll(closeCode(code), reason);
  }

  /**
   * Sends `frame` unchanged on every live gateway socket (text; a Buffer goes as a binary frame): junk, unknown
   * opcodes, frames of the wrong shape, oversized frames. It is not logged for replay.
   */
  sendRaw(frame: string | Buffer): void {
    this.#gateway.sendRaw(frame);
  }

  /** Sends op 7 (Reconnect) to every live socket, then closes it with 4009, as the platform does. */
  sendReconnect(): void {
    this.#gateway.sendReconnect();
  }

  /**
   * Sends op 9 with `d = resumable` to every live socket; a socket the client has not closed 100 ms later is
   * closed with 4006. It does not forget the session (see {@link FakeQQServer.invalidateSessions}).
   */
  sendInvalidSession(resumable: boolean): void {
    this.#gateway.sendInvalidSession(resumable);
  }

  /** Heartbeats are still recorded but no longer ACKed (a zombie connection). */
  stopAcking(): void {
    this.#gateway.acking = false;
  }

  /** Heartbeats are ACKed again. */
  resumeAcking(): void {
    this.#gateway.acking = true;
  }

  /** Destroys every gateway TCP socket without a close frame (the client sees 1006). */
  dropConnections(): void {
    this.#gateway.dropAll();
  }

  /** The next `n` Resume frames are answered by closing the socket with `code`. */
  rejectResumes(n: number, code = 4902): void {
    this.#gateway.rejectResumes = { n: intAtLeast('n', n, 0), code: closeCode(code) };
  }

  /**
   * The next `n` accepted Resume frames get their replay and RESUMED, then the socket is closed with `code` at
   * once: a "stale session" loop, where every RESUME seems to succeed and the session dies before any progress.
   */
  closeAfterResumed(n: number, code = 4009): void {
    this.#gateway.closeAfterResumed = { n: intAtLeast('n', n, 0), code: closeCode(code) };
  }

  /**
   * For the next `ms` ms, WebSocket upgrades to the gateway (and plain requests to its path) are answered `503`
   * and their sockets closed (a gateway outage; `GET /gateway/bot` still answers). Counted in `stats.refusedConnections`. `0` ends it.
   */
  refuseConnections(ms: number): void {
    this.#refuseUntil = performance.now() + intAtLeast('ms', ms, 0);
  }

  /**
   * For the next `ms` ms the whole platform is unreachable: every live gateway socket and HTTP connection is cut
   * at once, and every new TCP connection (token, REST, `/gateway/bot`, gateway) is reset as soon as it is
   * accepted. Counted in `stats.resetConnections`. `0` ends it.
   */
  outage(ms: number): void {
    this.#outageUntil = performance.now() + intAtLeast('ms', ms, 0);
    if (ms === 0) return;
    this.#gateway.dropAll();
    this.#server.closeAllConnections();
  }

  /**
   * The next `n` WebSocket upgrades to the gateway are accepted and never answered: a gateway that hangs in the
   * handshake, on the origin the connector trusts. Their sockets are closed by `close()`.
   */
  silenceUpgrades(n: number): void {
    this.#silenceUpgrades = intAtLeast('n', n, 0);
  }

  /** The next `n` Identify frames are answered by closing the socket with `code`. */
  failIdentifies(n: number, code: number): void {
    this.#gateway.failIdentifies = { n: intAtLeast('n', n, 0), code: closeCode(code) };
  }

  /** While true, new sockets get no Hello; setting it false sends Hello to every socket still waiting. */
  holdHello(hold: boolean): void {
    this.#gateway.holdHello(hold);
  }

  /**
   * While true, accepted Identify/Resume frames are recorded and bound but READY/RESUMED (and the replay)
   * are withheld; setting it false sends every withheld one, followed by the events logged meanwhile.
   */
  holdReady(hold: boolean): void {
    this.#gateway.holdReady(hold);
  }

  /**
   * Forgets every session: a later Resume of any of them gets op 9 `d: false`. Live sockets stay open and
   * the current session keeps receiving {@link FakeQQServer.dispatch} until the next Identify.
   */
  invalidateSessions(): void {
    this.#gateway.invalidateSessions();
  }

  // ---------------------------------------------------------------- waiting and closing

  /**
   * Resolves once `predicate()` is true. It is checked at once, after each of the fake's events (token,
   * gatewayBot, connection, identify, resume, ready, resumed, heartbeat, disconnect, dispatch) and every
   * 20 ms, so a predicate over your own state works too.
   * @param timeoutMs - Rejects after this long. @defaultValue `5000`
   * @throws (rejects) on timeout, when the predicate throws, or when the fake closes first.
   */
  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        check: (): void => {
          let done: boolean;
          try {
            done = predicate();
          } catch (err) {
            finish();
            reject(err);
            return;
          }
          if (done) {
            finish();
            resolve();
          }
        },
        fail: (err: Error): void => {
          finish();
          reject(err);
        },
      };
      const timeout = setTimeout(
        () => waiter.fail(new Error(`FakeQQServer.waitFor: timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const poll = setInterval(waiter.check, WAIT_FOR_POLL_MS);
      const finish = (): void => {
        clearTimeout(timeout);
        clearInterval(poll);
        this.#waiters.delete(waiter);
      };
      if (this.#closing) return waiter.fail(new Error('FakeQQServer.waitFor: the fake is closed'));
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  /**
   * Closes everything: terminates every gateway socket, destroys hung HTTP requests, closes the HTTP server
   * and its keep-alive connections, clears every timer, ends running {@link FakeQQServer.emitEvents} and
   * rejects pending {@link FakeQQServer.waitFor}. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const stop of [...this.#stoppers]) stop();
    this.#callbacks?.close();
    for (const waiter of [...this.#waiters]) waiter.fail(new Error('FakeQQServer.waitFor: the fake was closed'));
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const res of this.#hung) res.destroy();
    this.#hung.clear();
    for (const socket of this.#silenced) socket.destroy();
    this.#silenced.clear();
    this.#gateway.shutdown();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    this.#wss.close();
    await closed;
  }

  // ---------------------------------------------------------------- internals

  #notify(): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  #signal<K extends keyof FakeQQServerEventMap>(event: K, ...args: FakeQQServerEventMap[K]): void {
    try {
      (this.emit as (event: K, ...args: FakeQQServerEventMap[K]) => boolean)(event, ...args);
    } catch (err) {
      // A throwing listener (an `expect` in a test) must not derail the protocol: surface it as uncaught.
      process.nextTick(() => {
        throw err;
      });
    }
    this.#notify();
  }

  #setTimer(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  #validAuth(value: string | undefined): boolean {
    return value !== undefined && value.startsWith('QQBot ') && this.isValidToken(value.slice('QQBot '.length));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      // Presigned part PUTs stream into the fake object store: no body is buffered here.
      if (url.pathname.startsWith(OBJECT_STORE_PATH)) return this.rest.chunkedUploads.put(req, res, url.pathname);
      const body = await readBody(req, MAX_BODY_BYTES);
      if (this.#closing) return void res.destroy();
      if (body === undefined) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, { code: 413, message: 'payload too large' });
      }
      if (req.method === 'POST' && url.pathname === TOKEN_PATH) {
        this.#stats.tokenCalls += 1;
        this.#signal('token');
        if (await this.#applyFaults(this.#tokenFaults, res)) this.#answerToken(res, body);
      } else if (req.method === 'GET' && url.pathname === '/gateway/bot') {
        this.#stats.gatewayBotCalls += 1;
        this.#signal('gatewayBot');
        if (!(await this.#applyFaults(this.#gatewayBotFaults, res))) return;
        if (this.rest.refuseCallerIp) return sendJson(res, 401, IP_NOT_ALLOWED_ANSWER);
        if (!this.#validAuth(req.headers.authorization)) return sendJson(res, 401, TOKEN_EXPIRED);
        const limit = {
          total: 1000,
          remaining: this.#options.sessionStartRemaining,
          reset_after: this.#options.sessionStartResetAfterMs,
          max_concurrency: this.#options.maxConcurrency,
        };
        let gatewayUrl = this.gatewayUrl;
        if (this.#gatewayUrlOverride.n > 0) {
          this.#gatewayUrlOverride.n -= 1;
          gatewayUrl = this.#gatewayUrlOverride.url;
        }
        sendJson(res, 200, { url: gatewayUrl, shards: this.#options.shards, session_start_limit: limit });
      } else if (req.method === 'GET' && url.pathname === '/gateway') {
        if (this.rest.refuseCallerIp) return sendJson(res, 401, IP_NOT_ALLOWED_ANSWER);
        if (!this.#validAuth(req.headers.authorization)) return sendJson(res, 401, TOKEN_EXPIRED);
        sendJson(res, 200, { url: this.gatewayUrl });
      } else if (GATEWAY_PATHS.has(url.pathname) && performance.now() < this.#refuseUntil) {
        sendJson(res, 503, { code: 503, message: 'gateway unavailable' });
      } else if (!this.rest.handle(req, res, url, body)) {
        sendJson(res, 404, { code: 404, message: 'not found' });
      }
    } catch {
      if (!res.headersSent) sendJson(res, 500, { code: 500, message: 'fake server error' });
      else res.destroy();
    }
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
      await new Promise<void>((resolve) => this.#setTimer(resolve, plan.delayMs));
    }
    if (plan.fail === undefined) return true;
    sendJson(res, plan.fail.status, plan.fail.body);
    return false;
  }

  #answerToken(res: ServerResponse, body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { code: 400, message: 'invalid json body' });
    }
    const pair = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const apps = [{ appId: this.#options.appId, secret: this.#options.secret }, ...this.#options.apps];
    if (!apps.some((app) => pair.appId === app.appId && pair.clientSecret === app.secret)) {
      return sendJson(res, 200, { code: 100016, message: 'invalid appid or secret' });
    }
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, {
      expiresAt: this.#options.now() + this.#options.tokenTtlSeconds * 1000,
      appId: pair.appId as string,
    });
    sendJson(res, 200, { access_token: token, expires_in: String(this.#options.tokenTtlSeconds) });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let pathname = '';
    try {
      pathname = new URL(req.url ?? '/', this.url).pathname;
    } catch {
      // keeps '' → 404
    }
    if (this.#closing || !GATEWAY_PATHS.has(pathname)) {
      // Destroy only once the answer is flushed: destroying at once can cut the 404 off.
      socket.once('finish', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (performance.now() < this.#refuseUntil) {
      this.#stats.refusedConnections += 1;
      this.#signal('refused');
      socket.once('finish', () => socket.destroy());
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (this.#silenceUpgrades > 0) {
      this.#silenceUpgrades -= 1;
      this.#silenced.add(socket);
      socket.once('close', () => this.#silenced.delete(socket));
      return;
    }
    try {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#gateway.accept(ws));
    } catch {
      socket.destroy();
    }
  }
}
