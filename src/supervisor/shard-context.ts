import type { QQBotError } from '../errors.js';
import type { ReadyEvent, RestartEvent, ResumedEvent } from '../events.js';
import type { ShardDelivery } from '../delivery/pipeline.js';
import type { FleetIdentifyGate } from '../fleet/identify-gate.js';
import type { TokenSource } from '../http/token-manager.js';
import type { ResolvedOptions } from '../options.js';
import type { AttemptRunner } from '../runners/runner.js';
import type { ShardCheckpointer } from '../store/checkpointer.js';
import type { SessionStore } from '../store/session-store.js';
import type { Transport } from '../transports/transport.js';

/** Where a shard supervisor sends what the host should see. Implemented by the connector. */
export interface ShardSink {
  ready(event: ReadyEvent): void;
  resumed(event: ResumedEvent): void;
  restart(event: RestartEvent): void;
  /** A handled problem, for the host's `'error'` listeners. */
  error(error: QQBotError): void;
  /** Called only when `debugEnabled()`: debug text is not even built otherwise. */
  debug(message: string): void;
  debugEnabled(): boolean;
}

export interface ShardContext {
  options: Pick<ResolvedOptions, 'appId' | 'intents' | 'endpoints' | 'timeouts' | 'restart' | 'maxPayloadBytes'>;
  runner: AttemptRunner;
  tokens: TokenSource;
  delivery: ShardDelivery;
  store: SessionStore;
  /** Writes this shard's checkpoints to `store`, in batches, off the event path. */
  checkpointer: ShardCheckpointer;
  sink: ShardSink;
  /** Spaces IDENTIFYs across shards (`max_concurrency` per 5 s); absent for a single shard. */
  identifyGate: FleetIdentifyGate | undefined;
  /**
   * The store is durable and shared but has no ownership (`lease: false`): watch for another process taking
   * the session again and again (`QQBOT_SESSION_CONTESTED`).
   */
  watchContest?: boolean;
  /** How events reach the host: the attempts' spec, token needs, own events and readiness are the transport's. */
  transport: Transport;
  /** Injected for tests. @defaultValue `Date.now` and `Math.random` */
  now?: () => number;
  random?: () => number;
}
