import { parseArgs } from 'node:util';
import { DEFAULT_INTENTS, IntentsError, parseIntents } from '../intents.js';
import {
  credentialsFrom,
  endpointsFrom,
  envValue,
  PLATFORM_FLAGS,
  refuseSecretArgument,
  refuseUnknownFlags,
  throwUsageError,
  UsageError,
  type SecretSource,
} from '../args.js';

/** `qqbot-connector doctor …`: what to check. Credentials may be missing: the doctor reports that as a failed check. */
export interface DoctorConfig {
  mode: 'doctor';
  appId: string | undefined;
  secret: SecretSource | undefined;
  endpoints: { token?: string; api?: string };
  sandbox: boolean;
  /** The intents a gateway bot will ask for; `undefined` for a webhook bot that gave none (the console chooses its events). */
  intents: number | undefined;
  /** `--private`: the bot is a private (私域) bot, so private-only intents are fine. */
  privateBot: boolean;
  /** `--webhook-url`, and `--connect-to` to reach it at another address. */
  webhook: { url: URL; connectTo: { host: string; port: number } | undefined } | null;
  json: boolean;
  /** NODE_EXTRA_CA_CERTS, if set: certificates it adds are trusted here, not by the platform. */
  extraCaCerts: string | undefined;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  ...PLATFORM_FLAGS,
  intents: { type: 'string' },
  private: { type: 'boolean' },
  'webhook-url': { type: 'string' },
  'connect-to': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `--intents`: names as everywhere else, or the number a bot's configuration holds (`1107296256`, `0x42000000`). */
function intentBits(text: string): number {
  const trimmed = text.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(trimmed)) {
    const value = Number(trimmed);
    if (value > 0xffff_ffff) throw new UsageError(`--intents ${trimmed} is more than 32 bits`);
    return value;
  }
  try {
    return parseIntents(trimmed);
  } catch (err) {
    if (err instanceof IntentsError) throw new UsageError(err.message);
    throw err;
  }
}

function webhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--webhook-url expects an absolute URL such as https://bot.example.com/qqbot, got '${text}'`);
  }
  // An http:// URL is a failed check, not a usage error: the doctor says why the platform will not call it.
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--webhook-url expects an http(s) URL, got '${text}'`);
  return url;
}

/** `host:port` or `[v6]:port`. */
function connectTo(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`--connect-to expects host:port (e.g. 127.0.0.1:8443), got '${text}'`);
  }
  return { host, port };
}

/** `argv` after `doctor`. Pure: reads no files. */
export function parseDoctor(argv: readonly string[], env: NodeJS.ProcessEnv): DoctorConfig | { mode: 'doctor-help' } {
  refuseSecretArgument(argv);
  refuseUnknownFlags(argv, Object.keys(OPTIONS));
  let values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throwUsageError(err);
  }
  if (values.help === true) return { mode: 'doctor-help' };
  if (values['connect-to'] !== undefined && values['webhook-url'] === undefined)
    throw new UsageError('--connect-to applies to --webhook-url only');

  const webhook =
    values['webhook-url'] === undefined
      ? null
      : {
          url: webhookUrl(values['webhook-url']),
          connectTo: values['connect-to'] === undefined ? undefined : connectTo(values['connect-to']),
        };
  return {
    mode: 'doctor',
    ...credentialsFrom(values, env),
    endpoints: endpointsFrom(values, env),
    sandbox: values.sandbox === true,
    intents:
      values.intents !== undefined
        ? intentBits(values.intents)
        : webhook === null
          ? parseIntents(DEFAULT_INTENTS)
          : undefined,
    privateBot: values.private === true,
    webhook,
    json: values.json === true,
    extraCaCerts: envValue(env, 'NODE_EXTRA_CA_CERTS'),
  };
}
