import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, QQBotError, fromWire, invalidOption, toWire, type WireError } from '../src/errors.js';

const sample = (): QQBotError =>
  new QQBotError(ErrorCodes.NETWORK, 'GET /gateway/bot failed: ECONNRESET', {
    retryable: true,
    details: { errno: 'ECONNRESET', status: null, ms: 120, redirected: false },
  });

describe('wire form', () => {
  it('keeps code, retryable, details and message through toWire/fromWire', () => {
    const back = fromWire(toWire(sample()));
    expect(back.code).toBe(ErrorCodes.NETWORK);
    expect(back.retryable).toBe(true);
    expect(back.details).toStrictEqual({ errno: 'ECONNRESET', status: null, ms: 120, redirected: false });
    expect(back.message).toBe('GET /gateway/bot failed: ECONNRESET');
  });

  it('keeps retryable false through the round trip', () => {
    expect(fromWire(toWire(invalidOption('Expected `shards` to be ≥ 1'))).retryable).toBe(false);
  });

  it('loses code when a QQBotError itself is structured-cloned (why the wire form exists)', () => {
    const clone = structuredClone(sample()) as unknown as Record<string, unknown>;
    expect(clone.code).toBeUndefined();
    expect(clone.retryable).toBeUndefined();
    expect(clone).not.toBeInstanceOf(QQBotError);
  });

  it('keeps every field when the wire form is structured-cloned', () => {
    const rec = toWire(sample());
    const clone = structuredClone(rec);
    expect(clone).toStrictEqual(rec);
    expect(clone.code).toBe(ErrorCodes.NETWORK);
    expect(fromWire(clone).code).toBe(ErrorCodes.NETWORK);
  });

  it('makes an instanceof QQBotError from a wire record', () => {
    const rec: WireError = {
      code: ErrorCodes.WORKER_HUNG,
      message: 'hung',
      retryable: true,
      details: { ms: 5_000 },
      name: 'QQBotError',
    };
    const err = fromWire(rec);
    expect(err).toBeInstanceOf(QQBotError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(ErrorCodes.WORKER_HUNG);
  });

  it('does not share details with the wire record', () => {
    const rec = toWire(sample());
    rec.details.ms = 1;
    expect(sample().details.ms).toBe(120);
    const err = fromWire(rec);
    rec.details.ms = 2;
    expect(err.details.ms).toBe(1);
  });

  it.each<[string, unknown, string]>([
    ['a plain Error', new Error('boom'), 'boom'],
    ['a TypeError', new TypeError('x is not a function'), 'x is not a function'],
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
  ])('gives QQBOT_INTERNAL for %s', (_name, thrown, message) => {
    const rec = toWire(thrown);
    expect(rec.code).toBe(ErrorCodes.INTERNAL);
    expect(rec.message).toBe(message);
    expect(structuredClone(rec)).toStrictEqual(rec);
  });

  it('recognises an error from another copy of the library with instanceof', () => {
    // A second copy has its own class, but stamps the same registered-symbol brand.
    class OtherCopyError extends Error {
      readonly code = ErrorCodes.CLOSED;
      get [Symbol.for('qqbot-connector.error')](): true {
        return true;
      }
    }
    expect(new OtherCopyError('closed')).toBeInstanceOf(QQBotError);
    expect(new Error('plain')).not.toBeInstanceOf(QQBotError);
    expect({ code: ErrorCodes.CLOSED }).not.toBeInstanceOf(QQBotError);
  });
});

describe('error codes', () => {
  const codes = Object.values(ErrorCodes);
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

  it('has no two names for the same code', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(codes)('lists %s in docs/errors.md', (code) => {
    const row = new RegExp(`^\\| \`${code}\` \\|`, 'm');
    expect(doc).toMatch(row);
  });

  it('keeps the core codes under "## Core" in docs/errors.md', () => {
    const core = doc.slice(doc.indexOf('## Core'));
    expect(doc).toContain('## Core');
    expect(core).toContain('| code | retryable | meaning | what to do |');
  });
});
