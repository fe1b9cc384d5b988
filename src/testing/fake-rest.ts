import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the REST fake needs from the server that hosts it. */
export interface FakeRestContext {
  /** True when `token` (without the `QQBot ` prefix) was issued by the fake token endpoint and has not expired. */
  isValidToken(token: string): boolean;
  /** The fake's clock (ms), controllable in tests. */
  now(): number;
}

/**
 * The OpenAPI routes of {@link FakeQQServer} (`/v2/groups/…`, `/v2/users/…`, `/channels/…`, `/dms/…`,
 * `/interactions/…`, `/users/@me`). Placeholder until the REST fake lands: it handles nothing.
 */
export class FakeRestApi {
  constructor(readonly context: FakeRestContext) {}

  /** Handles the request and returns true, or returns false to let the server answer 404. */
  handle(_req: IncomingMessage, _res: ServerResponse, _url: URL, _body: string): boolean {
    return false;
  }
}
