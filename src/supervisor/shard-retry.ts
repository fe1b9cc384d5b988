import type { RestartEvent } from '../events.js';
import { hostAnswers } from '../http/probe.js';
import { publish } from '../metrics/channels.js';
import { RetryLoop, unreachedHost, type RetryStep } from './retry-loop.js';
import type { ShardContext } from './shard-context.js';

/**
 * A shard's retry loop: between attempts, probes of the host the last one could not reach (the token endpoint, the
 * API, or `gatewayUrl()`), reported to `debug` and the diagnostics channel; a token only when the transport needs one.
 */
export function shardRetryLoop(
  shard: number,
  ctx: ShardContext,
  gatewayUrl: () => string | null,
  debug: (message: () => string) => void,
): RetryLoop {
  const { endpoints, restart } = ctx.options;
  return new RetryLoop({
    restart,
    probe: {
      intervalMs: restart.probeIntervalMs,
      target: (outcome) =>
        unreachedHost(outcome, { token: endpoints.token, api: endpoints.api, gateway: gatewayUrl() }),
      answers: hostAnswers,
      probed: (url, answered) => {
        debug(() => `probe of ${new URL(url).host}: ${answered ? 'answered' : 'no answer'}`);
        publish('probe', () => ({ appId: ctx.options.appId, shard, answered }));
      },
    },
    // A listener the platform calls needs no access token.
    tokens: ctx.transport.needsToken ? ctx.tokens : undefined,
    names: {
      subject: `shard ${shard}`,
      failures: 'attempts without progress',
      lacking: `shard ${shard}: no session`,
    },
    now: ctx.now,
    random: ctx.random,
  });
}

/** The host's `'restart'` event for the `attempt`-th restart, and its diagnostics channel message. */
export function reportRestart(shard: number, ctx: ShardContext, attempt: number, step: RetryStep): void {
  const { outcome, decision, delayMs, progressed } = step;
  const event: RestartEvent = {
    shard,
    reason: outcome.reason,
    kind: outcome.kind,
    ...(outcome.kind === 'closed' ? { closeCode: outcome.closeCode } : {}),
    decision: decision.kind,
    progressed,
    escalated: step.escalated,
    attempt,
    delayMs,
  };
  ctx.sink.restart(event);
  publish('restart', () => ({
    appId: ctx.options.appId,
    shard,
    kind: outcome.kind,
    decision: decision.kind,
    delayMs,
    progressed,
  }));
}
