import { ErrorCodes, QQBotError, errnoOf, toWire } from '../../errors.js';
import type { Outcome, Phase } from '../../protocol/outcome.js';
import { WorkerEventOp, type AttemptIO, type WorkerStatus } from '../../protocol/worker-messages.js';
import { WebhookListener } from './listener.js';
import { WebhookEventOp, WebhookReplyOp, type WebhookEvent, type WebhookReply } from './messages.js';
import { RefusalReport } from './refusal-report.js';
import { WebhookRequestHandler, type WebhookDispatch } from './request-handler.js';
import { SecretMismatchReport } from './secret-mismatch.js';
import { importPublicKey, type ValidationRequest } from './signature.js';
import type { WebhookAttemptSpec } from './webhook-spec.js';

/**
 * Bind errors only the configuration can fix; anything else (EADDRINUSE while an old listener lets go of the
 * port, EACCES until the process gets the capability, EMFILE) is retried with backoff, and reported each time.
 */
const FATAL_LISTEN_ERRNOS: ReadonlySet<string> = new Set([
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'ERR_SOCKET_BAD_PORT',
  'ERR_OSSL_PEM_NO_START_LINE',
]);

/** What to do about the common bind failures, for the error's message. */
const LISTEN_FIXES: Readonly<Record<string, string>> = {
  EADDRINUSE:
    'another process listens there (an old instance still draining?): free the port or change `transport.port`',
  EACCES: 'ports below 1024 need privileges: listen on 8443 behind a proxy, or grant CAP_NET_BIND_SERVICE',
};

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One webhook listener attempt: bind, then serve verified callbacks until shut down. Dispatches go to the
 * host as ordinary Dispatch events, each followed by an ack request; the request is answered 200 only once
 * the host acknowledges it. It holds the public key only: op 13 answers are signed by the host.
 * `run()` resolves with exactly one {@link Outcome} after the port is released.
 */
export class WebhookAttempt {
  readonly #spec: WebhookAttemptSpec;
  readonly #io: AttemptIO;
  readonly #handler: WebhookRequestHandler;
  readonly #pendingAcks = new Map<number, Pending<void>>();
  readonly #pendingSignatures = new Map<number, Pending<string>>();
  #nextRef = 0;
  #phase: Phase = 'handshake';
  #listening: Promise<WebhookListener | undefined> | undefined;
  /** Set once bound, for {@link WebhookAttempt.quiesce}, which cannot wait. */
  #listener: WebhookListener | undefined;
  readonly #refusals: RefusalReport;
  #done = false;
  #resolve!: (outcome: Outcome) => void;
  readonly #result: Promise<Outcome>;

  constructor(spec: WebhookAttemptSpec, io: AttemptIO) {
    this.#spec = spec;
    this.#io = io;
    this.#result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const report = (error: QQBotError): void => io.post({ op: WorkerEventOp.Error, error: toWire(error) });
    this.#refusals = new RefusalReport(report);
    this.#handler = new WebhookRequestHandler(
      {
        appId: spec.appId,
        path: spec.path,
        publicKey: importPublicKey(spec.publicKey),
        maxBodyBytes: spec.maxBodyBytes,
        timestampWindowMs: spec.timestampWindowMs,
        maxConcurrentRequests: spec.maxConcurrentRequests,
        maxUnverifiedRequests: spec.maxUnverifiedRequests,
        bodyTimeoutMs: spec.bodyTimeoutMs,
        deliverTimeoutMs: spec.deliverTimeoutMs,
      },
      {
        signValidation: (request) => this.#sign(request),
        deliver: (dispatch) => this.#deliver(dispatch),
        refused: this.#refusals.count,
        verified: new SecretMismatchReport(report).verified,
      },
    );
    // The host → attempt messages of a webhook attempt are its host side's replies, and nothing else.
    io.onHostMessage((message) => this.#onHostMessage(message as WebhookReply));
  }

  get phase(): Phase {
    return this.#phase;
  }

  run(): Promise<Outcome> {
    this.#listening ??= this.#listen();
    return this.#result;
  }

  status(): WorkerStatus {
    return {
      phase: this.#phase,
      threadId: this.#io.threadId,
      lastSeq: null,
      sessionId: null,
      heartbeatIntervalMs: null,
      lastHeartbeatLatencyMs: null,
    };
  }

  /** Stops accepting, answers the requests in flight (up to `drainMs`), releases the port. */
  shutdown(code: number): void {
    void this.#finish(
      { kind: 'shutdown', phase: this.#phase, reason: `shutdown requested (${code})` },
      this.#spec.drainMs,
    );
  }

  /** Drops every connection now, without answers, before the thread is terminated (see WorkerControl.quiesce). */
  quiesce(): void {
    this.#listener?.destroyNow();
  }

  /** Ends at once with `outcome` (the in-process stand-in for a thread's death): no drain. */
  terminate(outcome: Outcome): void {
    void this.#finish(outcome, 0);
  }

  async #listen(): Promise<WebhookListener | undefined> {
    const spec = this.#spec;
    this.#setPhase('handshake');
    let listener: WebhookListener;
    try {
      listener = await WebhookListener.listen(
        { host: spec.host, port: spec.port, tls: spec.tls ?? undefined },
        this.#handler,
      );
    } catch (err) {
      const errno = errnoOf(err) ?? 'unknown';
      const retryable = !FATAL_LISTEN_ERRNOS.has(errno);
      const fix = LISTEN_FIXES[errno];
      const error = new QQBotError(
        ErrorCodes.WEBHOOK_LISTEN_FAILED,
        `the webhook listener could not bind ${spec.host}:${spec.port} (${errno})${fix === undefined ? '' : `: ${fix}`}`,
        {
          retryable,
          details: { errno, host: spec.host, port: spec.port },
        },
      );
      void this.#finish(
        { kind: 'listen-failed', phase: 'handshake', error: toWire(error), retryable, reason: error.message },
        0,
      );
      return undefined;
    }
    this.#listener = listener;
    // A shutdown during the bind closes the listener once it is bound (#finish awaits this promise).
    if (this.#done) return listener;
    const { address, port } = listener.address();
    this.#setPhase('session');
    this.#post({ op: WebhookEventOp.Listening, address, port });
    return listener;
  }

  /** The webhook's own events cross as the payload of the protocol's one transport event. */
  #post(event: WebhookEvent): void {
    this.#io.post({ op: WorkerEventOp.Transport, payload: event });
  }

  #setPhase(phase: Phase): void {
    this.#phase = phase;
    this.#io.post({ op: WorkerEventOp.Phase, phase });
  }

  #deliver(dispatch: WebhookDispatch): Promise<void> {
    const ref = this.#nextRef++;
    const { type, id, frame, problem, key, expiresAt } = dispatch;
    this.#post({ op: WebhookEventOp.Dispatch, ref, type, id, frame, problem, key, expiresAt });
    return this.#await(this.#pendingAcks, ref);
  }

  #sign(request: ValidationRequest): Promise<string> {
    const ref = this.#nextRef++;
    this.#post({ op: WebhookEventOp.Sign, ref, eventTs: request.eventTs, plainToken: request.plainToken });
    return this.#await(this.#pendingSignatures, ref);
  }

  /** Waits for the host's answer to `ref`; the entry is gone once answered, timed out or finished. */
  #await<T>(pending: Map<number, Pending<T>>, ref: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(ref);
        reject(new Error('the host did not answer in time'));
      }, this.#spec.deliverTimeoutMs);
      pending.set(ref, { resolve, reject, timer });
    });
  }

  #settle<T>(pending: Map<number, Pending<T>>, ref: number, value: T | Error): void {
    const entry = pending.get(ref);
    if (entry === undefined) return;
    pending.delete(ref);
    clearTimeout(entry.timer);
    if (value instanceof Error) entry.reject(value);
    else entry.resolve(value);
  }

  #onHostMessage(message: WebhookReply): void {
    switch (message.op) {
      case WebhookReplyOp.Ack:
        for (const ref of message.refs) this.#settle(this.#pendingAcks, ref, undefined);
        return;
      case WebhookReplyOp.Undelivered:
        for (const ref of message.refs) this.#settle(this.#pendingAcks, ref, new Error('the host did not deliver it'));
        return;
      case WebhookReplyOp.Signature:
        this.#settle(this.#pendingSignatures, message.ref, message.signature ?? new Error('the host refused to sign'));
        return;
    }
  }

  async #finish(outcome: Outcome, drainMs: number): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    // Drain first: the requests in flight still get their acks from the host while the listener closes.
    const listener = await this.#listening;
    await listener?.close(drainMs);
    this.#refusals.flush();
    const gone = new Error('the webhook attempt ended');
    for (const ref of [...this.#pendingAcks.keys()]) this.#settle(this.#pendingAcks, ref, gone);
    for (const ref of [...this.#pendingSignatures.keys()]) this.#settle(this.#pendingSignatures, ref, gone);
    this.#resolve(outcome);
  }
}
