import { invalidOption } from '../errors.js';
import { isObject } from '../options/checks.js';
import { custom, resolve, text, type Field, type OptionsOf, type ResolvedOf } from '../options/schema.js';
import { intAtLeast, positive } from './fake-checks.js';

/**
 * The options of {@link FakeQQServer.start}, declared once as a shape (`options/schema.ts`): the type a test
 * writes, the resolved type the fake reads, the defaults and the checks all come from {@link FAKE_OPTIONS}. An
 * unknown key is refused with `QQBOT_INVALID_OPTION` naming the nearest known one; a number out of range with a
 * `RangeError` naming the option, as the fake's methods do.
 * @module
 */

/** An integer ≥ `min`; absent → `fallback`. */
function intOption(min: number, fallback: number): Field<number, number> {
  return custom<number>((value, path) => intAtLeast(path, value as number, min), { default: fallback });
}

/** A finite number > 0; absent → `fallback`. */
function positiveOption(fallback: number): Field<number, number> {
  return custom<number>((value, path) => positive(path, value as number), { default: fallback });
}

/** One more bot the fake serves. */
type App = { appId: string; secret: string };

function apps(value: unknown, path: string): ReadonlyArray<App> {
  const valid =
    Array.isArray(value) &&
    value.every((a: unknown) => isObject(a) && typeof a.appId === 'string' && typeof a.secret === 'string');
  if (!valid) throw invalidOption(`Expected \`${path}\` to be an array of { appId, secret } strings`);
  return (value as App[]).map(({ appId, secret }) => ({ appId, secret }));
}

function clock(value: unknown, path: string): () => number {
  if (typeof value !== 'function') throw invalidOption(`Expected \`${path}\` to be a function returning epoch ms`);
  return value as () => number;
}

const FAKE_OPTIONS = {
  /**
   * The app id the token endpoint accepts.
   * @defaultValue `'test-app'`
   */
  appId: text({ default: 'test-app' }),
  /**
   * The client secret the token endpoint accepts (with {@link FakeQQServerOptions.appId}).
   * @defaultValue `'test-secret'`
   */
  secret: text({ default: 'test-secret' }),
  /**
   * More bots the fake serves (a host running many bots against one fake): the token endpoint accepts each pair
   * like `appId`/`secret`, and each session remembers the app whose token identified it.
   * @defaultValue `[]`
   */
  apps: custom<ReadonlyArray<{ appId: string; secret: string }>>(apps, { default: [] }),
  /**
   * `heartbeat_interval` sent in Hello, in ms.
   * @defaultValue `41250`
   */
  heartbeatIntervalMs: positiveOption(41_250),
  /**
   * Close a session's socket with 4009 ("session timed out") when no heartbeat arrived for this long once
   * READY/RESUMED was sent, as the platform does. `0` never enforces it.
   * @defaultValue `0`
   */
  heartbeatTimeoutMs: intOption(0, 0),
  /**
   * Events each session keeps for replay. Older ones are dropped, and a Resume from before the oldest kept
   * event is answered with op 9 `d: false` (the client must IDENTIFY), as a real server with a bounded buffer
   * would. Bounds the fake's memory in long runs.
   * @defaultValue `100000`
   */
  replayLimit: intOption(1, 100_000),
  /**
   * Lifetime of issued tokens, in seconds; answered as a string (`"7200"`), like the platform's docs.
   * @defaultValue `7200`
   */
  tokenTtlSeconds: positiveOption(7200),
  /**
   * Intent bits an Identify may ask for; asking for any other bit closes the socket with 4014.
   * @defaultValue every bit allowed
   */
  allowedIntents: intOption(0, 0xffff_ffff),
  /**
   * `shards` answered by `GET /gateway/bot`.
   * @defaultValue `1`
   */
  shards: intOption(1, 1),
  /**
   * `session_start_limit.remaining` answered by `GET /gateway/bot` (constant: Identify does not decrement it).
   * @defaultValue `1000`
   */
  sessionStartRemaining: intOption(0, 1000),
  /**
   * `session_start_limit.reset_after` (ms) answered by `GET /gateway/bot` (constant, like `remaining`).
   * @defaultValue `14400000` (4 h, as the platform's docs show)
   */
  sessionStartResetAfterMs: intOption(0, 14_400_000),
  /**
   * `session_start_limit.max_concurrency` answered by `GET /gateway/bot`: sessions that may start per 5 s. The
   * fake does not enforce it; `stats.identifies` (with `at`) shows whether a client kept to it.
   * @defaultValue `1`
   */
  maxConcurrency: intOption(1, 1),
  /**
   * The fake's clock in epoch ms: token expiry and the `at` of recorded identifies and resumes.
   * @defaultValue `Date.now`
   */
  now: custom<() => number>(clock, { default: Date.now }),
};

/** Options of {@link FakeQQServer.start}. Every field is optional. */
export type FakeQQServerOptions = OptionsOf<typeof FAKE_OPTIONS>;

/** {@link FakeQQServerOptions} with every default applied, checked once. */
export type ResolvedFakeOptions = ResolvedOf<typeof FAKE_OPTIONS>;

/** Applies the defaults documented on {@link FAKE_OPTIONS} and checks every value once. */
export function resolveFakeOptions(options: unknown): ResolvedFakeOptions {
  if (!isObject(options)) throw invalidOption('Expected the FakeQQServer options to be an object');
  return resolve(FAKE_OPTIONS, options, '');
}
