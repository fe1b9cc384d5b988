import { randomBytes } from 'node:crypto';
import { IDENTIFY_WINDOW_MS } from '../protocol/payloads.js';
import { pause, type RedisConnection } from './redis-connection.js';
import type { FleetIdentifyGate, IdentifySlot } from './session-store.js';

/**
 * Takes a place in the window if there is one. Redis's own clock (TIME) is the only clock, so processes on
 * hosts whose clocks differ still count one window. Returns 0 when granted, else the ms until a place frees.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], window * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

/** The Identify went out now: the window counts from here (only ever later than the grant). */
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', 'GT', now, ARGV[1])
return 1`;

/** While Redis does not answer, no IDENTIFY starts (the fleet's count is unknown); tried again after this. */
const RETRY_MS = 500;

/**
 * The IDENTIFY throttle of a fleet: at most `maxConcurrency` IDENTIFYs per 5 s across every process sharing the
 * Redis store (`<prefix>identify`, a sorted set of grants scored by Redis time), where the in-process
 * `IdentifyGate` counts one process only. Same shape as `IdentifyGate`; used with leases.
 */
export class RedisIdentifyGate implements FleetIdentifyGate {
  readonly #redis: RedisConnection;
  readonly #key: string;
  readonly #windowMs: number;
  #maxConcurrency = 1;

  constructor(redis: RedisConnection, windowMs = IDENTIFY_WINDOW_MS) {
    this.#redis = redis;
    this.#key = `${redis.prefix}identify`;
    this.#windowMs = windowMs;
  }

  set maxConcurrency(value: number) {
    if (Number.isInteger(value) && value >= 1) this.#maxConcurrency = value;
  }

  /** Resolves with a slot when an IDENTIFY may start anywhere in the fleet, `undefined` if `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<IdentifySlot | undefined> {
    const member = randomBytes(8).toString('hex');
    while (!signal.aborted) {
      const wait = await this.#redis
        .evaluate(`take an identify place in ${this.#key}`, TAKE, [this.#key], [member, String(this.#maxConcurrency), String(this.#windowMs)])
        .then(Number, () => RETRY_MS);
      if (wait === 0) {
        return {
          sent: () => {
            void this.#redis.evaluate(`stamp an identify in ${this.#key}`, SENT, [this.#key], [member]).catch(() => undefined);
          },
        };
      }
      await pause(wait, signal);
    }
    return undefined;
  }
}
