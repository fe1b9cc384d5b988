/**
 * Worker entry: one connection attempt per piscina task. Keeps the watchdog ticking, exposes the control API,
 * and releases every port and timer before the task resolves. The logic lives in ConnectionAttempt.
 */
import { threadId } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { ConnectionAttempt } from '../src/protocol/connection-attempt.js';
import type { Outcome } from '../src/protocol/outcome.js';
import { WORKER_PROTOCOL_VERSION, WorkerEventOp, type AttemptTask, type WorkerControl, type WorkerEvent } from '../src/protocol/worker-messages.js';

export default async function connectionAttempt(task: AttemptTask): Promise<Outcome> {
  const { events, control } = task;
  // Events go out in batches, one postMessage per turn of the event loop: ws parses every frame of a socket
  // read in one go, and one message per batch costs far less than one per event. Order is kept; End flushes
  // at once so it is always last.
  let batch: WorkerEvent[] = [];
  let flushing: NodeJS.Immediate | undefined;
  const flush = (): void => {
    flushing = undefined;
    if (batch.length === 0) return;
    events.postMessage(batch);
    batch = [];
  };
  const post = (event: WorkerEvent): void => {
    batch.push(event);
    if (event.op === WorkerEventOp.End) {
      clearImmediate(flushing);
      flush();
    } else {
      flushing ??= setImmediate(flush);
    }
  };
  post({ op: WorkerEventOp.Started, threadId, version: WORKER_PROTOCOL_VERSION });

  const tick = new BigInt64Array(task.watchdog);
  const beat = (): void => {
    Atomics.store(tick, 0, BigInt(Date.now()));
  };
  beat();
  const watchdog = setInterval(beat, task.watchdogTickMs);

  const attempt = new ConnectionAttempt(task, { post, threadId });
  const api: WorkerControl = {
    status: () => attempt.status(),
    shutdown: (code: number) => attempt.shutdown(code),
  };
  // Node's MessagePort is an EventTarget with postMessage: comlink can use it as it is.
  Comlink.expose(api, control as unknown as Comlink.Endpoint);
  try {
    return await attempt.run();
  } finally {
    clearInterval(watchdog);
    control.close();
    events.close();
  }
}
