/** The `Authorization` header value for an access token. */
export function authorization(accessToken: string): string {
  return `QQBot ${accessToken}`;
}
