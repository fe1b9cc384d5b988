import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * The connector's counters as `node:diagnostics_channel` channels: publishing costs one `hasSubscribers` check
 * while nobody listens (pino's tracing idea). `qqbot-connector/metrics` turns them into prom-client metrics; any
 * other collector can subscribe by name.
 */
export const CHANNEL_NAMES = {
  /** `{ appId, shard, type }` — an event reached the host's listeners. Every message names its bot (`appId`) and shard. */
  delivered: 'qqbot-connector:delivered',
  /** `{ appId, shard, reason: 'seq' | 'id' }` — a duplicate was dropped before the host saw it. */
  duplicate: 'qqbot-connector:duplicate',
  /** `{ appId, shard, kind, decision, delayMs, progressed }` — an attempt ended and another is scheduled. */
  restart: 'qqbot-connector:restart',
  /** `{ appId, shard, ms, resumed }` — a session is back: time from the end of the last session (or the lease taken) to READY/RESUMED. */
  reconnect: 'qqbot-connector:reconnect',
  /** `{ appId, shard, failures }` — the restart budget was spent and the shard started over from a clean slate. */
  escalation: 'qqbot-connector:escalation',
  /** `{ appId, shard, answered }` — while the platform could not be reached, a probe of its host (`restart.probeIntervalMs`). */
  probe: 'qqbot-connector:probe',
} as const;

export interface ChannelMessages {
  delivered: { appId: string; shard: number; type: string };
  duplicate: { appId: string; shard: number; reason: 'seq' | 'id' };
  restart: { appId: string; shard: number; kind: string; decision: string; delayMs: number; progressed: boolean };
  reconnect: { appId: string; shard: number; ms: number; resumed: boolean };
  escalation: { appId: string; shard: number; failures: number };
  probe: { appId: string; shard: number; answered: boolean };
}

export const channels: { readonly [K in keyof ChannelMessages]: diagnosticsChannel.Channel } = {
  delivered: diagnosticsChannel.channel(CHANNEL_NAMES.delivered),
  duplicate: diagnosticsChannel.channel(CHANNEL_NAMES.duplicate),
  restart: diagnosticsChannel.channel(CHANNEL_NAMES.restart),
  reconnect: diagnosticsChannel.channel(CHANNEL_NAMES.reconnect),
  escalation: diagnosticsChannel.channel(CHANNEL_NAMES.escalation),
  probe: diagnosticsChannel.channel(CHANNEL_NAMES.probe),
};

/** Publishes only when someone listens; the message is built only then. */
export function publish<K extends keyof ChannelMessages>(name: K, message: () => ChannelMessages[K]): void {
  const channel = channels[name];
  if (channel.hasSubscribers) channel.publish(message());
}
