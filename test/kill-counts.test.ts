import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

interface KillPlan {
  runs: number;
  killsPerRun: number;
  backToBackKills: number;
}

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

it('README and docs/benchmarks.md quote the kill counts bench/recovery.js makes', async () => {
  // A plain JS module (it loads dist/, which npm test builds): imported by URL, as the bench runner does.
  const { KILL_PLAN } = (await import(new URL('../bench/recovery.js', import.meta.url).href)) as {
    KILL_PLAN: KillPlan;
  };
  const { runs, killsPerRun, backToBackKills } = KILL_PLAN;
  const perBench = `${runs} × ${killsPerRun} kills`;
  const total = (3 * (runs * killsPerRun + backToBackKills)).toLocaleString('en-US').replace(',', ' ');

  const readme = read('../README.md');
  expect(readme).toContain(`${perBench} per bench run`);
  expect(readme).toContain(`(${perBench} + ${backToBackKills} back-to-back each: ${total} kills)`);

  const benchmarks = read('../docs/benchmarks.md');
  expect(benchmarks).toContain(`(${perBench} + ${backToBackKills} back-to-back per bench run)`);
  expect(benchmarks).toContain(`${killsPerRun} times per run`);
  expect(benchmarks).toContain(
    `makes ${['no', 'one', 'two', 'three', 'four', 'five'][runs] ?? runs} such runs (${runs * killsPerRun} kills) plus one back-to-back run (${backToBackKills} kills)`,
  );
});
