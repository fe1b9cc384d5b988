import type { Registry } from 'prom-client';

/** The sum of `name`'s series (a histogram's: its `suffix` series) whose labels include `labels`; 0 when none. */
export async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string | number>,
  suffix = '',
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`${name} is not registered`);
  // A histogram's values name their series (`_count`, `_sum`, `_bucket`); prom-client's type leaves that out.
  const { values } = (await metric.get()) as {
    values: Array<{ value: number; labels: Record<string, unknown>; metricName?: string }>;
  };
  return values
    .filter((v) => (suffix === '' ? v.metricName === undefined : v.metricName === `${name}${suffix}`))
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === String(want)))
    .reduce((sum, v) => sum + v.value, 0);
}
