import { ErrorCodes, QQBotError } from '../errors.js';
import { fetchGatewayBot } from '../http/gateway.js';
import type { ResolvedOptions } from '../options.js';
import { gatewayFetchFailed } from '../protocol/outcome.js';
import { MAX_SHARDS } from '../protocol/payloads.js';
import type { FleetShardCount, ShardCountAgreement } from '../fleet/shard-count.js';
import { hostAnswers } from '../http/probe.js';
import type { TokenSource } from '../http/token-manager.js';
import { RetryLoop, unreachedHost, type TryEnd } from './retry-loop.js';

/** What `GET /gateway/bot` tells a connector started with `shards: 'auto'`. */
export interface ShardPlan {
  shards: number;
  /** `session_start_limit.max_concurrency`, for the identify gate; `undefined` when not reported. */
  maxConcurrency: number | undefined;
  /** `session_start_limit.remaining` and `reset_after` (ms), the identify gate's budget; `undefined` when not reported. */
  remaining: number | undefined;
  resetAfterMs: number | undefined;
}

export interface ShardCountContext {
  options: Pick<ResolvedOptions, 'appId' | 'endpoints' | 'timeouts' | 'restart'>;
  tokens: TokenSource;
  /** Each failed try, retryable, for the host's `'error'` listeners (no shard exists yet to show it in `status()`). */
  onError: (error: QQBotError) => void;
  /** For the host's `'error'` listeners too, but no failure of the count: a spent restart budget, a fleet's other count. */
  report: (error: QQBotError) => void;
  /** With a leased store: the fleet's count, which this process adopts (the first process stored its own). */
  fleet?: ShardCountAgreement | undefined;
  /** `close()`: stop waiting. */
  signal: AbortSignal;
  /** Injected for tests. @defaultValue `Date.now` and `Math.random` */
  now?: () => number;
  random?: () => number;
}

/**
 * `shards: 'auto'`: the count `GET /gateway/bot` recommends, read on the main thread with the connector's tokens.
 * A failure is an Outcome like a shard attempt's, and the same `decide()` and restart backoff handle it: a
 * transient failure is retried forever, refused credentials (or a 401 again after a token refresh) are fatal,
 * and so are a recommended count above {@link MAX_SHARDS} and the opt-in `restart.giveUpAfterMs`. With a leased
 * store the fleet's stored count is used, and a recommendation that differs from it is reported, not followed (a
 * store that does not answer is a failure like the fetch's). Resolves `undefined` when `signal` aborts; rejects
 * only when fatal.
 */
export async function fetchShardPlan(ctx: ShardCountContext): Promise<ShardPlan | undefined> {
  const { options, signal } = ctx;
  const started = (ctx.now ?? Date.now)();
  const loop = new RetryLoop({
    restart: options.restart,
    probe: {
      intervalMs: options.restart.probeIntervalMs,
      target: (outcome) =>
        unreachedHost(outcome, { token: options.endpoints.token, api: options.endpoints.api, gateway: null }),
      answers: hostAnswers,
    },
    tokens: ctx.tokens,
    names: {
      subject: "shards 'auto'",
      failures: 'failures to read the shard count',
      lacking: 'no shard count from GET /gateway/bot',
    },
    now: ctx.now,
    random: ctx.random,
  });
  const result = await loop.run<ShardPlan>(
    {
      run: (token) => readShardPlan(ctx, token),
      decided: (_decision, _outcome, failure) => {
        // Every failed try carries its error (readShardPlan's, or the token's).
        if (failure !== undefined) ctx.onError(failure);
        return undefined;
      },
      // As a shard escalates: a clean slate (the loop fetches a new token), said once, after maxDelayMs.
      escalated: (report) => ctx.report(report),
      since: () => started,
    },
    signal,
  );
  if (result.kind === 'fatal') throw result.error;
  return result.kind === 'done' ? result.value : undefined;
}

/** One try: the count, or the Outcome that says why not (the same a shard's attempt would end with). */
async function readShardPlan(ctx: ShardCountContext, token: string): Promise<TryEnd<ShardPlan> | undefined> {
  const { options, signal } = ctx;
  try {
    const info = await fetchGatewayBot(options.endpoints.api, token, options.appId, options.timeouts.httpMs, signal);
    if (info.shards !== undefined && Number.isInteger(info.shards) && info.shards > MAX_SHARDS)
      throw tooManyShards(info.shards);
    if (info.shards !== undefined && Number.isInteger(info.shards) && info.shards >= 1) {
      // A fleet's processes must agree (leases and checkpoints are keyed by shard index): the stored count wins.
      const fleet = await ctx.fleet?.agree(info.shards);
      if (fleet !== undefined && fleet.shards !== info.shards) ctx.report(countDiffers(info.shards, fleet));
      return {
        done: {
          shards: fleet?.shards ?? info.shards,
          maxConcurrency: info.maxConcurrency,
          remaining: info.remaining,
          resetAfterMs: info.resetAfterMs,
        },
      };
    }
    throw new QQBotError(
      ErrorCodes.BAD_RESPONSE,
      `GET /gateway/bot answered no usable shard count (an integer 1..${MAX_SHARDS})`,
      { retryable: true },
    );
  } catch (err) {
    if (signal.aborted) return undefined;
    if (err instanceof QQBotError && err.code === ErrorCodes.TOO_MANY_SHARDS) throw err;
    const error =
      err instanceof QQBotError
        ? err
        : new QQBotError(ErrorCodes.INTERNAL, 'the shard count could not be fetched', { retryable: true, cause: err });
    return { outcome: gatewayFetchFailed(error, options.timeouts.httpMs), progressed: false, error };
  }
}

/** A well-formed answer no retry will change: the bot needs more shards than one connector runs. */
function tooManyShards(recommended: number): QQBotError {
  return new QQBotError(
    ErrorCodes.TOO_MANY_SHARDS,
    `GET /gateway/bot recommends ${recommended} shards, more than one connector runs (${MAX_SHARDS}); shards: 'auto' cannot start this bot`,
    { details: { recommended, maxShards: MAX_SHARDS } },
  );
}

/** The platform now recommends another count than the fleet runs: said, not followed (the fleet must agree). */
function countDiffers(recommended: number, fleet: FleetShardCount): QQBotError {
  return new QQBotError(
    ErrorCodes.SHARD_COUNT_DIFFERS,
    `GET /gateway/bot recommends ${recommended} shards; the fleet runs ${fleet.shards}, the count its first process stored in ${fleet.key}, and so does this process. To change it, stop every process of the fleet, delete ${fleet.key}, and start them again`,
    { details: { recommended, fleetShards: fleet.shards, key: fleet.key } },
  );
}
