import type { AttemptSpec } from '../../src/protocol/worker-messages.js';
import type { AttemptHost, AttemptInput, Transport } from '../../src/transports/transport.js';

/** The third transport's spec: the protocol's header and its own fields, nothing the library knows of. */
export interface ThirdSpec extends AttemptSpec {
  /** `'third'`, or the name another fixture module registers the same attempt under. */
  transport: string;
  shard: [id: number, count: number];
  /** How many of its own events the attempt posts once up (test/fixtures/third-attempt.js). */
  events: number;
}

/** Its attempt module: plain JavaScript, so that a worker thread loads it as it is (it registers in dist's table). */
export const THIRD_ENTRY = new URL('../fixtures/third-attempt.js', import.meta.url).href;
/** The same, but its evaluation blocks its thread for 1.2 s. */
export const SLOW_THIRD_ENTRY = new URL('../fixtures/slow-third-attempt.js', import.meta.url).href;
/** The same attempt as `'third-late'`, registered after a top-level await of 1 s. */
export const LATE_THIRD_ENTRY = new URL('../fixtures/late-third-attempt.js', import.meta.url).href;

/**
 * A third transport, written against the seam alone, as a host would: a listener-like one with its own events
 * (`'up'`, then anything), which needs no token and has no gateway session. No file of the protocol, the runners
 * or the supervisor names it: its spec says which module runs its attempts.
 */
export class ThirdTransport implements Transport {
  readonly needsToken = false;
  readonly hasSession = false;
  readonly startTimeoutMs = undefined;
  readonly inputs: AttemptInput[] = [];
  /** The payloads its host side read, in order. */
  readonly payloads: unknown[] = [];
  #ups = 0;

  constructor(
    readonly entry = THIRD_ENTRY,
    readonly name = 'third',
  ) {}

  spec(input: AttemptInput): ThirdSpec {
    this.inputs.push(input);
    return { transport: this.name, entry: this.entry, quiesceFirst: false, shard: input.shard, events: 3 };
  }

  hostSide(host: AttemptHost): { onEvent(payload: unknown): void } {
    return {
      onEvent: (payload) => {
        this.payloads.push(payload);
        if (payload === 'up') host.up(this.#ups++ > 0);
        else host.live();
      },
    };
  }

  address(): null {
    return null;
  }
}
