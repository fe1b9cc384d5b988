/**
 * `qqbot-connector/metrics`: the connector's counters on a prom-client registry. Needs the `prom-client` package,
 * an optional peer dependency: only this entry point loads it. Other collectors subscribe to `CHANNEL_NAMES`
 * (exported by the root entry too) with `node:diagnostics_channel`.
 */
export { registerMetrics, type MetricsOptions, type RegisteredMetrics } from './prometheus.js';
export { CHANNEL_NAMES, type ChannelMessages } from './channels.js';
