import type { KeyObject } from 'node:crypto';
import { postCallback, type CallbackAnswer } from '../../src/testing/callback-post.js';
import { WebhookListener, type WebhookTls } from '../../src/transports/webhook/listener.js';
import {
  WebhookRequestHandler,
  type WebhookChecks,
  type WebhookDispatch,
  type WebhookRequestHost,
} from '../../src/transports/webhook/request-handler.js';
import { answerValidation, signWebhook, webhookKeyPair } from '../../src/transports/webhook/signature.js';

export const APP_ID = '102000001';
export const SECRET = 'DG5g3B4j9X2KOErG';
export const KEYS = webhookKeyPair(SECRET);

export function nowSeconds(offsetMs = 0): string {
  return String(Math.floor((Date.now() + offsetMs) / 1000));
}

/** The platform's headers for `body`, signed with `privateKey` at `timestamp`. */
export function signedHeaders(
  body: string,
  options: { timestamp?: string; privateKey?: KeyObject; appId?: string } = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? nowSeconds();
  return {
    'x-signature-ed25519': signWebhook(options.privateKey ?? KEYS.privateKey, timestamp, body),
    'x-signature-timestamp': timestamp,
    'x-bot-appid': options.appId ?? APP_ID,
    'user-agent': 'QQBot-Callback',
  };
}

let nextEvent = 0;
export function dispatchBody(id = `evt-${nextEvent++}`, type = 'C2C_MESSAGE_CREATE'): string {
  return JSON.stringify({
    op: 0,
    id,
    t: type,
    d: { id: `msg-${id}`, content: 'hello', author: { user_openid: 'U1' } },
  });
}

export const DEFAULT_CHECKS: Omit<WebhookChecks, 'publicKey'> = {
  appId: APP_ID,
  path: '/qqbot',
  maxBodyBytes: 1024 * 1024,
  timestampWindowMs: 5 * 60_000,
  maxConcurrentRequests: 256,
  maxUnverifiedRequests: 64,
  bodyTimeoutMs: 3_000,
  deliverTimeoutMs: 5_000,
};

export interface Served {
  url: URL;
  handler: WebhookRequestHandler;
  listener: WebhookListener;
  delivered: WebhookDispatch[];
  post(body: string | Buffer, headers: Record<string, string>, path?: string): Promise<CallbackAnswer>;
}

/** A listener on 127.0.0.1:0 whose host signs with {@link KEYS} and records what is delivered. */
export async function serve(
  options: { checks?: Partial<WebhookChecks>; host?: Partial<WebhookRequestHost>; tls?: WebhookTls } = {},
): Promise<Served> {
  const delivered: WebhookDispatch[] = [];
  const handler = new WebhookRequestHandler(
    { ...DEFAULT_CHECKS, publicKey: KEYS.publicKey, ...options.checks },
    {
      signValidation: (request) => answerValidation(KEYS.privateKey, request).signature,
      deliver: (dispatch) => void delivered.push(dispatch),
      ...options.host,
    },
  );
  const listener = await WebhookListener.listen({ host: '127.0.0.1', port: 0, tls: options.tls }, handler);
  const url = new URL(`${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${listener.address().port}/qqbot`);
  const ca = options.tls?.cert;
  return {
    url,
    handler,
    listener,
    delivered,
    post: (body, headers, path) =>
      postCallback(path === undefined ? url : new URL(path, url), body, {
        headers,
        timeoutMs: 10_000,
        ...(ca === undefined ? {} : { ca }),
      }),
  };
}
