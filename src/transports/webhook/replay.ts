import { createHash } from 'node:crypto';

/**
 * What makes two requests copies of one callback, and how long that must be remembered (docs/webhook.md
 * "Redeliveries and replays"). A replay — a captured request sent again, to this process or another — is
 * signed with the same timestamp and signature as the original; a redelivery by the platform carries the same
 * event id. So a callback is known by its event id, or, for one without an id, by the hash of its timestamp
 * and signature (which covers its body); the key is kept until the timestamp check alone would refuse a
 * replay, and at least a window past now (a redelivery comes later than the original).
 */

/** `e:<id>`, or `r:<hash>` for a dispatch without an id. */
export function callbackKey(id: string | undefined, timestamp: string, signatureHex: string): string {
  if (id !== undefined) return `e:${id}`;
  return `r:${createHash('sha256').update(timestamp).update(':').update(signatureHex.toLowerCase()).digest('base64url').slice(0, 22)}`;
}

/** Epoch ms until which a callback signed at `timestamp` (unix seconds) and accepted at `now` is remembered. */
export function rememberUntil(now: number, timestamp: string, windowMs: number): number {
  return Math.max(now, Number(timestamp) * 1000) + windowMs;
}
