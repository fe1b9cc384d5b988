// npm run bench: every benchmark, each as the median of several runs against a baseline measured in the
// same run. Prints one JSON document; docs/benchmarks.md explains the figures.
import { existsSync } from 'node:fs';

const suites = [
  ['recovery', './recovery.js'],
  ['throughput', './throughput.js'],
  ['send', './send.js'],
  ['upload', './upload.js'],
  ['pacing', './pacing.js'],
  ['webhook', './webhook.js'],
  ['webhook-fleet', './webhook-fleet.js'],
  ['webhook-starvation', './webhook-starvation.js'],
  ['checkpoint', './checkpoint.js'],
  ['failover', './failover.js'],
  ['rolling-deploy', './rolling-deploy.js'],
  ['outage', './outage.js'],
  ['many-bots', './many-bots.js'],
];

const only = process.argv.slice(2);
const results = [];
for (const [name, file] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  if (!existsSync(new URL(file, import.meta.url))) continue;
  const { run } = await import(file);
  const started = Date.now();
  const result = await run();
  results.push({ ...result, seconds: Math.round((Date.now() - started) / 100) / 10 });
  console.error(`${name}: done in ${results.at(-1).seconds} s`);
}
console.log(JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2));
