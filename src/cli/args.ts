import { parseArgs } from 'node:util';
import { MAX_SHARDS } from '../protocol/payloads.js';
import { closestKey } from '../options/checks.js';
import { DEFAULT_INTENTS, IntentsError, parseIntents } from './intents.js';

/** Bad usage: the CLI prints the message and exits with code 2. Messages never contain a secret. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const SANDBOX_API_URL = 'https://sandbox.api.sgroup.qq.com';
export const DEFAULT_RATE_PER_SEC = 200;
/** The demo shows the point on its own: kills on, and a summary after this long (`--duration 0`: until Ctrl-C). */
export const DEFAULT_DEMO_DURATION_S = 10;
export const DEFAULT_CHAOS_MS = 1_000;

interface CommonConfig {
  /** OR of intent bits. */
  intents: number;
  /** `--shards`: a count, or (live mode) `'auto'`, the count `GET /gateway/bot` recommends. */
  shards: number | 'auto';
  /** Stop by itself after this long; `undefined` runs until SIGINT/SIGTERM (`--duration 0`). */
  durationMs: number | undefined;
  verbose: boolean;
  /** Machine-readable output: the demo's summary as JSON; in live mode, status and summary as JSON lines on stderr. */
  json: boolean;
}

export interface DemoConfig extends CommonConfig {
  mode: 'demo';
  /** The embedded fake has no recommendation worth reading: a count. */
  shards: number;
  /** `--webhook`: the fake POSTs signed callbacks to a webhook listener instead of using the gateway. */
  webhook: boolean;
  ratePerSec: number;
  /** Kill a worker at this interval; `undefined` = no chaos (`--chaos 0`). */
  chaosMs: number | undefined;
  /** `--bots`: connectors in this process, each its own bot of the fake, sharing the thread pool. */
  bots: number;
}

/** Where the secret comes from. A plain argument is never one of them. */
export type SecretSource = { from: 'env'; value: string } | { from: 'file'; path: string };

export interface LiveConfig extends CommonConfig {
  mode: 'live';
  appId: string;
  secret: SecretSource;
  endpoints: { token?: string; api?: string };
  /** `--transport webhook --port N`: listen for the platform's HTTP callbacks; `null` for the gateway. */
  webhook: { port: number } | null;
}

export type CliCommand = { mode: 'help' } | { mode: 'version' } | DemoConfig | LiveConfig;

/** The flags that name the bot and the platform: live mode's, and the doctor's. */
export const PLATFORM_FLAGS = {
  'app-id': { type: 'string' },
  'secret-file': { type: 'string' },
  sandbox: { type: 'boolean' },
  'api-url': { type: 'string' },
  'token-url': { type: 'string' },
} as const;

interface PlatformValues {
  'app-id'?: string | undefined;
  'secret-file'?: string | undefined;
  sandbox?: boolean | undefined;
  'api-url'?: string | undefined;
  'token-url'?: string | undefined;
}

/** The app id and where the secret comes from: the flags, else the environment. */
export function credentialsFrom(
  values: PlatformValues,
  env: NodeJS.ProcessEnv,
): { appId: string | undefined; secret: SecretSource | undefined } {
  const secretFile = values['secret-file'];
  const envSecret = envValue(env, 'QQBOT_SECRET');
  return {
    appId: values['app-id'] ?? envValue(env, 'QQBOT_APP_ID'),
    secret:
      secretFile !== undefined
        ? { from: 'file', path: secretFile }
        : envSecret !== undefined
          ? { from: 'env', value: envSecret }
          : undefined,
  };
}

/** The endpoint overrides: `--sandbox`, `--api-url`, `--token-url`, else the environment; unset ones are left out. */
export function endpointsFrom(values: PlatformValues, env: NodeJS.ProcessEnv): { token?: string; api?: string } {
  if (values.sandbox === true && values['api-url'] !== undefined)
    throw new UsageError('--sandbox and --api-url both set the API origin: use one');
  const api =
    values.sandbox === true
      ? SANDBOX_API_URL
      : (httpUrl('--api-url', values['api-url']) ?? httpUrl('QQBOT_API_URL', envValue(env, 'QQBOT_API_URL')));
  const token =
    httpUrl('--token-url', values['token-url']) ?? httpUrl('QQBOT_TOKEN_URL', envValue(env, 'QQBOT_TOKEN_URL'));
  return { ...(api === undefined ? {} : { api }), ...(token === undefined ? {} : { token }) };
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  demo: { type: 'boolean' },
  ...PLATFORM_FLAGS,
  intents: { type: 'string' },
  shards: { type: 'string' },
  bots: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  chaos: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  webhook: { type: 'boolean' },
  transport: { type: 'string' },
  port: { type: 'string' },
} as const;

const DEMO_ONLY = ['rate', 'chaos', 'webhook', 'bots'] as const;
/** Most bots the demo runs in one process (`--bots`). */
export const MAX_DEMO_BOTS = 1_000;
const LIVE_ONLY = ['sandbox', 'api-url', 'token-url', 'transport', 'port'] as const;
/** The webhook listener's port when `--port` is not given (one the platform calls). */
export const DEFAULT_WEBHOOK_PORT = 8443;

function liveWebhook(transport: string | undefined, port: string | undefined): { port: number } | null {
  if (transport !== undefined && transport !== 'websocket' && transport !== 'webhook') {
    throw new UsageError(`--transport expects websocket or webhook, got '${transport}'`);
  }
  if (transport !== 'webhook') {
    if (port !== undefined) throw new UsageError('--port applies to --transport webhook only');
    return null;
  }
  return { port: number('port', port, { min: 0, max: 65_535, integer: true }) ?? DEFAULT_WEBHOOK_PORT };
}

/** Empty environment variables count as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function number(
  flag: string,
  text: string | undefined,
  { min, max, integer }: { min: number; max: number; integer: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(text);
  if (!pattern.test(text.trim()) || !Number.isFinite(value)) {
    throw new UsageError(`--${flag} expects ${integer ? 'an integer' : 'a number'}, got '${text}'`);
  }
  if (value < min || value > max) throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${text}`);
  return value;
}

export function httpUrl(source: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${source} expects an absolute http(s) URL, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${source} expects an http(s) URL, got '${text}'`);
  return text;
}

/** A secret must never be typed on the command line (shell history, `ps`): refuse it before parsing. */
export function refuseSecretArgument(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    if (arg === '--secret' || arg.startsWith('--secret=')) {
      throw new UsageError(
        '--secret is not accepted: a secret on the command line leaks into shell history and `ps`. Set QQBOT_SECRET or pass --secret-file <path>',
      );
    }
  }
}

/** An unknown `--flag` is refused with the nearest known one, as an unknown option key is (`--durations`). */
export function refuseUnknownFlags(argv: readonly string[], known: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0] ?? '';
    if (known.includes(name)) continue;
    const near = closestKey(name, known);
    throw new UsageError(
      `unknown option --${name}${near === undefined ? '' : `; did you mean --${near}?`} (see --help)`,
    );
  }
}

/** parseArgs' own errors as a {@link UsageError}; anything else is thrown on. */
export function throwUsageError(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  // Node's own message echoes the positional; it could be a pasted secret, so say it without the value.
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    throw new UsageError('unexpected argument: qqbot-connector takes only --flags (see --help)');
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
    throw new UsageError(`${(err as Error).message} (see --help)`);
  throw err;
}

function parse(argv: readonly string[]) {
  refuseUnknownFlags(argv, Object.keys(OPTIONS));
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return throwUsageError(err);
  }
}

/**
 * Turns `argv` (without `node` and the script) and the environment into one command, or throws
 * {@link UsageError}. Pure: reads no files; a `--secret-file` is read by live mode.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  refuseSecretArgument(argv);
  const values = parse(argv);
  if (values.help === true) return { mode: 'help' };
  if (values.version === true) return { mode: 'version' };

  let intents: number;
  try {
    intents = parseIntents(values.intents ?? DEFAULT_INTENTS);
  } catch (err) {
    if (err instanceof IntentsError) throw new UsageError(err.message);
    throw err;
  }
  const durationS = number('duration', values.duration, { min: 0, max: 31_536_000, integer: false });
  const common: CommonConfig = {
    intents,
    shards:
      values.shards === 'auto'
        ? 'auto'
        : (number('shards', values.shards, { min: 1, max: MAX_SHARDS, integer: true }) ?? 1),
    durationMs: durationS === undefined || durationS === 0 ? undefined : Math.max(1, Math.round(durationS * 1000)),
    verbose: values.verbose === true,
    json: values.json === true,
  };

  const { appId, secret } = credentialsFrom(values, env);
  const live = values.demo !== true && (appId !== undefined || secret !== undefined);

  if (!live) {
    const used = LIVE_ONLY.filter((flag) => values[flag] !== undefined);
    if (used.length > 0) {
      throw new UsageError(
        `--${used[0]} needs live mode: set QQBOT_APP_ID and QQBOT_SECRET (or --app-id and --secret-file)${values.demo === true ? ', without --demo' : ''}`,
      );
    }
    const chaosMs = number('chaos', values.chaos, { min: 0, max: 3_600_000, integer: true }) ?? DEFAULT_CHAOS_MS;
    if (chaosMs > 0 && chaosMs < 10)
      throw new UsageError(`--chaos must be 0 (no kills) or between 10 and 3600000, got ${values.chaos ?? ''}`);
    if (common.shards === 'auto')
      throw new UsageError(
        '--shards auto needs live mode (the count GET /gateway/bot recommends); give the demo a count',
      );
    const bots = number('bots', values.bots, { min: 1, max: MAX_DEMO_BOTS, integer: true }) ?? 1;
    if (bots > 1 && values.webhook === true)
      throw new UsageError('--bots with --webhook: the fake calls back one listener; run one bot');
    return {
      mode: 'demo',
      ...common,
      shards: common.shards,
      durationMs: values.duration === undefined ? DEFAULT_DEMO_DURATION_S * 1000 : common.durationMs,
      webhook: values.webhook === true,
      ratePerSec: number('rate', values.rate, { min: 1, max: 100_000, integer: false }) ?? DEFAULT_RATE_PER_SEC,
      chaosMs: chaosMs === 0 ? undefined : chaosMs,
      bots,
    };
  }

  const used = DEMO_ONLY.filter((flag) => values[flag] !== undefined);
  if (used.length > 0) throw new UsageError(`--${used[0]} applies to demo mode only (no credentials, or --demo)`);
  if (appId === undefined) throw new UsageError('a secret was given but no app id: set QQBOT_APP_ID or pass --app-id');
  if (secret === undefined)
    throw new UsageError('an app id was given but no secret: set QQBOT_SECRET or pass --secret-file <path>');
  const endpoints = endpointsFrom(values, env);
  return {
    mode: 'live',
    ...common,
    appId,
    secret,
    endpoints,
    webhook: liveWebhook(values.transport, values.port),
  };
}
