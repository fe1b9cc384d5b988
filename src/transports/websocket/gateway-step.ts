import { toWire } from '../../errors.js';
import type { fetchGatewayBot } from '../../http/gateway.js';
import { gatewayUrlAllowed, gatewayUrlRefused } from '../../http/gateway-url.js';
import { gatewayFetchFailed, type Outcome } from '../../protocol/outcome.js';
import { SESSION_LIMIT_FALLBACK_MS } from '../../protocol/payloads.js';
import { WorkerEventOp, type WorkerEvent } from '../../protocol/worker-messages.js';
import type { WebSocketAttemptSpec } from './websocket-spec.js';

/**
 * An attempt's first step without a URL at hand: `GET /gateway/bot`. Gives the URL to connect to (posted with the
 * limits the identify gate keeps), or the Outcome that ends the attempt; `undefined` once `signal` aborted (the
 * attempt ended meanwhile).
 */
export async function gatewayStep(
  task: WebSocketAttemptSpec,
  signal: AbortSignal,
  post: (event: WorkerEvent) => void,
): Promise<string | Outcome | undefined> {
  let info: Awaited<ReturnType<typeof fetchGatewayBot>>;
  try {
    // Loaded on first use, not at thread boot: a RESUME knows its URL, and undici is the costliest module a
    // spare thread would load (~100 ms), time a replacement spare spends competing with a recovery for the CPU.
    const gateway = await import('../../http/gateway.js');
    if (signal.aborted) return undefined;
    info = await gateway.fetchGatewayBot(task.apiBase, task.accessToken, task.appId, task.timeouts.httpMs, signal);
  } catch (err) {
    return signal.aborted ? undefined : gatewayFetchFailed(err, task.timeouts.httpMs);
  }
  if (signal.aborted) return undefined;
  if (task.resume === null && info.remaining === 0) {
    const retryAfterMs = info.resetAfterMs ?? SESSION_LIMIT_FALLBACK_MS;
    return {
      kind: 'session-limit',
      phase: 'gateway',
      retryAfterMs,
      reason: `no session starts left; reset after ${retryAfterMs} ms`,
    };
  }
  if (!gatewayUrlAllowed(info.url, task.apiBase)) {
    const error = gatewayUrlRefused('gateway/bot', info.url, `shard ${task.shard[0]}`);
    post({ op: WorkerEventOp.Error, error: toWire(error) });
    return {
      kind: 'connect-failed',
      phase: 'gateway',
      error: toWire(error),
      authRejected: false,
      reason: error.message,
    };
  }
  post({
    op: WorkerEventOp.GatewayUrl,
    url: info.url,
    maxConcurrency: info.maxConcurrency ?? null,
    remaining: info.remaining ?? null,
    resetAfterMs: info.resetAfterMs ?? null,
  });
  return info.url;
}
