import { median } from './delivery-tracker.js';

/** The demo's result: printed as text, or as one JSON object with `--json`. */
export interface DemoSummary {
  mode: 'demo';
  /** No event lost or duplicated, and no fatal error. */
  ok: boolean;
  stopReason: string;
  /** How long events flowed: from the first session to the stop. */
  durationMs: number;
  shards: number;
  /** How the events came: the gateway, or the platform's HTTP callbacks (`--webhook`). */
  transport: 'websocket' | 'webhook';
  ratePerSec: number;
  chaosMs: number | null;
  /** Events the fake dispatched (`fake.eventsDispatched`). */
  sent: number;
  /** Dispatches the host received, duplicates included. */
  received: number;
  /** Sent events never received. */
  lost: number;
  /** Receptions of an event already received. */
  duplicated: number;
  /** Events received after a later one: 0 over the gateway; over webhook, the redeliveries of what a killed listener held. */
  outOfOrder: number;
  /**
   * Dispatches without an event number (`data.n`): the demo's fake sends none, so they are counted here
   * rather than as received-once, lost or duplicated.
   */
  unnumbered: number;
  restarts: number;
  /** Workers the demo killed (`--chaos`). */
  kills: number;
  /** Kills after which the shard re-identified (a new session) instead of resuming. */
  newSessions: number;
  /** Median time from a kill to the shard's next RESUMED, in ms; null without kills. */
  medianRecoveryMs: number | null;
  maxRecoveryMs: number | null;
  /** Replayed events the connector dropped as already delivered. */
  duplicatesDropped: number;
  fatal: { code: string; message: string } | null;
  /** `--bots` > 1: each bot's own summary (the fields above are the total). */
  perBot?: Array<{ appId: string } & Omit<DemoSummary, 'mode' | 'perBot'>>;
}

/**
 * What the demo counted. {@link buildDemoSummary} derives the rest of {@link DemoSummary} from it: the verdict,
 * the losses and the recovery statistics.
 */
export type DemoFacts = Omit<DemoSummary, 'mode' | 'ok' | 'lost' | 'medianRecoveryMs' | 'maxRecoveryMs' | 'perBot'> & {
  /** Different numbered events received. */
  distinct: number;
  /** Each kill's time to the shard's next session, in ms. */
  recoveryMs: readonly number[];
  /** `--bots` > 1: what was counted for each bot (the fields above are the total). */
  bots?: ReadonlyArray<{ appId: string; facts: DemoFacts }>;
};

type Counted =
  | 'sent'
  | 'received'
  | 'distinct'
  | 'duplicated'
  | 'outOfOrder'
  | 'unnumbered'
  | 'restarts'
  | 'kills'
  | 'newSessions'
  | 'duplicatesDropped';
const COUNTED: readonly Counted[] = [
  'sent',
  'received',
  'distinct',
  'duplicated',
  'outOfOrder',
  'unnumbered',
  'restarts',
  'kills',
  'newSessions',
  'duplicatesDropped',
];

/** The counts of several bots added up; every recovery sample; the first fatal error. */
export function totalOf(perBot: readonly DemoFacts[]): Pick<DemoFacts, Counted | 'recoveryMs' | 'fatal'> {
  const total = Object.fromEntries(COUNTED.map((key) => [key, perBot.reduce((sum, f) => sum + f[key], 0)])) as Record<
    Counted,
    number
  >;
  return {
    ...total,
    recoveryMs: perBot.flatMap((f) => f.recoveryMs),
    fatal: perBot.find((f) => f.fatal !== null)?.fatal ?? null,
  };
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

export function buildDemoSummary(f: DemoFacts): DemoSummary {
  const lost = Math.max(0, f.sent - f.distinct);
  const med = median(f.recoveryMs);
  // Field by field, so the JSON keys keep the documented order.
  return {
    mode: 'demo',
    ok: lost === 0 && f.duplicated === 0 && f.fatal === null,
    stopReason: f.stopReason,
    durationMs: Math.round(f.durationMs),
    shards: f.shards,
    transport: f.transport,
    ratePerSec: f.ratePerSec,
    chaosMs: f.chaosMs,
    sent: f.sent,
    received: f.received,
    lost,
    duplicated: f.duplicated,
    outOfOrder: f.outOfOrder,
    unnumbered: f.unnumbered,
    restarts: f.restarts,
    kills: f.kills,
    newSessions: f.newSessions,
    medianRecoveryMs: med === null ? null : round1(med),
    maxRecoveryMs: f.recoveryMs.length === 0 ? null : round1(Math.max(...f.recoveryMs)),
    duplicatesDropped: f.duplicatesDropped,
    fatal: f.fatal,
    ...(f.bots === undefined
      ? {}
      : { perBot: f.bots.map(({ appId, facts }) => ({ appId, ...withoutMode(buildDemoSummary(facts)) })) }),
  };
}

function withoutMode(summary: DemoSummary): Omit<DemoSummary, 'mode' | 'perBot'> {
  const { mode: _mode, perBot: _perBot, ...rest } = summary;
  return rest;
}

/**
 * Callbacks carry no order: what a killed listener held comes again (the platform's redelivery, same id) after
 * newer events. Said so, so that a count above 0 over webhook does not read as a fault.
 */
function outOfOrder(s: DemoSummary): string {
  if (s.transport !== 'webhook' || s.outOfOrder === 0) return String(s.outOfOrder);
  return `${s.outOfOrder} (expected over webhook: the platform redelivers what a killed listener held, after newer events)`;
}

/** The human-readable summary, several lines, ending with a newline. */
export function formatDemoSummary(s: DemoSummary): string {
  const rows: Array<[string, string]> = [
    ['events sent by the fake', String(s.sent)],
    ['events received', String(s.received)],
    ['lost', String(s.lost)],
    ['duplicated', String(s.duplicated)],
    ['out of order', outOfOrder(s)],
    ...(s.unnumbered > 0 ? [['events without a number (data.n)', String(s.unnumbered)] as [string, string]] : []),
    ['restarts', `${s.restarts}${s.kills > 0 ? ` (${s.kills} workers killed by --chaos)` : ''}`],
    [
      'recovery (kill → resumed)',
      s.medianRecoveryMs === null
        ? 'no kills (--chaos 0, or the run was too short)'
        : `median ${s.medianRecoveryMs} ms, max ${s.maxRecoveryMs ?? 0} ms`,
    ],
    ['replays dropped as duplicates', String(s.duplicatesDropped)],
  ];
  if (s.newSessions > 0) rows.push(['kills that needed a new session', String(s.newSessions)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const bots = s.perBot === undefined ? '' : `${s.perBot.length} bots × `;
  const head = `demo summary: ${(s.durationMs / 1000).toFixed(1)} s of events, ${bots}${s.shards} shard${s.shards === 1 ? '' : 's'}, ${s.ratePerSec} events/s, stopped by ${s.stopReason}`;
  const verdict =
    s.fatal !== null
      ? `FAILED: ${s.fatal.code}: ${s.fatal.message}`
      : s.ok
        ? 'OK: every event sent was received exactly once.'
        : 'FAILED: events were lost or duplicated. This is a bug; please report it with this summary (--json).';
  return `${head}\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n${perBotRows(s)}${verdict}\n`;
}

/** `--bots` > 1: one line per bot under the total. */
function perBotRows(s: DemoSummary): string {
  if (s.perBot === undefined) return '';
  const width = Math.max(...s.perBot.map((b) => b.appId.length));
  const line = (b: NonNullable<DemoSummary['perBot']>[number]): string => {
    const recovery = b.medianRecoveryMs === null ? '' : `, recovery median ${b.medianRecoveryMs} ms`;
    const verdict = b.ok ? 'ok' : b.fatal !== null ? `FAILED: ${b.fatal.code}` : 'FAILED';
    return `  ${b.appId.padEnd(width)}  sent ${b.sent}, received ${b.received}, lost ${b.lost}, duplicated ${b.duplicated}, restarts ${b.restarts}${recovery}: ${verdict}`;
  };
  return `per bot:\n${s.perBot.map(line).join('\n')}\n`;
}

/** Live mode's closing line on stderr. */
export function formatLiveSummary(f: {
  durationMs: number;
  received: number;
  restarts: number;
  stopReason: string;
}): string {
  return `stopped by ${f.stopReason} after ${(f.durationMs / 1000).toFixed(1)} s: ${f.received} events received, ${f.restarts} restarts`;
}
