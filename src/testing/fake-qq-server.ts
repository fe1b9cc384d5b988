// Over 400 lines: the public face of the kit, one class by its API; each member is a documented delegation.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { CallbackAnswer } from './callback-post.js';
import {
  FakeCallbackSender,
  type FakeCallbackEvent,
  type FakeCallbackOptions,
  type FakeCallbackStats,
  type SendCallbackOptions,
} from './fake-callback.js';
import { closeCode, httpStatus, intAtLeast, positive } from './fake-checks.js';
import { pace } from './fake-emit.js';
import { FakeGateway } from './fake-gateway-session.js';
import { resolveFakeOptions, type FakeQQServerOptions, type ResolvedFakeOptions } from './fake-options.js';
import { FakePlatformHttp, TOKEN_PATH } from './fake-platform-http.js';
import { FakeRestApi } from './fake-rest.js';
import { TimerSet } from './fake-timers.js';
import { FakeTokens } from './fake-tokens.js';
import type {
  FakeDispatchOptions,
  FakeEmitEventsOptions,
  FakeIdentifyRecord,
  FakeQQServerEventMap,
  FakeQQServerStats,
  FakeResumeRecord,
  FakeSessionInfo,
} from './fake-types.js';
import { FakeUpgrades } from './fake-upgrades.js';
import { FakeWaiters } from './fake-waiters.js';
import { sampleEventData, sampleTime } from './sample-events.js';

/**
 * A fake of the QQ Official Bot platform on `127.0.0.1` with an ephemeral port: the token endpoint,
 * `GET /gateway/bot`, the WebSocket gateway (Hello, Identify/READY, Resume with replay/RESUMED, heartbeats)
 * and, through {@link FakeQQServer.rest}, the OpenAPI routes. It records what clients do
 * ({@link FakeQQServer.stats}) and injects faults on demand. Deterministic: no randomness but token values,
 * no timers but the ones you ask for. See `docs/testing.md`.
 *
 * This class is the kit's public face: each member checks its arguments and hands the work to the module that
 * does it (`fake-gateway-session.ts`, `fake-platform-http.ts`, `fake-upgrades.ts`, `fake-rest.ts`, …).
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
  readonly #options: ResolvedFakeOptions;
  readonly #gateway: FakeGateway;
  readonly #http: FakePlatformHttp;
  readonly #upgrades: FakeUpgrades;
  readonly #tokens: FakeTokens;
  readonly #timers = new TimerSet();
  readonly #waiters = new FakeWaiters();
  /** The stops of running `emitEvents`, called by `close()`. */
  readonly #stoppers = new Set<() => void>();
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
  #closing: Promise<void> | undefined;
  #callbacks: FakeCallbackSender | undefined;

  private constructor(server: Server, port: number, options: ResolvedFakeOptions) {
    super();
    this.#server = server;
    this.#options = options;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/websocket`;
    this.endpoints = Object.freeze({ token: `${this.url}${TOKEN_PATH}`, api: this.url });
    const tokens = (this.#tokens = new FakeTokens(options));
    const stats = this.#stats;
    const closing = (): boolean => this.#closing !== undefined;
    const signal = this.#signal.bind(this);
    this.#gateway = new FakeGateway({
      stats,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      replayLimit: options.replayLimit,
      allowedIntents: options.allowedIntents,
      validAuth: (value) => tokens.validAuth(value),
      appOf: (value) => tokens.appOf(value),
      now: () => options.now(),
      signal,
      setTimer: (fn, ms) => this.#timers.set(fn, ms),
      clearTimer: (timer) => this.#timers.clear(timer),
    });
    this.rest = new FakeRestApi({
      isValidToken: (token) => this.isValidToken(token),
      now: () => options.now(),
      baseUrl: () => this.url,
    });
    const { url, gatewayUrl, rest } = this;
    this.#upgrades = new FakeUpgrades({ url, stats, closing, signal, accept: (ws) => this.#gateway.accept(ws) });
    const refusing = (): boolean => this.#upgrades.refusing();
    const timers = this.#timers;
    this.#http = new FakePlatformHttp({
      url,
      gatewayUrl,
      options,
      stats,
      tokens,
      rest,
      timers,
      closing,
      refusing,
      signal,
    });
    server.on('connection', (socket) => this.#upgrades.onConnection(socket));
    server.on('request', (req, res) => void this.#http.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.#upgrades.onUpgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    server.on('error', () => {});
  }

  /**
   * Starts a fake on `127.0.0.1` with an ephemeral port.
   * @throws `QQBOT_INVALID_OPTION` for an unknown option key (naming the nearest known one), RangeError for an
   * option out of range (before anything listens).
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
    return this.#tokens.isValid(token);
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
    this.#waiters.notify();
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
    const type = opts.type ?? 'GROUP_AT_MESSAGE_CREATE';
    if (this.#callbacks !== undefined) {
      const next = (): number => {
        this.#eventsDispatched += 1;
        return this.#eventCounter++;
      };
      return this.#callbacks.emitEvents(total, { type, ratePerSec: rate, signal: opts.signal }, next);
    }
    const host = { timers: this.#timers, stoppers: this.#stoppers };
    return pace(total, rate, opts.signal, host, (until, seqs) => {
      // Once per batch: the shards that have a session now.
      const shards = opts.shard === undefined ? this.#gateway.shardsWithSession() : [opts.shard];
      const at = sampleTime(this.#options.now());
      while (seqs.length < until) {
        const n = this.#eventCounter;
        const shard = shards.length > 1 ? shards[n % shards.length] : opts.shard;
        const target = opts.session !== undefined ? { session: opts.session } : shard === undefined ? {} : { shard };
        seqs.push(this.dispatch(type, sampleEventData(type, n, at), target));
        this.#eventCounter = n + 1;
      }
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
      this.#waiters.notify(),
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
    this.#http.gatewayBotFaults.hang(intAtLeast('n', n, 0));
  }

  /** The next `n` `GET /gateway/bot` requests are answered after `ms` ms (combines with a fail). */
  delayGatewayBot(n: number, ms: number): void {
    this.#http.gatewayBotFaults.delay(intAtLeast('n', n, 0), intAtLeast('ms', ms, 0));
  }

  /**
   * The next `n` successful `GET /gateway/bot` answers carry `url` instead of this fake's gateway: a stale or
   * dead gateway URL, to test that a client fetches the URL again when connecting to it fails.
   */
  answerGatewayUrl(n: number, url: string): void {
    this.#http.answerGatewayUrl(intAtLeast('n', n, 0), url);
  }

  /** The next `n` `GET /gateway/bot` requests are answered `status` with `{"code":500,"message":"internal"}`. */
  failGatewayBot(n: number, status = 500): void {
    this.#http.gatewayBotFaults.fail(intAtLeast('n', n, 0), httpStatus(status), { code: 500, message: 'internal' });
  }

  /** The next `n` token requests are never answered (their sockets are destroyed by close()). */
  hangToken(n: number): void {
    this.#http.tokenFaults.hang(intAtLeast('n', n, 0));
  }

  /** The next `n` token requests are answered after `ms` ms (combines with a fail). */
  delayToken(n: number, ms: number): void {
    this.#http.tokenFaults.delay(intAtLeast('n', n, 0), intAtLeast('ms', ms, 0));
  }

  /**
   * The next `n` token requests are answered `status` with `body`.
   * @defaultValue status `500`, body `{"code":100002,"message":"internal err"}`
   */
  failToken(n: number, status = 500, body: unknown = { code: 100002, message: 'internal err' }): void {
    this.#http.tokenFaults.fail(intAtLeast('n', n, 0), httpStatus(status), body);
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
    this.#upgrades.refuseFor(intAtLeast('ms', ms, 0));
  }

  /**
   * For the next `ms` ms the whole platform is unreachable: every live gateway socket and HTTP connection is cut
   * at once, and every new TCP connection (token, REST, `/gateway/bot`, gateway) is reset as soon as it is
   * accepted. Counted in `stats.resetConnections`. `0` ends it.
   */
  outage(ms: number): void {
    this.#upgrades.outageFor(intAtLeast('ms', ms, 0));
    if (ms === 0) return;
    this.#gateway.dropAll();
    this.#server.closeAllConnections();
  }

  /**
   * The next `n` WebSocket upgrades to the gateway are accepted and never answered: a gateway that hangs in the
   * handshake, on the origin the connector trusts. Their sockets are closed by `close()`.
   */
  silenceUpgrades(n: number): void {
    this.#upgrades.silence(intAtLeast('n', n, 0));
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
    return this.#waiters.wait(predicate, timeoutMs, this.#closing !== undefined);
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
    this.#waiters.failAll();
    this.#timers.clearAll();
    this.#http.close();
    this.#gateway.shutdown();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    this.#upgrades.close();
    await closed;
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
    this.#waiters.notify();
  }
}
