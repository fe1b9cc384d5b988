import { ErrorCodes, QQBotError } from '../errors.js';
import type { ReplyStore } from '../replies/passive-reply.js';

/** Failures of the shared store are reported at most this often. */
const REPORT_MS = 10_000;

/**
 * A shared {@link ReplyStore} that never blocks a reply: while it does not answer, counts are kept in this
 * process (reported as `QQBOT_STORE_UNAVAILABLE`, at most every 10 s). A reply counted locally may repeat a
 * `msg_seq` another process spent on the same message, which the platform then refuses — that one reply,
 * where failing every reply during the outage would lose them all.
 */
export function withLocalFallback(
  shared: ReplyStore,
  report: (error: QQBotError) => void,
  now: () => number = Date.now,
): ReplyStore {
  const local = new Map<string, { spent: number; expiresAt: number }>();
  let reportedAt = Number.NEGATIVE_INFINITY;
  return {
    async spend(key: string, expiresAt: number): Promise<number> {
      try {
        return await shared.spend(key, expiresAt);
      } catch (err) {
        const at = now();
        for (const [k, entry] of local) if (entry.expiresAt <= at) local.delete(k);
        const entry = local.get(key) ?? { spent: 0, expiresAt };
        entry.spent += 1;
        local.set(key, entry);
        if (at - reportedAt >= REPORT_MS) {
          reportedAt = at;
          report(
            new QQBotError(
              ErrorCodes.STORE_UNAVAILABLE,
              'the reply store did not answer: reply counts are kept in this process until it does',
              { retryable: true, cause: err },
            ),
          );
        }
        return entry.spent;
      }
    },
  };
}
