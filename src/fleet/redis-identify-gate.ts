import { randomBytes } from 'node:crypto';
import { IDENTIFY_WINDOW_MS, SESSION_LIMIT_FALLBACK_MS } from '../protocol/payloads.js';
import { BUDGET_PROBE_POLL_MS, BUDGET_RECHECK_MS, IDENTIFY_SEND_HOLD_MS } from '../protocol/session-start.js';
import type { RedisConnection } from '../redis-client/redis-connection.js';
import { sleep } from '../util/abort.js';
import type { FleetIdentifyGate, IdentifySlot } from './identify-gate.js';

/**
 * Takes a place in the window and spends one of the budget, atomically, or says how long to wait. Redis's own
 * clock (TIME) is the only clock, so processes on hosts whose clocks differ still count one window. KEYS: the
 * grants (sorted set), the budget (a count, or 'probe' while the first answer is awaited; absent = unknown).
 * A grant not sent yet is scored at its latest send (now + ARGV[7]): a slow attempt (a cold thread under load)
 * keeps its place past the window instead of letting another IDENTIFY go beside its own; a waiter behind one polls
 * (ARGV[5]), as its send moves the score earlier. Returns 0 when granted, -1 when granted as the probe, else the ms to wait.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  if oldest > now then return math.max(1, math.min(oldest + window - now, tonumber(ARGV[5]))) end
  return math.max(1, oldest + window - now)
end
local budget = redis.call('GET', KEYS[2])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 0 then ttl = tonumber(ARGV[6]) end
local granted = 0
if budget == 'probe' then
  return math.max(1, math.min(ttl, tonumber(ARGV[5])))
elseif budget and tonumber(budget) then
  if tonumber(budget) <= 0 then return math.max(1, math.min(ttl, tonumber(ARGV[6]))) end
  redis.call('DECR', KEYS[2])
else
  -- Unknown (or unreadable): this grant is the probe; everyone else waits for its answer.
  redis.call('SET', KEYS[2], 'probe', 'PX', ARGV[4])
  granted = -1
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[7]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[7]) + window * 2)
return granted`;

/** The Identify went out now: the window counts from here (added again if its grant's place had expired); ARGV[2]: the key's PX, as TAKE sets it. */
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * A /gateway/bot answer sets the budget: the platform's \`remaining\` (the truth, so a grant that was never sent
 * and a reset are both corrected), less the grants of the last window it may not count yet (a live probe's always
 * counts: it IDENTIFYs after this answer). ARGV[1] '' (no session_start_limit) only ends a probe.
 */
const BUDGET = `
if ARGV[1] == '' then
  if redis.call('GET', KEYS[2]) == 'probe' then redis.call('DEL', KEYS[2]) end
  return -1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local recent = redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[3])), '+inf')
-- A live probe's IDENTIFY goes out after this answer, however long ago (past the window) it was granted.
if recent < 1 and redis.call('GET', KEYS[2]) == 'probe' then recent = 1 end
local left = math.max(0, tonumber(ARGV[1]) - recent)
redis.call('SET', KEYS[2], left, 'PX', ARGV[2])
return left`;

/** While Redis does not answer, no IDENTIFY starts (the fleet's count is unknown); tried again after this. */
const RETRY_MS = 500;

/**
 * The IDENTIFY throttle of a fleet, across every process sharing the Redis store, where the in-process
 * `IdentifyGate` counts one process only: at most `maxConcurrency` IDENTIFYs per 5 s (`<prefix>identify`, a
 * sorted set of grants scored by Redis time), and no more than the platform's session-start budget
 * (`<prefix>identify-budget`, expiring at `reset_after`). Same rule as `IdentifyGate`; used with leases.
 */
export class RedisIdentifyGate implements FleetIdentifyGate {
  readonly #redis: RedisConnection;
  readonly #key: string;
  readonly #budgetKey: string;
  readonly #windowMs: number;
  #maxConcurrency = 1;

  constructor(redis: RedisConnection, windowMs = IDENTIFY_WINDOW_MS) {
    this.#redis = redis;
    this.#key = `${redis.prefix}identify`;
    this.#budgetKey = `${redis.prefix}identify-budget`;
    this.#windowMs = windowMs;
  }

  set maxConcurrency(value: number) {
    if (Number.isInteger(value) && value >= 1) this.#maxConcurrency = value;
  }

  /** Resolves with a slot when an IDENTIFY may start anywhere in the fleet, `undefined` if `signal` aborted first. */
  async acquire(signal: AbortSignal, probeMs: number): Promise<IdentifySlot | undefined> {
    const member = randomBytes(8).toString('hex');
    const args = [
      member,
      String(this.#maxConcurrency),
      String(this.#windowMs),
      String(probeMs),
      String(BUDGET_PROBE_POLL_MS),
      String(BUDGET_RECHECK_MS),
      String(IDENTIFY_SEND_HOLD_MS),
    ];
    while (!signal.aborted) {
      const wait = await this.#redis
        .evaluate(`take an identify place in ${this.#key}`, TAKE, [this.#key, this.#budgetKey], args)
        .then(Number, () => RETRY_MS);
      if (wait <= 0) {
        let stamped = false;
        return {
          probe: wait < 0,
          sent: () => {
            if (stamped) return;
            stamped = true;
            void this.#redis
              .evaluate(
                `stamp an identify in ${this.#key}`,
                SENT,
                [this.#key],
                [member, String(IDENTIFY_SEND_HOLD_MS + this.#windowMs * 2)],
              )
              .catch(() => undefined);
          },
        };
      }
      await sleep(wait, signal);
    }
    return undefined;
  }

  /** Resolves once Redis has it, or did not answer: a lost answer leaves the previous budget (or the probe, which expires). */
  async budget(remaining: number | undefined, resetAfterMs: number | undefined): Promise<void> {
    const left = remaining === undefined ? '' : String(Math.max(0, Math.floor(remaining)));
    const px = String(Math.max(1, Math.ceil(resetAfterMs ?? SESSION_LIMIT_FALLBACK_MS)));
    await this.#redis
      .evaluate(
        `set the identify budget ${this.#budgetKey}`,
        BUDGET,
        [this.#key, this.#budgetKey],
        [left, px, String(this.#windowMs)],
      )
      .catch(() => undefined);
  }
}
