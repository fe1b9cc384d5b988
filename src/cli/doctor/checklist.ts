/** The doctor's checks, in the order they are printed; the ids are stable for scripts (`--json`). */
export const CHECK_TITLES = {
  credentials: 'credentials (access token)',
  'ip-allow-list': 'IP allow-list',
  gateway: 'gateway (GET /gateway/bot)',
  intents: 'intents',
  'webhook-https': 'webhook URL is HTTPS',
  'webhook-port': 'webhook port',
  'certificate-chain': 'certificate chain',
  'certificate-host': 'certificate host name',
  'certificate-expiry': 'certificate expiry',
  'webhook-validation': 'URL validation (op 13)',
} as const;

export type CheckId = keyof typeof CHECK_TITLES;

/** `skip`: not run, because a check it needs failed (that one is the ✗ to fix). */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** What was found, in one line. */
  summary: string;
  /** For a failure: what to do about it. */
  fix?: string;
  /** Figures for scripts. */
  facts?: Record<string, unknown>;
}

export const pass = (id: CheckId, summary: string, facts?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'pass',
  summary,
  ...(facts === undefined ? {} : { facts }),
});

export const fail = (id: CheckId, summary: string, fix: string, facts?: Record<string, unknown>): CheckResult => ({
  id,
  status: 'fail',
  summary,
  fix,
  ...(facts === undefined ? {} : { facts }),
});

/** A check that did not run because `after` did not pass. */
export const skip = (id: CheckId, after: CheckId | string): CheckResult => ({
  id,
  status: 'skip',
  summary: `not checked: ${after in CHECK_TITLES ? `needs "${CHECK_TITLES[after as CheckId]}" to pass first` : after}`,
});

/** Runs the steps in order; once one does not pass, the rest are skipped, naming it. */
export async function inSequence(
  steps: ReadonlyArray<{ id: CheckId; run: () => CheckResult | Promise<CheckResult> }>,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let blocker: CheckId | undefined;
  for (const step of steps) {
    const result = blocker === undefined ? await step.run() : skip(step.id, blocker);
    if (result.status !== 'pass') blocker ??= result.id;
    results.push(result);
  }
  return results;
}

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✓', fail: '✗', skip: '–' };

/** The human checklist: one line per check, the fix indented under each ✗, a verdict at the end. */
export function formatChecklist(heading: string, checks: readonly CheckResult[], notes: readonly string[]): string {
  const width = Math.max(...checks.map((c) => CHECK_TITLES[c.id].length));
  const lines = [heading, ''];
  for (const check of checks) {
    lines.push(`${MARKS[check.status]} ${CHECK_TITLES[check.id].padEnd(width)}  ${check.summary}`);
    if (check.fix !== undefined) lines.push(`  ${' '.repeat(width)}  fix: ${check.fix}`);
  }
  for (const note of notes) lines.push(`  note: ${note}`);
  const failed = checks.filter((c) => c.status !== 'pass').length;
  lines.push(
    '',
    failed === 0 ? `All ${checks.length} checks passed.` : `${failed} of ${checks.length} checks did not pass.`,
  );
  return `${lines.join('\n')}\n`;
}

/** `--json`: one document. `ok` is true only when every check passed. */
export function checklistJson(checks: readonly CheckResult[], notes: readonly string[]): string {
  const ok = checks.every((c) => c.status === 'pass');
  return `${JSON.stringify({ ok, checks: checks.map((c) => ({ ...c, title: CHECK_TITLES[c.id] })), notes })}\n`;
}
