import { createSecureContext } from 'node:tls';
import { invalidOption } from '../../errors.js';
import { integerOption, isObject, nonEmptyString, optionKeys, rejectUnknownKeys } from '../../validation.js';

/** The platform's HTTP callback (docs/webhook.md). */
export interface WebhookTransportOptions {
  kind: 'webhook';
  /**
   * The port to listen on; `0` picks a free one (see `bot.webhookAddress()`). The platform calls only 80, 443,
   * 8080 and 8443: behind a reverse proxy, any port the proxy forwards to.
   * @defaultValue `8443`
   */
  port?: number;
  /**
   * The address to listen on. The default suits a reverse proxy on the same machine; `'0.0.0.0'` accepts
   * callbacks from anywhere (then give `tls`).
   * @defaultValue `'127.0.0.1'`
   */
  host?: string;
  /**
   * The callback path set in the QQ console; every other path is answered 404.
   * @defaultValue `'/qqbot'`
   */
  path?: string;
  /** PEM key and certificate for HTTPS; without it the listener speaks plain HTTP (behind a TLS proxy). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Larger request bodies are refused with 413, and never read past this size.
   * @defaultValue `1_048_576` (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Requests whose `X-Signature-Timestamp` is further than this from now are refused (replay protection).
   * @defaultValue `300_000` (5 min)
   */
  timestampWindowMs?: number;
  /**
   * Verified requests (past their body) past this many in flight are answered 503 at once.
   * @defaultValue `256`
   */
  maxConcurrentRequests?: number;
  /**
   * Requests still sending their body, kept apart from the verified ones so slow or unsigned traffic cannot take
   * their slots: past this many, the oldest pending request of the address holding the most is dropped with 408.
   * @defaultValue `64`
   */
  maxUnverifiedRequests?: number;
  /**
   * The body must arrive within this long after the headers, else 408 and the connection is closed. The
   * platform sends a callback whole; behind a proxy, let it buffer request bodies (docs/webhook.md).
   * @defaultValue `3_000`
   */
  bodyTimeoutMs?: number;
  /**
   * An event the host has not taken within this long is answered 503, so the platform delivers it again.
   * @defaultValue `5_000`
   */
  deliverTimeoutMs?: number;
  /**
   * On close or restart, requests in flight get this long to be answered before their sockets are closed.
   * @defaultValue `5_000`
   */
  drainMs?: number;
  /**
   * How long `start()` keeps trying to bind the first time. Each failure (`EADDRINUSE`: another process holds the
   * port; `EACCES`: a privileged port) reaches `'error'` at once as `QQBOT_WEBHOOK_LISTEN_FAILED` with the address,
   * and is retried with backoff; still failing after this long, `start()` rejects with it. Once bound, a later
   * failure to bind again (after a restart) is retried for as long as it lasts.
   * @defaultValue `10_000`
   */
  startTimeoutMs?: number;
}

export const DEFAULT_WEBHOOK = {
  port: 8443,
  host: '127.0.0.1',
  path: '/qqbot',
  maxBodyBytes: 1024 * 1024,
  timestampWindowMs: 5 * 60_000,
  maxConcurrentRequests: 256,
  maxUnverifiedRequests: 64,
  bodyTimeoutMs: 3_000,
  deliverTimeoutMs: 5_000,
  drainMs: 5_000,
  startTimeoutMs: 10_000,
} as const satisfies Omit<Required<WebhookTransportOptions>, 'kind' | 'tls'>;

/** The webhook transport after validation, every default filled in; the TLS pair as PEM text. */
export interface ResolvedWebhookTransport {
  kind: 'webhook';
  port: number;
  host: string;
  path: string;
  tls: { key: string; cert: string } | null;
  maxBodyBytes: number;
  timestampWindowMs: number;
  maxConcurrentRequests: number;
  maxUnverifiedRequests: number;
  bodyTimeoutMs: number;
  deliverTimeoutMs: number;
  drainMs: number;
  startTimeoutMs: number;
}

const WEBHOOK_KEYS = optionKeys<WebhookTransportOptions>({
  kind: true,
  port: true,
  host: true,
  path: true,
  tls: true,
  maxBodyBytes: true,
  timestampWindowMs: true,
  maxConcurrentRequests: true,
  maxUnverifiedRequests: true,
  bodyTimeoutMs: true,
  deliverTimeoutMs: true,
  drainMs: true,
  startTimeoutMs: true,
});
const TLS_KEYS = ['key', 'cert'] as const;

function pem(name: string, value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return nonEmptyString(name, value);
}

/** Checks the TLS pair now, on the main thread, so a bad one fails at construction and not in a worker. */
function resolveTls(value: unknown): { key: string; cert: string } | null {
  if (value === undefined) return null;
  if (!isObject(value)) throw invalidOption('Expected `transport.tls` to be an object with key and cert');
  rejectUnknownKeys('transport.tls', value, TLS_KEYS);
  const tls = { key: pem('transport.tls.key', value.key), cert: pem('transport.tls.cert', value.cert) };
  try {
    createSecureContext(tls);
  } catch {
    // The key's text is never part of the message.
    throw invalidOption('Expected `transport.tls` to be a PEM key and a matching PEM certificate');
  }
  return tls;
}

export function resolveWebhookTransport(t: Record<string, unknown>): ResolvedWebhookTransport {
  rejectUnknownKeys('transport', t, WEBHOOK_KEYS);
  const path = t.path === undefined ? DEFAULT_WEBHOOK.path : nonEmptyString('transport.path', t.path);
  if (!path.startsWith('/') || path.includes('?')) throw invalidOption('Expected `transport.path` to start with / and have no query');
  return {
    kind: 'webhook',
    port: integerOption('transport.port', t.port, DEFAULT_WEBHOOK.port, 0, 65_535),
    host: t.host === undefined ? DEFAULT_WEBHOOK.host : nonEmptyString('transport.host', t.host),
    path,
    tls: resolveTls(t.tls),
    maxBodyBytes: integerOption('transport.maxBodyBytes', t.maxBodyBytes, DEFAULT_WEBHOOK.maxBodyBytes, 1_024),
    timestampWindowMs: integerOption('transport.timestampWindowMs', t.timestampWindowMs, DEFAULT_WEBHOOK.timestampWindowMs, 1_000),
    maxConcurrentRequests: integerOption('transport.maxConcurrentRequests', t.maxConcurrentRequests, DEFAULT_WEBHOOK.maxConcurrentRequests, 1),
    maxUnverifiedRequests: integerOption('transport.maxUnverifiedRequests', t.maxUnverifiedRequests, DEFAULT_WEBHOOK.maxUnverifiedRequests, 1),
    bodyTimeoutMs: integerOption('transport.bodyTimeoutMs', t.bodyTimeoutMs, DEFAULT_WEBHOOK.bodyTimeoutMs, 100),
    deliverTimeoutMs: integerOption('transport.deliverTimeoutMs', t.deliverTimeoutMs, DEFAULT_WEBHOOK.deliverTimeoutMs, 1),
    drainMs: integerOption('transport.drainMs', t.drainMs, DEFAULT_WEBHOOK.drainMs, 0),
    startTimeoutMs: integerOption('transport.startTimeoutMs', t.startTimeoutMs, DEFAULT_WEBHOOK.startTimeoutMs, 0),
  };
}

export type TransportOptions = { kind: 'websocket' } | WebhookTransportOptions;
export type ResolvedTransport = { kind: 'websocket' } | ResolvedWebhookTransport;

/** The `transport` option: `{ kind: 'websocket' }` (the default) or a webhook listener. */
export function resolveTransport(value: unknown): ResolvedTransport {
  if (value === undefined) return { kind: 'websocket' };
  if (!isObject(value)) throw invalidOption('Expected `transport` to be an object with a kind');
  if (value.kind === 'websocket') {
    rejectUnknownKeys('transport', value, ['kind']);
    return { kind: 'websocket' };
  }
  if (value.kind === 'webhook') return resolveWebhookTransport(value);
  throw invalidOption("Expected `transport.kind` to be 'websocket' or 'webhook'");
}
