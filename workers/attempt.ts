/**
 * Worker entry: one attempt per piscina task, of the transport the task names. Keeps the watchdog ticking,
 * exposes the control API, batches events out and host messages in, and releases every port and timer before
 * the task resolves. The logic lives in the attempt classes.
 */
import { threadId } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { EventBatch } from '../src/protocol/event-batch.js';
import type { Outcome } from '../src/protocol/outcome.js';
import { WORKER_PROTOCOL_VERSION, WorkerEventOp, type AttemptTask, type HostMessage, type WorkerControl, type WorkerEvent } from '../src/protocol/worker-messages.js';
import { createAttempt } from '../src/transports/attempts.js';

export default async function runAttempt(task: AttemptTask): Promise<Outcome> {
  const { events, control, version: _version, watchdog: slot, watchdogTickMs, ...spec } = task;
  // Events go out in batches, one postMessage per turn of the event loop: ws parses every frame of a socket
  // read in one go, and one message per batch costs far less than one per event; dispatches are packed (see
  // EventBatch). Order is kept; End flushes at once so it is always last.
  const batch = new EventBatch();
  let flushing: NodeJS.Immediate | undefined;
  const flush = (): void => {
    flushing = undefined;
    if (!batch.empty) events.postMessage(batch.take());
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

  const tick = new BigInt64Array(slot);
  const beat = (): void => {
    Atomics.store(tick, 0, BigInt(Date.now()));
  };
  beat();
  const watchdog = setInterval(beat, watchdogTickMs);

  const attempt = createAttempt(spec, {
    post,
    threadId,
    onHostMessage: (handler: (message: HostMessage) => void) => {
      events.on('message', (messages: HostMessage[]) => messages.forEach(handler));
    },
  });
  const api: WorkerControl = {
    status: () => attempt.status(),
    shutdown: (code: number) => attempt.shutdown(code),
    quiesce: () => attempt.quiesce?.(),
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
