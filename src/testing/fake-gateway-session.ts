import type { RawData, WebSocket } from 'ws';
import { FakeConnection, rawToString } from './fake-gateway-connection.js';
import { FakeSession } from './fake-session-log.js';
import { OpCodes } from '../protocol/opcodes.js';
import type { HelloData, ReadyData } from '../protocol/payloads.js';
import type { FakeIdentifyRecord, FakeQQServerEventMap, FakeResumeRecord } from './fake-types.js';
import { isObject } from '../options/checks.js';

/**
 * The WebSocket gateway of {@link FakeQQServer}: the Hello / Identify / Resume / Heartbeat handling, the
 * dispatches and replays, and the faults injected into them, over the sessions (`fake-session-log.ts`) and the
 * sockets bound to them (`fake-gateway-connection.ts`). Internal to the testing kit (not exported
 * from `qqbot-connector/testing`); its public face is the {@link FakeQQServer} methods that delegate here.
 * @internal
 * @module
 */

/** The counters the gateway updates; {@link FakeQQServer.stats} is a superset. */
export interface GatewayStats {
  identifies: FakeIdentifyRecord[];
  resumes: FakeResumeRecord[];
  heartbeats: number;
  heartbeatAcks: number;
  connections: number;
  liveConnections: number;
  maxConcurrentConnections: number;
  maxConcurrentPerSession: number;
}

/** What the gateway needs from the server that hosts it. */
export interface FakeGatewayHost {
  readonly stats: GatewayStats;
  readonly heartbeatIntervalMs: number;
  /** 0: never enforced. */
  readonly heartbeatTimeoutMs: number;
  /** Events each session keeps for replay. */
  readonly replayLimit: number;
  readonly allowedIntents: number;
  /** True for `"QQBot <token>"` with a token the host issued and that has not expired. */
  validAuth(value: string): boolean;
  /** The app a `"QQBot <token>"` was issued to (`''` when none). */
  appOf(value: string): string;
  now(): number;
  /** Emits a {@link FakeQQServer} event and wakes `waitFor`. */
  signal<K extends keyof FakeQQServerEventMap>(event: K, ...args: FakeQQServerEventMap[K]): void;
  setTimer(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimer(timer: NodeJS.Timeout): void;
}

const INVALID_SESSION_CLOSE_MS = 100;
/** The close code a client sends to end its session for good. */
const CLIENT_ENDS_SESSION = 1000;

function parseShard(value: unknown): [number, number] {
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number') {
    return [value[0], value[1]];
  }
  return [Number.NaN, Number.NaN];
}

/** The gateway state machine. Every public field and method backs a {@link FakeQQServer} member. */
export class FakeGateway {
  /** Every session created, oldest first. */
  readonly sessions: FakeSession[] = [];
  /** The session the latest Identify created: where `dispatch` goes when no shard is named. */
  current: FakeSession | undefined;
  /** The latest session of each shard index. */
  readonly #currentByShard = new Map<number, FakeSession>();
  acking = true;
  rejectResumes = { n: 0, code: 4902 };
  failIdentifies = { n: 0, code: 4900 };
  closeAfterResumed = { n: 0, code: 4009 };
  readonly #connections = new Set<FakeConnection>();
  readonly #byId = new Map<string, FakeSession>();
  #holdHello = false;
  #holdReady = false;
  #closed = false;

  constructor(private readonly host: FakeGatewayHost) {}

  /** Takes a freshly upgraded socket. */
  accept(ws: WebSocket): void {
    if (this.#closed) return void ws.terminate();
    const conn = new FakeConnection(ws);
    this.#connections.add(conn);
    const stats = this.host.stats;
    stats.connections += 1;
    stats.liveConnections += 1;
    stats.maxConcurrentConnections = Math.max(stats.maxConcurrentConnections, stats.liveConnections);
    ws.on('error', () => {});
    ws.on('message', (data) => this.#onFrame(conn, data));
    ws.once('close', (code, reason) => this.#onClose(conn, code, reason.toString('utf8')));
    if (!this.#holdHello) this.#sendHello(conn);
    this.host.signal('connection');
  }

  /** Shard indexes that have a session, ascending. */
  shardsWithSession(): number[] {
    return [...this.#currentByShard.keys()].sort((a, b) => a - b);
  }

  /** Appends to the session's log (`sessionId`'s, else `shard`'s latest, else the latest) and sends to its delivering socket; returns the seq. */
  dispatch(type: string, data: unknown, id: string | undefined, shard: number | undefined, sessionId?: string): number {
    if (sessionId !== undefined && !this.#byId.has(sessionId))
      throw new Error(`FakeQQServer.dispatch: no session ${sessionId}`);
    const session =
      sessionId !== undefined
        ? this.#byId.get(sessionId)
        : shard === undefined
          ? this.current
          : this.#currentByShard.get(shard);
    if (session === undefined) {
      throw new Error(
        `FakeQQServer.dispatch: no session yet${shard === undefined ? '' : ` for shard ${shard}`} (no client has identified)`,
      );
    }
    const seq = session.nextSeq();
    const frame = JSON.stringify({
      op: OpCodes.DISPATCH,
      s: seq,
      t: type,
      id: id ?? `evt-${session.index}-${seq}`,
      d: data,
    });
    session.append({ seq, frame });
    const conn = session.bound;
    if (conn !== undefined && conn.delivering && conn.open) conn.send(frame);
    return seq;
  }

  /** Sends `frame` as it is (text, or binary for a Buffer) on every live socket: for malformed-input tests. */
  sendRaw(frame: string | Buffer): void {
    for (const conn of this.#connections) if (conn.open) conn.ws.send(frame);
  }

  closeAll(code: number, reason: string): void {
    for (const conn of this.#connections) conn.close(code, reason);
  }

  dropAll(): void {
    for (const conn of this.#connections) conn.drop();
  }

  sendReconnect(): void {
    for (const conn of this.#connections) {
      if (!conn.open) continue;
      conn.send(JSON.stringify({ op: OpCodes.RECONNECT }));
      conn.close(4009, 'session timed out');
    }
  }

  sendInvalidSession(resumable: boolean): void {
    for (const conn of this.#connections) {
      if (!conn.open) continue;
      conn.send(JSON.stringify({ op: OpCodes.INVALID_SESSION, d: resumable }));
      if (conn.invalidSessionTimer !== undefined) this.host.clearTimer(conn.invalidSessionTimer);
      conn.invalidSessionTimer = this.host.setTimer(() => {
        conn.invalidSessionTimer = undefined;
        conn.close(4006, 'invalid session');
      }, INVALID_SESSION_CLOSE_MS);
    }
  }

  holdHello(hold: boolean): void {
    this.#holdHello = hold;
    if (hold) return;
    for (const conn of this.#connections) if (conn.open && !conn.helloSent) this.#sendHello(conn);
  }

  holdReady(hold: boolean): void {
    this.#holdReady = hold;
    if (hold) return;
    for (const conn of this.#connections) this.#startDelivery(conn);
  }

  invalidateSessions(): void {
    for (const session of this.sessions) session.resumable = false;
  }

  /** Drops every socket and refuses new ones. */
  shutdown(): void {
    this.#closed = true;
    this.dropAll();
  }

  #onClose(conn: FakeConnection, code: number, reason: string): void {
    if (conn.invalidSessionTimer !== undefined) this.host.clearTimer(conn.invalidSessionTimer);
    if (conn.heartbeatTimer !== undefined) this.host.clearTimer(conn.heartbeatTimer);
    this.#connections.delete(conn);
    this.host.stats.liveConnections -= 1;
    // As gateways may: a client's 1000 ends its session (a RESUME of it is refused); any other code keeps it.
    if (code === CLIENT_ENDS_SESSION && conn.session?.bound === conn) conn.session.resumable = false;
    this.#unbind(conn);
    this.host.signal('disconnect', { code, reason });
  }

  #sendHello(conn: FakeConnection): void {
    conn.helloSent = true;
    conn.send(
      JSON.stringify({
        op: OpCodes.HELLO,
        d: { heartbeat_interval: this.host.heartbeatIntervalMs } satisfies HelloData,
      }),
    );
  }

  #onFrame(conn: FakeConnection, data: RawData): void {
    if (conn.closing || this.#closed) return;
    try {
      let frame: unknown;
      try {
        frame = JSON.parse(rawToString(data));
      } catch {
        return conn.close(4002, 'invalid payload');
      }
      if (!isObject(frame) || typeof frame.op !== 'number') return conn.close(4002, 'invalid payload');
      switch (frame.op) {
        case OpCodes.HEARTBEAT:
          return this.#onHeartbeat(conn, frame.d);
        case OpCodes.IDENTIFY:
          return this.#onIdentify(conn, frame.d);
        case OpCodes.RESUME:
          return this.#onResume(conn, frame.d);
        default:
          return conn.close(4001, 'invalid opcode');
      }
    } catch {
      conn.close(4900, 'internal error');
    }
  }

  /** (Re)arms the session-timeout clock of a delivering socket. */
  #armHeartbeatTimeout(conn: FakeConnection): void {
    const ms = this.host.heartbeatTimeoutMs;
    if (ms === 0 || !conn.delivering) return;
    if (conn.heartbeatTimer !== undefined) this.host.clearTimer(conn.heartbeatTimer);
    conn.heartbeatTimer = this.host.setTimer(() => {
      conn.close(4009, 'session timed out');
      // Timed out: it is no receiver any more, even if its peer (a stopped process) never answers the close.
      this.#unbind(conn);
    }, ms);
  }

  #onHeartbeat(conn: FakeConnection, d: unknown): void {
    const stats = this.host.stats;
    stats.heartbeats += 1;
    this.#armHeartbeatTimeout(conn);
    if (this.acking) {
      conn.send(JSON.stringify({ op: OpCodes.HEARTBEAT_ACK }));
      stats.heartbeatAcks += 1;
    }
    this.host.signal('heartbeat', typeof d === 'number' ? d : null);
  }

  #onIdentify(conn: FakeConnection, d: unknown): void {
    const data = isObject(d) ? d : {};
    const token = typeof data.token === 'string' ? data.token : '';
    const intents = typeof data.intents === 'number' ? data.intents : Number.NaN;
    const shard = parseShard(data.shard);
    this.host.stats.identifies.push({ token, intents, shard, at: this.host.now(), appId: this.host.appOf(token) });
    this.host.signal('identify', { shard: [shard[0], shard[1]], intents });
    if (conn.closing) return;
    if (this.failIdentifies.n > 0) {
      this.failIdentifies.n -= 1;
      return conn.close(this.failIdentifies.code, 'identify failed (injected)');
    }
    if (!this.host.validAuth(token)) return conn.close(4004, 'authentication fail');
    if (!Number.isInteger(intents) || intents < 0 || intents > 0xffff_ffff) return conn.close(4013, 'invalid intent');
    if ((intents & ~this.host.allowedIntents) >>> 0 !== 0) return conn.close(4014, 'disallowed intent');
    const [index, total] = shard;
    if (!Number.isInteger(index) || !Number.isInteger(total) || index < 0 || index >= total)
      return conn.close(4010, 'invalid shard');
    const session = new FakeSession(
      this.sessions.length + 1,
      this.host.replayLimit,
      [index, total],
      this.host.appOf(token),
    );
    this.sessions.push(session);
    this.#byId.set(session.id, session);
    this.current = session;
    this.#currentByShard.set(index, session);
    this.#bind(conn, session);
    conn.pending = { kind: 'ready', readySeq: session.nextSeq(), shard: [index, total] };
    if (!this.#holdReady) this.#startDelivery(conn);
  }

  #onResume(conn: FakeConnection, d: unknown): void {
    const data = isObject(d) ? d : {};
    const sessionId = typeof data.session_id === 'string' ? data.session_id : '';
    const seq = typeof data.seq === 'number' ? data.seq : Number.NaN;
    this.host.stats.resumes.push({ sessionId, seq, at: this.host.now() });
    this.host.signal('resume', { sessionId, seq });
    if (conn.closing) return;
    if (this.rejectResumes.n > 0) {
      this.rejectResumes.n -= 1;
      return conn.close(this.rejectResumes.code, 'resume rejected (injected)');
    }
    if (!this.host.validAuth(typeof data.token === 'string' ? data.token : ''))
      return conn.close(4004, 'authentication fail');
    const session = this.#byId.get(sessionId);
    if (session === undefined || !session.resumable) {
      return conn.send(JSON.stringify({ op: OpCodes.INVALID_SESSION, d: false }));
    }
    if (!Number.isInteger(seq) || seq < 0 || seq > session.lastSeq) return conn.close(4007, 'invalid seq');
    // Past the replay buffer: the session cannot be resumed without a gap.
    if (!session.canReplayFrom(seq)) return conn.send(JSON.stringify({ op: OpCodes.INVALID_SESSION, d: false }));
    this.#bind(conn, session);
    conn.pending = { kind: 'resumed', fromSeq: seq };
    if (!this.#holdReady) this.#startDelivery(conn);
  }

  /** Binds `conn` to `session`, kicking (4009) the socket bound to it before: never two receivers. */
  #bind(conn: FakeConnection, session: FakeSession): void {
    this.#unbind(conn);
    const previous = session.bound;
    // Counted before the kick: a resume while the old socket is still open is what this stat exists to catch.
    const stats = this.host.stats;
    stats.maxConcurrentPerSession = Math.max(stats.maxConcurrentPerSession, session.liveBound + 1);
    if (previous !== undefined && previous !== conn) {
      previous.close(4009, 'session resumed elsewhere');
      // Kicked: it receives nothing more from now on, even while its close handshake is pending (a stopped
      // process never answers it), so it no longer counts as bound.
      this.#unbind(previous);
    }
    session.bound = conn;
    conn.session = session;
    session.liveBound += 1;
  }

  #unbind(conn: FakeConnection): void {
    const session = conn.session;
    if (session === undefined) return;
    conn.session = undefined;
    conn.pending = undefined;
    conn.delivering = false;
    session.liveBound -= 1;
    if (session.bound === conn) session.bound = undefined;
  }

  /** Sends a withheld READY or replay + RESUMED, then lets live dispatches flow. */
  #startDelivery(conn: FakeConnection): void {
    const { pending, session } = conn;
    if (pending === undefined || session === undefined || !conn.open || session.bound !== conn) return;
    conn.pending = undefined;
    if (pending.kind === 'ready') {
      const d = {
        version: 1,
        session_id: session.id,
        user: { id: 'bot-1', username: 'fake-bot', bot: true },
        shard: pending.shard,
      } satisfies ReadyData;
      conn.send(
        JSON.stringify({ op: OpCodes.DISPATCH, s: pending.readySeq, t: 'READY', id: `READY-${session.id}`, d }),
      );
      for (const event of session.eventsAfter(pending.readySeq)) conn.send(event.frame);
      conn.delivering = true;
      this.#armHeartbeatTimeout(conn);
      this.host.signal('ready', session.id);
    } else {
      for (const event of session.eventsAfter(pending.fromSeq)) conn.send(event.frame);
      conn.send(JSON.stringify({ op: OpCodes.DISPATCH, t: 'RESUMED', s: session.nextSeq(), d: '' }));
      conn.delivering = true;
      this.#armHeartbeatTimeout(conn);
      this.host.signal('resumed', session.id);
      if (this.closeAfterResumed.n > 0) {
        this.closeAfterResumed.n -= 1;
        conn.close(this.closeAfterResumed.code, 'session closed right after RESUMED (injected)');
      }
    }
  }
}
