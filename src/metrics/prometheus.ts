import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, Histogram, register as defaultRegistry, validateMetricName, type Registry } from 'prom-client';
import { invalidOption } from '../errors.js';
import { CHANNEL_NAMES, type ChannelMessages } from './channels.js';
import { custom, resolve, type OptionsOf } from '../options/schema.js';

/** The shape of {@link MetricsOptions}. */
const METRICS = {
  /**
   * The prom-client registry the metrics are registered on.
   * @defaultValue prom-client's global `register`
   */
  registry: custom<Registry>(
    (value, path) => {
      if (!isRegistry(value)) throw invalidOption(`Expected \`${path}\` to be a prom-client Registry`);
      return value;
    },
    { default: defaultRegistry },
  ),
  /**
   * Put in front of every metric name; must keep the names valid Prometheus names (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
   * @defaultValue `'qqbot_'`
   */
  prefix: custom<string>(
    (value, path) => {
      if (typeof value !== 'string' || !validateMetricName(`${value}x`)) {
        throw invalidOption(
          `Expected \`${path}\` to be a string that keeps metric names valid (\`[a-zA-Z_:][a-zA-Z0-9_:]*\`)`,
        );
      }
      return value;
    },
    { default: 'qqbot_' },
  ),
};

/** Options of {@link registerMetrics}. */
export type MetricsOptions = OptionsOf<typeof METRICS>;

/** What {@link registerMetrics} returns. */
export interface RegisteredMetrics {
  /** The registry the metrics are on. */
  readonly registry: Registry;
  /** The registered metric names, prefix included. */
  readonly names: readonly string[];
  /** Unsubscribes from the channels and removes the metrics from the registry. Idempotent. */
  close(): void;
}

/**
 * Reconnect latency buckets, in seconds: kill drills recover in milliseconds, outages last minutes; prom-client's
 * default buckets stop at 10 s.
 */
const RECONNECT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** prom-client's registry, told by what is used of it: a second copy of prom-client in the tree fails `instanceof`. */
function isRegistry(value: unknown): value is Registry {
  const candidate = value as Partial<Registry> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.registerMetric === 'function' &&
    typeof candidate.getSingleMetric === 'function' &&
    typeof candidate.removeSingleMetric === 'function'
  );
}

/**
 * Registers the connector's counters on a prom-client registry, fed by its `node:diagnostics_channel` channels
 * (`CHANNEL_NAMES`): events delivered by type, duplicates dropped by reason, restarts by kind and decision,
 * escalations, probes during outages, and a histogram of the time from a lost session to the next READY/RESUMED. Every connector in the
 * process feeds the same metrics; each carries an `app_id` label (the bot) and a `shard` label.
 *
 * @example
 * ```ts
 * import { registerMetrics } from 'qqbot-connector/metrics';
 * const metrics = registerMetrics(); // prom-client's global registry, names qqbot_*
 * // serve `await register.metrics()` on /metrics; on shutdown: metrics.close()
 * ```
 * @throws QQBotError `QQBOT_INVALID_OPTION` for an unknown option, a bad prefix, or when metrics of this prefix
 * are already on the registry (close the other handle first, or pick another prefix).
 */
export function registerMetrics(options: MetricsOptions = {}): RegisteredMetrics {
  const { registry, prefix } = resolve(METRICS, options, 'registerMetrics');
  const names = {
    delivered: `${prefix}events_delivered_total`,
    duplicate: `${prefix}duplicates_dropped_total`,
    restart: `${prefix}restarts_total`,
    escalation: `${prefix}escalations_total`,
    reconnect: `${prefix}reconnect_duration_seconds`,
    probe: `${prefix}probes_total`,
  } as const;
  const taken = Object.values(names).find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken !== undefined)
    throw invalidOption(
      `\`${taken}\` is already registered on this registry: close the other registerMetrics() handle first, or pick another \`prefix\``,
    );

  const registers = [registry];
  const delivered = new Counter({
    name: names.delivered,
    help: "Events handed to the host's listeners, by dispatch type.",
    labelNames: ['app_id', 'shard', 'type'],
    registers,
  });
  const duplicates = new Counter({
    name: names.duplicate,
    help: 'Duplicate events dropped before the host saw them, by what told them apart (seq or event id).',
    labelNames: ['app_id', 'shard', 'reason'],
    registers,
  });
  const restarts = new Counter({
    name: names.restart,
    help: 'Attempts that ended and were followed by another, by how they ended (kind), what was decided, and whether they made progress.',
    labelNames: ['app_id', 'shard', 'kind', 'decision', 'progressed'],
    registers,
  });
  const escalations = new Counter({
    name: names.escalation,
    help: 'Restart budgets spent: the shard started over from a clean slate.',
    labelNames: ['app_id', 'shard'],
    registers,
  });
  const probes = new Counter({
    name: names.probe,
    help: "Probes of the platform's host while it could not be reached, by whether it answered.",
    labelNames: ['app_id', 'shard', 'answered'],
    registers,
  });
  const reconnects = new Histogram({
    name: names.reconnect,
    help: 'Time from the end of a session (or the start) to the next READY or RESUMED, in seconds.',
    labelNames: ['app_id', 'shard', 'resumed'],
    buckets: RECONNECT_BUCKETS,
    registers,
  });

  // One table: channel → what its message does to the metrics.
  const handlers: { [K in keyof ChannelMessages]: (m: ChannelMessages[K]) => void } = {
    delivered: (m) => delivered.inc({ app_id: m.appId, shard: m.shard, type: m.type }),
    duplicate: (m) => duplicates.inc({ app_id: m.appId, shard: m.shard, reason: m.reason }),
    restart: (m) =>
      restarts.inc({
        app_id: m.appId,
        shard: m.shard,
        kind: m.kind,
        decision: m.decision,
        progressed: String(m.progressed),
      }),
    escalation: (m) => escalations.inc({ app_id: m.appId, shard: m.shard }),
    reconnect: (m) => reconnects.observe({ app_id: m.appId, shard: m.shard, resumed: String(m.resumed) }, m.ms / 1000),
    probe: (m) => probes.inc({ app_id: m.appId, shard: m.shard, answered: String(m.answered) }),
  };
  const subscriptions = (Object.keys(handlers) as Array<keyof ChannelMessages>).map((key) => {
    const listener = handlers[key] as (message: unknown) => void;
    diagnosticsChannel.subscribe(CHANNEL_NAMES[key], listener);
    return () => diagnosticsChannel.unsubscribe(CHANNEL_NAMES[key], listener);
  });

  let closed = false;
  return {
    registry,
    names: Object.values(names),
    close(): void {
      if (closed) return;
      closed = true;
      for (const unsubscribe of subscriptions) unsubscribe();
      for (const name of Object.values(names)) registry.removeSingleMetric(name);
    },
  };
}
