import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError, RETRYABLE, fromWire, toWire, type ErrorCode } from '../src/errors.js';
import { API_ERROR_RULES, describeApiError } from '../src/http/api-error.js';

const DOC = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** Every row of every table whose header starts `| code | retryable |`: code → the documented retryable cell. */
function documentedRetryable(markdown: string): Map<string, string> {
  const rows = new Map<string, string>();
  let inCodeTable = false;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      inCodeTable = false;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells[0] === 'code' && cells[1] === 'retryable') {
      inCodeTable = true;
      continue;
    }
    const code = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (!inCodeTable || code === undefined) continue;
    if (rows.has(code)) throw new Error(`${code} is documented twice`);
    rows.set(code, cells[1] ?? '');
  }
  return rows;
}

/** The documented cell as the table's value: "yes …" → true, "no …" → false, "see `err.retryable`" → 'varies'. */
function meaning(cell: string): boolean | 'varies' | string {
  if (/^yes\b/.test(cell)) return true;
  if (/^no\b/.test(cell)) return false;
  if (cell === 'see `err.retryable`') return 'varies';
  return `unreadable cell: ${cell}`;
}

const codes = Object.values(ErrorCodes);
const documented = documentedRetryable(DOC);

describe('docs/errors.md agrees with the code', () => {
  it('documents every code once, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s: the documented retryable is the one the library sets', (code) => {
    expect(meaning(documented.get(code) ?? '')).toBe(RETRYABLE[code]);
  });

  it('every code starts with QQBOT_', () => {
    for (const code of codes) expect(code).toMatch(/^QQBOT_[A-Z_]+$/);
  });
});

describe('RETRYABLE decides the flag', () => {
  const fixed = codes.filter((code): code is ErrorCode => RETRYABLE[code] !== 'varies');
  const varies = codes.filter((code) => RETRYABLE[code] === 'varies');

  it('has both kinds (the table is not trivially one value)', () => {
    expect(fixed.filter((code) => RETRYABLE[code] === true).length).toBeGreaterThan(0);
    expect(fixed.filter((code) => RETRYABLE[code] === false).length).toBeGreaterThan(0);
    expect(varies.length).toBeGreaterThan(0);
  });

  it.each(fixed)('%s: fixed by the table, whatever the raiser passes, and through the wire form', (code) => {
    const expected = RETRYABLE[code];
    expect(new QQBotError(code, 'x').retryable).toBe(expected);
    expect(new QQBotError(code, 'x', { retryable: expected !== true }).retryable).toBe(expected);
    expect(fromWire({ ...toWire(new QQBotError(code, 'x')), retryable: expected !== true }).retryable).toBe(expected);
  });

  it.each(varies)('%s: taken from where it is raised (default false)', (code) => {
    expect(new QQBotError(code, 'x').retryable).toBe(false);
    expect(new QQBotError(code, 'x', { retryable: true }).retryable).toBe(true);
    expect(fromWire(toWire(new QQBotError(code, 'x', { retryable: true }))).retryable).toBe(true);
  });

  it('a wire record with a code this version does not know keeps its own flag', () => {
    const err = fromWire({
      code: 'QQBOT_FROM_THE_FUTURE' as ErrorCode,
      message: 'x',
      retryable: true,
      details: {},
      name: 'QQBotError',
    });
    expect(err.retryable).toBe(true);
  });
});

describe('docs/errors.md agrees with the API error table', () => {
  /** The rows of the `err.kind` table: kind → the codes and statuses of its "platform answer" cell, and its retryable. */
  function documentedKinds(markdown: string): Map<string, { codes: number[]; retryable: boolean | 'varies' | string }> {
    const rows = new Map<string, { codes: number[]; retryable: boolean | 'varies' | string }>();
    for (const line of markdown.split('\n')) {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      const kind = /^`([a-z-]+)`$/.exec(cells[0] ?? '')?.[1];
      if (kind === undefined || cells.length !== 4) continue;
      const codePart = (cells[1] ?? '').split(';').find((part) => part.trim().startsWith('codes')) ?? '';
      rows.set(kind, {
        codes: [...codePart.matchAll(/\d+/g)].map((m) => Number(m[0])),
        retryable: meaning(cells[2] ?? ''),
      });
    }
    return rows;
  }

  it('lists every row of API_ERROR_RULES with its codes and retryable, and no other kind', () => {
    const documentedRows = documentedKinds(DOC);
    const kinds = new Set([...API_ERROR_RULES.map((rule) => rule.kind), 'fatal']);
    expect([...documentedRows.keys()].sort()).toEqual([...kinds].sort());
    for (const kind of kinds) {
      const rules = API_ERROR_RULES.filter((rule) => rule.kind === kind);
      expect(documentedRows.get(kind)?.codes.sort(), kind).toEqual(rules.flatMap((rule) => rule.codes ?? []).sort());
      for (const rule of rules) expect(documentedRows.get(kind)?.retryable, kind).toBe(rule.retryable);
      for (const rule of rules) expect(rule.advice.length, kind).toBeGreaterThan(20);
    }
  });

  it('11298 is never taken for an expired token, whatever the status', () => {
    for (const status of [200, 400, 401, 403]) expect(describeApiError(status, 11298).kind).toBe('ip-not-allowed');
  });
});
