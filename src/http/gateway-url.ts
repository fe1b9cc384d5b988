import { ErrorCodes, QQBotError } from '../errors.js';

/**
 * Which gateway URLs may receive the access token (RESUME and IDENTIFY carry it). A URL comes from a store a
 * third party may be able to write, or from `/gateway/bot`: either way it is untrusted input. Allowed are
 * - `wss:` on the platform's domain, `qq.com` or a subdomain of it (`wss://api.sgroup.qq.com/websocket/`);
 * - the origin of `endpoints.api` itself (same host and port; `ws:` for an `http:` API, `wss:` for `https:`),
 *   which receives the token with every REST call already: what a FakeQQServer or a proxy in tests answers.
 * See docs/webhook.md, "Threat model".
 */
const PLATFORM_DOMAIN = 'qq.com';
const SOCKET_SCHEME: Readonly<Record<string, string>> = { 'http:': 'ws:', 'https:': 'wss:' };

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

export function gatewayUrlAllowed(url: string, apiBase: string): boolean {
  const gateway = parse(url);
  if (gateway === null || gateway.username !== '' || gateway.password !== '') return false;
  const host = gateway.hostname.toLowerCase();
  if (gateway.protocol === 'wss:' && (host === PLATFORM_DOMAIN || host.endsWith(`.${PLATFORM_DOMAIN}`))) return true;
  const api = parse(apiBase);
  return api !== null && gateway.protocol === SOCKET_SCHEME[api.protocol] && gateway.host === api.host;
}

/** Where a refused URL came from: a stored checkpoint, or the answer of `/gateway/bot`. */
export type GatewayUrlSource = 'checkpoint' | 'gateway/bot';

/** The report of a refused URL: its host (capped, as the URL parser spells it) and never the rest of it. */
export function gatewayUrlRefused(source: GatewayUrlSource, url: string, what: string): QQBotError {
  const host = (parse(url)?.host ?? 'not a URL').slice(0, 100);
  return new QQBotError(
    ErrorCodes.GATEWAY_URL_REFUSED,
    `${what}: the gateway URL from ${source} (host ${host}) is not allowed the token; not used`,
    {
      details: { source, host },
    },
  );
}
