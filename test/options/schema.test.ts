import { describe, expect, expectTypeOf, it } from 'vitest';
import { ErrorCodes, type QQBotError } from '../../src/errors.js';
import {
  boolean,
  custom,
  defaultsOf,
  hasMethods,
  integer,
  literal,
  oneOf,
  resolve,
  section,
  text,
  url,
  type OptionsOf,
  type ResolvedOf,
} from '../../src/options/schema.js';

const restart = {
  /** Backoff base. @defaultValue 250 */
  minDelayMs: integer({ default: 250, min: 0 }),
  maxDelayMs: integer({ default: 30_000, min: 0 }),
  giveUpAfterMs: integer({ default: Number.POSITIVE_INFINITY, min: 1, infinity: true }),
};
const shape = {
  appId: text(),
  mode: oneOf(['thread', 'in-process'], { default: 'thread' }),
  verbose: boolean({ default: false }),
  limit: integer({ default: undefined, min: 1, max: 10 }),
  logger: custom<{ info(): void } | undefined>(hasMethods(['info'], 'a logger'), { default: undefined }),
  restart: section(restart, (r, path) => {
    if (r.maxDelayMs < r.minDelayMs) throw new Error(`${path}: max < min`);
  }),
};

function refusal(run: () => unknown): QQBotError {
  try {
    run();
  } catch (err) {
    return err as QQBotError;
  }
  throw new Error('expected a refusal');
}

describe('options schema', () => {
  it('fills every default from the one declaration, nested sections included', () => {
    expect(resolve(shape, { appId: 'a' }, '')).toEqual({
      appId: 'a',
      mode: 'thread',
      verbose: false,
      limit: undefined,
      logger: undefined,
      restart: { minDelayMs: 250, maxDelayMs: 30_000, giveUpAfterMs: Number.POSITIVE_INFINITY },
    });
    expect(defaultsOf(restart)).toEqual({
      minDelayMs: 250,
      maxDelayMs: 30_000,
      giveUpAfterMs: Number.POSITIVE_INFINITY,
    });
  });

  it('refuses an unknown key with the nearest known one, at any depth', () => {
    const top = refusal(() => resolve(shape, { appId: 'a', verbos: true }, ''));
    expect(top.code).toBe(ErrorCodes.INVALID_OPTION);
    expect(top.message).toContain('did you mean `verbose`?');
    expect(refusal(() => resolve(shape, { appId: 'a', restart: { maxDelayMS: 1 } }, '')).message).toContain(
      '`restart.maxDelayMs`',
    );
  });

  it('names the full path of a bad value and never echoes it', () => {
    const error = refusal(() => resolve(shape, { appId: 'a', restart: { minDelayMs: 'secret-looking' } }, ''));
    expect(error.message).toBe('Expected `restart.minDelayMs` to be an integer');
    expect(refusal(() => resolve(shape, { appId: 'a', limit: 11 }, '')).message).toBe('Expected `limit` to be ≤ 10');
    expect(refusal(() => resolve(shape, { appId: 'a', mode: 'fork' }, '')).message).toBe(
      "Expected `mode` to be 'thread', 'in-process'",
    );
    expect(refusal(() => resolve(shape, { appId: 'a', logger: {} }, '')).message).toBe(
      'Expected `logger` to be a logger (info)',
    );
    expect(refusal(() => resolve(shape, {}, '')).message).toContain('`appId`');
    expect(refusal(() => resolve(shape, 'x', '')).message).toBe('Expected `options` to be an object');
    expect(
      refusal(() => resolve({ api: url({ default: 'https://a.example' }) }, { api: 'ftp://x' }, 'endpoints')).message,
    ).toBe('Expected `endpoints.api` to be an http(s) URL');
    expect(refusal(() => resolve({ kind: literal('webhook') }, { kind: 'websocket' }, 'transport')).message).toBe(
      "Expected `transport.kind` to be 'webhook'",
    );
    expectTypeOf<OptionsOf<{ kind: ReturnType<typeof literal<'webhook'>> }>>().toEqualTypeOf<{ kind: 'webhook' }>();
    expect(
      resolve({ api: url({ default: 'https://a.example' }) }, { api: 'https://b.example//' }, 'endpoints'),
    ).toEqual({ api: 'https://b.example' });
  });

  it("takes Infinity only where a field says so, and runs a section's own check", () => {
    expect(
      resolve(shape, { appId: 'a', restart: { giveUpAfterMs: Number.POSITIVE_INFINITY } }, '').restart.giveUpAfterMs,
    ).toBe(Number.POSITIVE_INFINITY);
    expect(refusal(() => resolve(shape, { appId: 'a', limit: Number.POSITIVE_INFINITY }, '')).message).toBe(
      'Expected `limit` to be an integer',
    );
    expect(() => resolve(shape, { appId: 'a', restart: { minDelayMs: 10, maxDelayMs: 5 } }, '')).toThrow(
      'restart: max < min',
    );
  });

  it('gives the types: every key optional in, every default filled out', () => {
    expectTypeOf<OptionsOf<typeof restart>>().toEqualTypeOf<{
      minDelayMs?: number;
      maxDelayMs?: number;
      giveUpAfterMs?: number;
    }>();
    expectTypeOf<OptionsOf<typeof shape>['appId']>().toEqualTypeOf<string>();
    expectTypeOf<OptionsOf<typeof shape>>().toHaveProperty('appId').toEqualTypeOf<string>();
    expectTypeOf<Pick<OptionsOf<typeof shape>, 'verbose'>>().toEqualTypeOf<{ verbose?: boolean }>();
    expectTypeOf<ResolvedOf<typeof shape>['limit']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ResolvedOf<typeof shape>['restart']['minDelayMs']>().toEqualTypeOf<number>();
    expectTypeOf<ResolvedOf<typeof shape>['mode']>().toEqualTypeOf<'thread' | 'in-process'>();
  });
});
