import { invalidOption } from '../errors.js';

/**
 * The checks every options object shares (connector, REST client, testing kit): each throws
 * `QQBOT_INVALID_OPTION` naming the option's full path (`restart.maxRestarts`), never its value when it may be a
 * secret. Validation happens once, at construction.
 * @module
 */

/** A plain object (not null, not an array): what every options object must be. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `prefix.key`, or `key` at the top level. */
function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** Levenshtein distance, case-insensitive (`httpMS` is one step from nothing but `httpMs`). */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** How many leading letters two names share, case-insensitive. */
function sharedPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n]?.toLowerCase() === b[n]?.toLowerCase()) n++;
  return n;
}

/**
 * The known key nearest to `key` (fewest edits; on a tie, the longer shared start: `retries` → `retry`, not
 * `replies`), if it is near enough to be a likely typo: at most half of the longer name's letters differ, one name
 * contains the other (`apiUrl` → `api`), or they start with the same three letters (`apiUrl` → `apiBase`).
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const score = editDistance(key, candidate) - sharedPrefix(key, candidate) / 1000;
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  if (best === undefined) return undefined;
  const [a, b] = [key.toLowerCase(), best.toLowerCase()];
  const near =
    editDistance(a, b) <= Math.max(a.length, b.length) / 2 || a.includes(b) || b.includes(a) || sharedPrefix(a, b) >= 3;
  return near ? best : undefined;
}

/**
 * Refuses keys of `value` that are not in `known`: a typo must not be a silently ignored option (`endpoints.apiUrl`
 * would send a sandbox bot to production). `path` is the object's own path, `''` at the top level.
 */
function rejectUnknownKeys(path: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closestKey(key, known);
    const hint =
      near === undefined
        ? `known options: ${known.map((k) => `\`${joinPath(path, k)}\``).join(', ')}`
        : `did you mean \`${joinPath(path, near)}\`?`;
    throw invalidOption(`Unknown option \`${joinPath(path, key)}\`; ${hint}`);
  }
}

/**
 * An optional options object: `{}` when absent, else an object with only `known` keys. `path` prefixes the keys in
 * messages (`''` at the top level, where `name` is only what the object is called).
 */
export function section(name: string, value: unknown, known: readonly string[], path = name): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) throw invalidOption(`Expected \`${name}\` to be an object`);
  rejectUnknownKeys(path, value, known);
  return value;
}

export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidOption(`Expected \`${name}\` to be a non-empty string`);
  return value;
}

/** An absolute http(s) URL, without trailing slashes. */
export function httpUrl(name: string, value: unknown): string {
  const text = nonEmptyString(name, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidOption(`Expected \`${name}\` to be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidOption(`Expected \`${name}\` to be an http(s) URL`);
  if (!isSecureUrl(url)) {
    throw invalidOption(
      `Expected \`${name}\` to be an https:// URL: over http:// to ${url.hostname} the access token would cross the network in clear (http:// is for loopback only)`,
    );
  }
  return text.replace(/\/+$/, '');
}

/** A loopback host name or address: `localhost`, 127.0.0.0/8, `::1`. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** https://, or http:// to a loopback host (a local fake or proxy): nothing crosses a network in clear. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** p-retry style: one helper for every numeric option; `name` is the option's full path (`retry.retries`). */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  what = 'an integer',
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidOption(`Expected \`${name}\` to be ${what}`);
  if (value < min) throw invalidOption(`Expected \`${name}\` to be ≥ ${min}`);
  if (value > max) throw invalidOption(`Expected \`${name}\` to be ≤ ${max}`);
  return value;
}
