import { createSecureContext } from 'node:tls';
import { invalidOption } from '../../errors.js';
import {
  custom,
  defaultsOf,
  integer,
  literal,
  resolve,
  text,
  type Field,
  type OptionsOf,
  type ResolvedOf,
} from '../../options/schema.js';
import { isObject, nonEmptyString } from '../../options/checks.js';

/** The listener's settings, each with its default: the part of the webhook options that needs nothing given. */
const LISTENER = {
  /**
   * The port to listen on; `0` picks a free one (see `bot.webhookAddress()`). The platform calls only 80, 443,
   * 8080 and 8443: behind a reverse proxy, any port the proxy forwards to.
   * @defaultValue `8443`
   */
  port: integer({ default: 8443, min: 0, max: 65_535 }),
  /**
   * The address to listen on. The default suits a reverse proxy on the same machine; `'0.0.0.0'` accepts
   * callbacks from anywhere (then give `tls`).
   * @defaultValue `'127.0.0.1'`
   */
  host: text({ default: '127.0.0.1' }),
  /**
   * The callback path set in the QQ console; every other path is answered 404.
   * @defaultValue `'/qqbot'`
   */
  path: text({ default: '/qqbot' }),
  /**
   * Larger request bodies are refused with 413, and never read past this size.
   * @defaultValue `1_048_576` (1 MiB)
   */
  maxBodyBytes: integer({ default: 1024 * 1024, min: 1_024 }),
  /**
   * Requests whose `X-Signature-Timestamp` is further than this from now are refused (replay protection).
   * @defaultValue `300_000` (5 min)
   */
  timestampWindowMs: integer({ default: 5 * 60_000, min: 1_000 }),
  /**
   * Verified requests (past their body) past this many in flight are answered 503 at once.
   * @defaultValue `256`
   */
  maxConcurrentRequests: integer({ default: 256, min: 1 }),
  /**
   * Requests still sending their body, kept apart from the verified ones so slow or unsigned traffic cannot take
   * their slots: past this many, the oldest pending request of the address holding the most is dropped with 408.
   * @defaultValue `64`
   */
  maxUnverifiedRequests: integer({ default: 64, min: 1 }),
  /**
   * The body must arrive within this long after the headers, else 408 and the connection is closed. The
   * platform sends a callback whole; behind a proxy, let it buffer request bodies (docs/webhook.md).
   * @defaultValue `3_000`
   */
  bodyTimeoutMs: integer({ default: 3_000, min: 100 }),
  /**
   * An event the host has not taken within this long is answered 503, so the platform delivers it again.
   * @defaultValue `5_000`
   */
  deliverTimeoutMs: integer({ default: 5_000, min: 1 }),
  /**
   * On close or restart, requests in flight get this long to be answered before their sockets are closed.
   * @defaultValue `5_000`
   */
  drainMs: integer({ default: 5_000, min: 0 }),
  /**
   * How long `start()` keeps trying to bind the first time. Each failure (`EADDRINUSE`: another process holds the
   * port; `EACCES`: a privileged port) reaches `'error'` at once as `QQBOT_WEBHOOK_LISTEN_FAILED` with the address,
   * and is retried with backoff; still failing after this long, `start()` rejects with it. Once bound, a later
   * failure to bind again (after a restart) is retried for as long as it lasts.
   * @defaultValue `10_000`
   */
  startTimeoutMs: integer({ default: 10_000, min: 0 }),
};

export const DEFAULT_WEBHOOK: Readonly<ResolvedOf<typeof LISTENER>> = Object.freeze(defaultsOf(LISTENER));

/** The platform's HTTP callback (docs/webhook.md). */
const WEBHOOK = {
  kind: literal('webhook'),
  /** PEM key and certificate for HTTPS; without it the listener speaks plain HTTP (behind a TLS proxy). */
  tls: custom<{ key: string | Buffer; cert: string | Buffer }, { key: string; cert: string } | null>(resolveTls, {
    default: null,
  }),
  ...LISTENER,
};

/** The platform's HTTP callback (docs/webhook.md). */
export type WebhookTransportOptions = OptionsOf<typeof WEBHOOK>;
/** The webhook transport after validation, every default filled in; the TLS pair as PEM text. */
export type ResolvedWebhookTransport = ResolvedOf<typeof WEBHOOK>;

/** A PEM text, given as a string or a Buffer; required. */
function pem(): Field<string | Buffer, string> & { readonly required: true } {
  return {
    required: true,
    resolve(value, path) {
      return Buffer.isBuffer(value) ? value.toString('utf8') : nonEmptyString(path, value);
    },
  };
}

const TLS = { key: pem(), cert: pem() };

/** Checks the TLS pair now, on the main thread, so a bad one fails at construction and not in a worker. */
function resolveTls(value: unknown, path: string): { key: string; cert: string } {
  const tls = resolve(TLS, value, path);
  try {
    createSecureContext(tls);
  } catch {
    // The key's text is never part of the message.
    throw invalidOption(`Expected \`${path}\` to be a PEM key and a matching PEM certificate`);
  }
  return tls;
}

export function resolveWebhookTransport(value: Record<string, unknown>): ResolvedWebhookTransport {
  const webhook = resolve(WEBHOOK, value, 'transport');
  if (!webhook.path.startsWith('/') || webhook.path.includes('?'))
    throw invalidOption('Expected `transport.path` to start with / and have no query');
  return webhook;
}

/** The gateway over WebSocket: nothing to set. */
const WEBSOCKET = { kind: literal('websocket') };

export type TransportOptions = { kind: 'websocket' } | WebhookTransportOptions;
export type ResolvedTransport = { kind: 'websocket' } | ResolvedWebhookTransport;

/** The `transport` option: `{ kind: 'websocket' }` (the default) or a webhook listener. */
export function resolveTransport(value: unknown): ResolvedTransport {
  if (value === undefined) return { kind: 'websocket' };
  if (!isObject(value)) throw invalidOption('Expected `transport` to be an object with a kind');
  if (value.kind === 'websocket') {
    return resolve(WEBSOCKET, value, 'transport');
  }
  if (value.kind === 'webhook') return resolveWebhookTransport(value);
  throw invalidOption("Expected `transport.kind` to be 'websocket' or 'webhook'");
}
