import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from './fake-http.js';
import type { ResolvedFakeOptions } from './fake-options.js';

/**
 * The fake's access tokens: `POST /app/getAppAccessToken` issues a new one for each known app pair, and the
 * gateway and the REST routes accept exactly the tokens issued here that have not expired on the fake's clock.
 * Internal to the testing kit.
 * @internal
 * @module
 */

const AUTH_PREFIX = 'QQBot ';

export class FakeTokens {
  readonly #tokens = new Map<string, { expiresAt: number; appId: string }>();

  constructor(private readonly options: ResolvedFakeOptions) {}

  /** True when `token` (without the `QQBot ` prefix) was issued here and has not expired. */
  isValid(token: string): boolean {
    const issued = this.#tokens.get(token);
    return issued !== undefined && this.options.now() < issued.expiresAt;
  }

  /** True for `"QQBot <token>"` with a valid token. */
  validAuth(value: string | undefined): boolean {
    return value !== undefined && value.startsWith(AUTH_PREFIX) && this.isValid(value.slice(AUTH_PREFIX.length));
  }

  /** The app a `"QQBot <token>"` was issued to (`''` when none). */
  appOf(value: string): string {
    return this.#tokens.get(value.slice(AUTH_PREFIX.length))?.appId ?? '';
  }

  /** Answers a token request: a new token for a known `{appId, clientSecret}`, HTTP 200 + 100016 for another. */
  answer(res: ServerResponse, body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { code: 400, message: 'invalid json body' });
    }
    const pair = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const { appId, secret, apps, tokenTtlSeconds, now } = this.options;
    if (![{ appId, secret }, ...apps].some((app) => pair.appId === app.appId && pair.clientSecret === app.secret)) {
      return sendJson(res, 200, { code: 100016, message: 'invalid appid or secret' });
    }
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, { expiresAt: now() + tokenTtlSeconds * 1000, appId: pair.appId as string });
    sendJson(res, 200, { access_token: token, expires_in: String(tokenTtlSeconds) });
  }
}
