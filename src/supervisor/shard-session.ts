import { ErrorCodes, QQBotError } from '../errors.js';
import { gatewayUrlAllowed, gatewayUrlRefused } from '../http/gateway-url.js';
import type { SessionEvent, WorkerEventOp } from '../protocol/worker-messages.js';
import type { AttemptInput } from '../transports/transport.js';
import type { ShardContext } from './shard-context.js';

/**
 * The session a shard resumes and the gateway URL it connects to: restored from the store's checkpoint, moved on
 * by READY and a `/gateway/bot` answer, checkpointed, forgotten when the platform refuses it.
 */
export class ShardSession {
  readonly #shard: number;
  readonly #ctx: ShardContext;
  #sessionId: string | null = null;
  #gatewayUrl: string | null = null;
  /**
   * The next attempt reads `/gateway/bot` though a URL is at hand (connecting to it failed). Once per outage:
   * the platform rate-limits `/gateway` (100017), and a URL just fetched is as good as the next fetch would give.
   */
  #refetchGateway = false;
  #refetchedSinceSession = false;

  constructor(shard: number, ctx: ShardContext) {
    this.#shard = shard;
    this.#ctx = ctx;
  }

  get id(): string | null {
    return this.#sessionId;
  }

  /** The gateway URL at hand (the probes ask its host while the gateway is away). */
  get gatewayUrl(): string | null {
    return this.#gatewayUrl;
  }

  /**
   * The session a stored checkpoint holds, if any: the first attempt RESUMEs it. Run at start and each time a
   * lease is taken (the process that held it before may have moved the session on).
   */
  async restore(): Promise<void> {
    this.#sessionId = null;
    this.#ctx.delivery.newSession(0);
    try {
      const checkpoint = await this.#ctx.store.load(this.#shard);
      if (checkpoint === null) return;
      this.#sessionId = checkpoint.sessionId;
      this.#gatewayUrl = this.#trustedGatewayUrl(checkpoint.gatewayUrl);
      const checkpointer = this.#ctx.checkpointer;
      // Handed over by close(): its deliveredSeq is exact. After a crash, up to a batch more may have been delivered.
      const unrecorded = checkpoint.handedOver === true ? 0 : checkpointer.unrecordedBound;
      this.#ctx.delivery.restore(checkpoint.seq, checkpoint.recentIds, checkpoint.deliveredSeq, unrecorded);
      checkpointer.session(
        checkpoint.sessionId,
        this.#gatewayUrl,
        checkpoint.seq,
        checkpoint.recentIds,
        checkpoint.deliveredSeq,
      );
    } catch (err) {
      // QQBOT_STORE_CORRUPT or QQBOT_STORE_UNAVAILABLE from the store itself; anything else is wrapped.
      this.#ctx.sink.error(
        err instanceof QQBotError
          ? err
          : new QQBotError(
              ErrorCodes.STORE_UNAVAILABLE,
              `shard ${this.#shard}: the session store could not load a checkpoint; identifying`,
              { retryable: true, cause: err },
            ),
      );
    }
  }

  /**
   * A stored URL is untrusted input: whoever can write the store must not get the token by naming a host. One
   * not allowed is reported and dropped; the attempt fetches `/gateway/bot` instead (the session is still resumed).
   */
  #trustedGatewayUrl(url: string | null): string | null {
    if (url === null || gatewayUrlAllowed(url, this.#ctx.options.endpoints.api)) return url;
    this.#ctx.sink.error(gatewayUrlRefused('checkpoint', url, `shard ${this.#shard}`));
    return null;
  }

  /**
   * What the next attempt starts from; `fetchGateway`: read `/gateway/bot` even with a URL at hand (a probe's
   * answer sets the identify budget). A refetch asked for is spent by it.
   */
  attemptInput(count: number, token: string, fetchGateway: boolean): AttemptInput {
    const sessionId = this.#sessionId;
    const input: AttemptInput = {
      shard: [this.#shard, count],
      accessToken: token,
      gatewayUrl: fetchGateway || this.#refetchGateway ? null : this.#gatewayUrl,
      resume: sessionId === null ? null : { sessionId, seq: this.#ctx.delivery.seq },
    };
    this.#refetchGateway = false;
    return input;
  }

  /** Connecting failed: the next attempt reads the URL again (once until the next session, unless `always`). */
  refetchGateway(always = false): void {
    if (this.#refetchedSinceSession && !always) return;
    this.#refetchGateway = true;
    this.#refetchedSinceSession = true;
  }

  /** A `/gateway/bot` answer: its URL kept and stored with the session, its limits handed to the identify gate. */
  gatewayRead(answer: Extract<SessionEvent, { op: typeof WorkerEventOp.GatewayUrl }>): void {
    this.#gatewayUrl = answer.url;
    if (this.#sessionId !== null) this.#ctx.checkpointer.session(this.#sessionId, answer.url, this.#ctx.delivery.seq);
    const gate = this.#ctx.identifyGate;
    if (gate === undefined) return;
    if (answer.maxConcurrency !== null) gate.maxConcurrency = answer.maxConcurrency;
    void gate.budget(answer.remaining ?? undefined, answer.resetAfterMs ?? undefined);
  }

  /** READY: a new session, from `seq`. */
  started(sessionId: string, seq: number): void {
    this.#sessionId = sessionId;
    this.#ctx.delivery.newSession(seq);
  }

  /** READY or RESUMED: a new session is stored at once; the acknowledged seq follows in batches (the checkpointer). */
  up(): void {
    this.#refetchedSinceSession = false;
    const sessionId = this.#sessionId;
    if (sessionId === null) return;
    this.#ctx.checkpointer.session(sessionId, this.#gatewayUrl, this.#ctx.delivery.seq);
  }

  /** The platform refused the session: the next attempt IDENTIFYs. */
  forget(): void {
    this.#sessionId = null;
    this.#ctx.delivery.newSession(0);
    this.#ctx.checkpointer.forget();
  }
}
