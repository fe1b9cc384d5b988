import type { ShardStatus } from '../events.js';
import type { Redact } from '../util/redaction.js';

/** Events per second over the last second, from samples of a growing counter. */
export class RateMeter {
  readonly #windowMs: number;
  #samples: Array<{ at: number; count: number }> = [];

  constructor(windowMs = 1_000) {
    this.#windowMs = windowMs;
  }

  /** Records `count` at `now` and returns the rate over the window. */
  sample(count: number, now: number): number {
    this.#samples.push({ at: now, count });
    while (this.#samples.length > 2 && now - (this.#samples[1]?.at ?? now) >= this.#windowMs) this.#samples.shift();
    const oldest = this.#samples[0];
    if (oldest === undefined || now === oldest.at) return 0;
    return ((count - oldest.count) * 1000) / (now - oldest.at);
  }
}

/** What both status outputs show; a mode passes one `facts()` function that samples them. */
export interface StatusFacts {
  shards: readonly ShardStatus[];
  eventsPerSec: number;
  received: number;
}

/** The sum of one counter over all shards. */
export function shardTotal(shards: readonly ShardStatus[], field: 'restarts' | 'duplicatesDropped'): number {
  return shards.reduce((sum, s) => sum + s[field], 0);
}

/** More sessions than this show the highest seq instead of every seq. */
const MAX_SEQS_SHOWN = 8;

/** `ready · session-1 · seq 2412 · 201 ev/s · 2400 events · restarts 3 · hb 1 ms`; several shards are summed up. */
export function formatStatus({ shards, eventsPerSec, received }: StatusFacts): string {
  const states = [...new Set(shards.map((s) => s.state))].join('/') || 'starting';
  const session =
    shards.length === 1
      ? (shards[0]?.sessionId ?? 'no session')
      : `${shards.filter((s) => s.sessionId !== null).length}/${shards.length} sessions`;
  // Many sessions (`--bots`): their seqs would fill the line; the highest says that events flow.
  const seqs = shards.map((s) => s.seq);
  const seq =
    shards.length === 1
      ? `seq ${seqs[0] ?? 0}`
      : shards.length <= MAX_SEQS_SHOWN
        ? `seqs ${seqs.join(',')}`
        : `highest seq ${Math.max(...seqs)}`;
  const latencies = shards.map((s) => s.heartbeatLatencyMs).filter((ms): ms is number => ms !== null);
  const hb = latencies.length === 0 ? 'hb –' : `hb ${Math.round(Math.max(...latencies))} ms`;
  return [
    states,
    session,
    seq,
    `${Math.round(eventsPerSec)} ev/s`,
    `${received} events`,
    `restarts ${shardTotal(shards, 'restarts')}`,
    hb,
  ].join(' · ');
}

const CLEAR_LINE = '\r\x1b[K';

/**
 * A one-line status redrawn in place with `\r` on a TTY, about 4× a second. Lines written through
 * {@link StatusLine.writeLine} appear above it, so logs and the status do not overwrite each other.
 * On a stream that is not a TTY it draws nothing and `writeLine` just writes.
 */
export class StatusLine implements StatusOutput {
  readonly #stream: NodeJS.WriteStream;
  readonly #facts: () => StatusFacts;
  readonly #intervalMs: number;
  readonly #enabled: boolean;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, facts: () => StatusFacts, intervalMs = 250) {
    this.#stream = stream;
    this.#facts = facts;
    this.#intervalMs = intervalMs;
    this.#enabled = stream.isTTY === true;
  }

  start(): void {
    if (!this.#enabled || this.#timer !== undefined) return;
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), this.#intervalMs);
    // The status line alone must never keep the process alive.
    this.#timer.unref();
  }

  /** Stops redrawing and erases the line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#erase();
  }

  /** Writes `text` (one line, no newline) above the status line. */
  writeLine(text: string): void {
    this.#erase();
    this.#stream.write(`${text}\n`);
    if (this.#timer !== undefined) this.#draw();
  }

  #erase(): void {
    if (!this.#drawn) return;
    this.#stream.write(CLEAR_LINE);
    this.#drawn = false;
  }

  #draw(): void {
    let line = formatStatus(this.#facts());
    // A wrapped line cannot be redrawn with \r: keep it within the terminal's width.
    const width = this.#stream.columns;
    if (typeof width === 'number' && width > 1 && line.length >= width) line = `${line.slice(0, width - 2)}…`;
    this.#stream.write(`${CLEAR_LINE}${line}`);
    this.#drawn = true;
  }
}

/** What live mode reports through: the human status line, or JSON status lines. */
export interface StatusOutput {
  start(): void;
  stop(): void;
  writeLine(text: string): void;
}

/**
 * `--json` in live mode: one JSON status object per line on `stream` every `intervalMs`, TTY or not, for
 * programs that watch the connector. Status lines go through `redact` (a shard's `lastError.message` could
 * quote anything); log lines pass through as they are, since the caller already redacted them.
 */
export class JsonStatus implements StatusOutput {
  readonly #stream: NodeJS.WritableStream;
  readonly #facts: () => StatusFacts;
  readonly #redact: Redact;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WritableStream, facts: () => StatusFacts, redact: Redact, intervalMs = 1_000) {
    this.#stream = stream;
    this.#facts = facts;
    this.#redact = redact;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#write();
    this.#timer = setInterval(() => this.#write(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  writeLine(text: string): void {
    this.#stream.write(`${text}\n`);
  }

  #write(): void {
    const { received, eventsPerSec, shards } = this.#facts();
    const line = JSON.stringify({
      type: 'status',
      at: new Date().toISOString(),
      received,
      eventsPerSec: Math.round(eventsPerSec),
      shards,
    });
    this.#stream.write(`${this.#redact(line)}\n`);
  }
}
