import WebSocket, { type RawData } from 'ws';
import { ErrorCodes, QQBotError, toWire } from '../../errors.js';
import { authorization } from '../../http/authorization.js';
import { CLOSE_FOR_RESUME } from '../../protocol/close-codes.js';
import { Heartbeat } from '../../protocol/heartbeat.js';
import { validateEvent } from '../../protocol/events/validate.js';
import { OpCodes, DispatchEvents } from '../../protocol/opcodes.js';
import type { Outcome, Phase } from '../../protocol/outcome.js';
import type { GatewayFrame, HelloData, ReadyData } from '../../protocol/payloads.js';
import { WorkerEventOp, type AttemptIO, type WorkerEvent, type WorkerStatus } from '../../protocol/worker-messages.js';
import { gatewayStep } from './gateway-step.js';
import { socketClosed } from './socket-close.js';
import type { WebSocketAttemptSpec } from './websocket-spec.js';

/** How long a graceful close may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

function malformed(what: string): WorkerEvent {
  return {
    op: WorkerEventOp.Error,
    error: toWire(new QQBotError(ErrorCodes.MALFORMED_FRAME, what, { retryable: true })),
  };
}

/**
 * One connection attempt: fetch the gateway URL if needed, connect, Hello, Identify or Resume, READY/RESUMED,
 * then heartbeats and dispatches until the connection ends. `run()` resolves with exactly one {@link Outcome},
 * after the socket, every timer and the heartbeat are released. Runs in a worker thread, but knows nothing of
 * threads: it talks through {@link AttemptIO}.
 */
export class ConnectionAttempt {
  readonly #task: WebSocketAttemptSpec;
  readonly #io: AttemptIO;
  readonly #abort = new AbortController();
  #phase: Phase = 'gateway';
  #ws: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: Heartbeat | undefined;
  #lastSeq: number | null;
  #sessionId: string | null;
  #resolve!: (outcome: Outcome) => void;
  #done = false;
  readonly #result: Promise<Outcome>;

  constructor(task: WebSocketAttemptSpec, io: AttemptIO) {
    this.#task = task;
    this.#io = io;
    this.#lastSeq = task.resume?.seq ?? null;
    this.#sessionId = task.resume?.sessionId ?? null;
    this.#result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  run(): Promise<Outcome> {
    void this.#start().catch((err: unknown) => {
      // Nothing above should throw; if it does, end the attempt as a retryable failure, never crash the thread.
      this.#finish(
        {
          kind: 'connect-failed',
          phase: this.#phase,
          error: toWire(err),
          authRejected: false,
          reason: 'unexpected error in the attempt',
        },
        'terminate',
      );
    });
    return this.#result;
  }

  status(): WorkerStatus {
    return {
      phase: this.#phase,
      threadId: this.#io.threadId,
      lastSeq: this.#lastSeq,
      sessionId: this.#sessionId,
      heartbeatIntervalMs: this.#heartbeat?.intervalMs ?? null,
      lastHeartbeatLatencyMs: this.#heartbeat?.lastLatencyMs ?? null,
    };
  }

  /** Graceful stop requested by the supervisor: close frame with `code`, outcome `shutdown`. */
  shutdown(code: number): void {
    this.#finish({ kind: 'shutdown', phase: this.#phase, reason: `shutdown requested (close ${code})` }, 'close', code);
  }

  /** Ends the attempt at once with `outcome`, the socket destroyed: what a thread's death does, in process. */
  terminate(outcome: Outcome): void {
    this.#finish(outcome, 'terminate');
  }

  get phase(): Phase {
    return this.#phase;
  }

  #setPhase(phase: Phase): void {
    this.#phase = phase;
    this.#io.post({ op: WorkerEventOp.Phase, phase });
  }

  #deadline(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#finish(
        { kind: 'timeout', phase: this.#phase, ms, reason: `no progress in phase ${this.#phase} within ${ms} ms` },
        'terminate',
      );
    }, ms);
  }

  async #start(): Promise<void> {
    let url = this.#task.gatewayUrl;
    if (url === null) {
      this.#setPhase('gateway');
      const step = await gatewayStep(this.#task, this.#abort.signal, (event) => this.#io.post(event));
      if (step === undefined) return;
      if (typeof step !== 'string') return this.#finish(step, 'terminate');
      url = step;
    }
    this.#connect(url);
  }

  #connect(url: string): void {
    this.#setPhase('handshake');
    this.#deadline(this.#task.timeouts.handshakeMs);
    let ws: WebSocket;
    try {
      // UTF-8 is checked by decoding and JSON.parse right after; validating twice costs throughput.
      ws = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: this.#task.maxPayloadBytes,
        skipUTF8Validation: true,
      });
    } catch (err) {
      // A malformed URL throws synchronously.
      this.#finish(
        {
          kind: 'connect-failed',
          phase: 'handshake',
          error: toWire(err),
          authRejected: false,
          reason: 'invalid gateway url',
        },
        'terminate',
      );
      return;
    }
    this.#ws = ws;
    let upgradeStatus: number | undefined;
    let socketError: unknown;
    ws.on('unexpected-response', (_req, res) => {
      upgradeStatus = res.statusCode;
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      socketError = err;
    });
    ws.on('open', () => {
      if (this.#done) return;
      this.#setPhase('hello');
      this.#deadline(this.#task.timeouts.helloMs);
    });
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', (code, reason) => {
      if (this.#done) return;
      const { outcome, report } = socketClosed(
        { phase: this.#phase, code, reason, upgradeStatus, socketError },
        this.#task,
      );
      if (report !== undefined) this.#io.post({ op: WorkerEventOp.Error, error: toWire(report) });
      this.#finish(outcome, 'terminate');
    });
  }

  #send(frame: object): void {
    this.#ws?.send(JSON.stringify(frame));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#done) return;
    let frame: GatewayFrame;
    let text: string;
    try {
      text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as GatewayFrame).op !== 'number') {
        this.#io.post(malformed('a gateway frame without a numeric op was skipped'));
        return;
      }
      frame = parsed as GatewayFrame;
    } catch {
      this.#io.post(malformed('a gateway frame that is not JSON was skipped'));
      return;
    }
    switch (frame.op) {
      case OpCodes.DISPATCH:
        this.#onDispatch(frame, text);
        return;
      case OpCodes.HELLO:
        this.#onHello(frame.d as HelloData | undefined);
        return;
      case OpCodes.HEARTBEAT_ACK:
        this.#heartbeat?.ack();
        return;
      case OpCodes.HEARTBEAT:
        // The server may ask for a beat; answer at once without disturbing the ACK bookkeeping.
        this.#send({ op: OpCodes.HEARTBEAT, d: this.#lastSeq });
        return;
      case OpCodes.RECONNECT:
        this.#finish(
          { kind: 'reconnect', phase: this.#phase, reason: 'the server asked for a reconnect (op 7)' },
          'close',
          CLOSE_FOR_RESUME,
        );
        return;
      case OpCodes.INVALID_SESSION:
        this.#finish(
          {
            kind: 'invalid-session',
            phase: this.#phase,
            resumable: frame.d === true,
            reason: 'the server invalidated the session (op 9)',
          },
          'close',
          CLOSE_FOR_RESUME,
        );
        return;
      default:
        this.#io.post({ op: WorkerEventOp.Debug, message: `ignored a frame with unknown op ${frame.op}` });
    }
  }

  #onHello(d: HelloData | undefined): void {
    if (this.#phase !== 'hello') return;
    const interval = d?.heartbeat_interval;
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) {
      this.#io.post(malformed('Hello without a valid heartbeat_interval: waiting for another'));
      return;
    }
    this.#heartbeat = new Heartbeat(interval, {
      send: () => this.#send({ op: OpCodes.HEARTBEAT, d: this.#lastSeq }),
      onZombie: () =>
        this.#finish(
          {
            kind: 'zombie',
            phase: this.#phase,
            reason: `no heartbeat ACK within ${interval} ms: the link is half-open`,
          },
          'terminate',
        ),
      onAck: (latencyMs) => this.#io.post({ op: WorkerEventOp.Heartbeat, latencyMs }),
    });
    this.#heartbeat.start();
    const task = this.#task;
    const token = authorization(task.accessToken);
    if (task.resume !== null) {
      this.#send({ op: OpCodes.RESUME, d: { token, session_id: task.resume.sessionId, seq: task.resume.seq } });
    } else {
      this.#send({
        op: OpCodes.IDENTIFY,
        d: {
          token,
          intents: task.intents,
          shard: task.shard,
          properties: { $os: process.platform, $browser: 'qqbot-connector', $device: 'qqbot-connector' },
        },
      });
    }
    this.#setPhase('ready');
    this.#deadline(task.timeouts.readyMs);
  }

  #onDispatch(frame: GatewayFrame, text: string): void {
    const type = frame.t;
    if (typeof type !== 'string') {
      this.#io.post(malformed('a dispatch without an event type was skipped'));
      return;
    }
    const seq = typeof frame.s === 'number' ? frame.s : -1;
    if (seq >= 0) this.#lastSeq = seq;
    if (type === DispatchEvents.READY) {
      const d = frame.d as Partial<ReadyData> | undefined;
      if (typeof d?.session_id !== 'string' || d.session_id === '') {
        this.#io.post(malformed('READY without a session_id was skipped'));
        return;
      }
      this.#sessionId = d.session_id;
      this.#enterSession();
      this.#io.post({ op: WorkerEventOp.Ready, sessionId: d.session_id, user: d.user, seq });
      return;
    }
    if (type === DispatchEvents.RESUMED) {
      this.#enterSession();
      this.#io.post({ op: WorkerEventOp.Resumed, seq });
      return;
    }
    // Replay before RESUMED is progress: each event restarts the ready clock.
    if (this.#phase === 'ready') this.#deadline(this.#task.timeouts.readyMs);
    // Checked here, where `d` is parsed already: the host's thread then never parses it for the check.
    this.#io.post({
      op: WorkerEventOp.Dispatch,
      seq,
      type,
      id: frame.id,
      frame: text,
      problem: validateEvent(type, frame.d),
    });
  }

  #enterSession(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#setPhase('session');
  }

  /**
   * Ends the attempt exactly once: stops timers and heartbeat, releases the socket (`close` = close frame with
   * a grace period, `terminate` = destroy at once, never waiting on a dead link), then resolves.
   */
  #finish(outcome: Outcome, socket: 'close' | 'terminate', code = 1000): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#heartbeat?.stop();
    this.#abort.abort();
    const ws = this.#ws;
    const settle = (): void => {
      this.#resolve(outcome);
    };
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) {
      settle();
      return;
    }
    ws.removeAllListeners('message');
    if (socket === 'terminate' || ws.readyState !== WebSocket.OPEN) {
      ws.once('close', settle);
      ws.terminate();
      return;
    }
    const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(grace);
      settle();
    });
    ws.close(code);
  }
}
