import { ErrorCodes, QQBotError } from '../errors.js';

/** This process no longer holds `shard` (`QQBOT_LEASE_LOST`, retryable): it stopped the shard. */
export function leaseLost(shard: number, why: string): QQBotError {
  return new QQBotError(
    ErrorCodes.LEASE_LOST,
    `shard ${shard}: this process lost its lease (${why}) and stopped the shard`,
    {
      retryable: true,
      details: { shard, why },
    },
  );
}

/** A checkpoint write from a process that does not hold the shard: refused, never written. */
export function notHeld(shard: number): QQBotError {
  return new QQBotError(
    ErrorCodes.LEASE_LOST,
    `shard ${shard}: this process does not hold the lease; the checkpoint was not written`,
    {
      retryable: true,
      details: { shard, why: 'not held' },
    },
  );
}
