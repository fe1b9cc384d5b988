import { performance } from 'node:perf_hooks';
import { QQBotConnector } from '../connector.js';
import { FakeQQServer } from '../testing/index.js';
import type { DemoConfig } from './args.js';
import { DeliveryTracker, RecoveryClock } from './delivery-tracker.js';
import { formatFatal } from './fatal-advice.js';
import { watchFatal } from './fatal-watch.js';
import { ExitCodes, type CliIo } from './io.js';
import { createCliLogger } from './logger.js';
import { createRedactor } from '../util/redaction.js';
import { releaseInOrder } from './release.js';
import { RateMeter, shardTotal, StatusLine, type StatusFacts } from './status-line.js';
import { createStopSignal, exitOnForce, stopOnOutputClosed, type StopSignal } from './stop-signal.js';
import { buildDemoSummary, formatDemoSummary, type DemoFacts } from './summary.js';

const DEMO_APP_ID = 'demo-app';
const DEMO_SECRET = 'demo-secret';
/** How long the end of the demo waits for in-flight events before it counts the missing ones as lost. */
const CATCH_UP_MS = 3_000;
/** Short heartbeats, so the status line shows a latency within a second or two. */
const DEMO_HEARTBEAT_MS = 1_000;

/** Emits numbered events at `ratePerSec`, one second's worth per call, until `signal` aborts. */
async function emitUntilStopped(fake: FakeQQServer, ratePerSec: number, signal: AbortSignal): Promise<void> {
  const chunk = Math.max(1, Math.ceil(ratePerSec));
  while (!signal.aborted) await fake.emitEvents(chunk, { ratePerSec, signal });
}

/** What the streaming part of the demo counts with and reports through. */
interface DemoRun {
  stop: StopSignal;
  tracker: DeliveryTracker;
  recovery: RecoveryClock;
  status: StatusLine;
  say(text: string): void;
}

/** Demo mode: the connector against an embedded FakeQQServer, with optional worker kills. */
export async function runDemo(config: DemoConfig, io: CliIo): Promise<number> {
  const stop = createStopSignal({ onForce: exitOnForce(io.stderr) });
  const tracker = new DeliveryTracker();
  const meter = new RateMeter();
  let fake: FakeQQServer | undefined;
  let connector: QQBotConnector | undefined;
  const facts = (): StatusFacts => ({ shards: connector?.status() ?? [], eventsPerSec: meter.sample(tracker.received, performance.now()), received: tracker.received });
  const status = new StatusLine(io.stderr, facts);
  const redact = createRedactor([DEMO_SECRET]);
  /** Every line the demo writes to stderr goes through here, the one place that redacts (as live mode does). */
  const say = (text: string): void => status.writeLine(redact(text));
  // The summary goes to stdout: a reader that went away (`| head`) must not crash the demo.
  stopOnOutputClosed(io.stdout, stop, say);

  let result: DemoFacts;
  try {
    fake = await FakeQQServer.start({ appId: DEMO_APP_ID, secret: DEMO_SECRET, heartbeatIntervalMs: DEMO_HEARTBEAT_MS, shards: config.shards });
    const chaos = config.chaosMs === undefined ? 'no worker kills (--chaos 0)' : `killing the worker thread every ${config.chaosMs} ms, like a crash`;
    say(`demo: no QQ credentials (QQBOT_APP_ID/QQBOT_SECRET), so this runs against an embedded fake QQ at ${fake.url}`);
    say(`demo: ${config.ratePerSec} events/s, ${chaos}; ${config.durationMs === undefined ? 'Ctrl-C to stop' : `stopping ${config.durationMs / 1000} s after connecting (--duration 0: until Ctrl-C)`}`);
    connector = new QQBotConnector({
      appId: DEMO_APP_ID,
      secret: DEMO_SECRET,
      intents: config.intents,
      shards: config.shards,
      endpoints: fake.endpoints,
      // Default restart options, as a user gets them: the demo shows what they do.
      // --webhook: a listener on a free loopback port, which the fake calls back once it validated it.
      ...(config.webhook ? { transport: { kind: 'webhook', host: '127.0.0.1', port: 0 } } : {}),
      ...(config.verbose ? { logger: createCliLogger({ writeLine: say, verbose: true }) } : {}),
    });
    result = await streamAndCount(config, fake, connector, { stop, tracker, recovery: new RecoveryClock(), status, say });
  } finally {
    // Whatever threw, release what was started: the worker threads, the fake's server, the signal handlers and
    // the --duration timer must not keep the process alive. The signal handlers go last, so a second signal
    // during the close still exits at once.
    await releaseInOrder([() => connector?.close(), () => fake?.close(), () => status.stop(), () => stop.dispose()]);
  }

  const summary = buildDemoSummary(result);
  if (summary.fatal !== null) say(formatFatal(summary.fatal));
  io.stdout.write(config.json ? `${JSON.stringify(summary)}\n` : formatDemoSummary(summary));
  return summary.ok ? ExitCodes.OK : ExitCodes.FATAL;
}

/**
 * Connects, streams events (and kills workers with `--chaos`) until the stop, waits for the events still in
 * flight, and returns what was counted. It closes nothing: {@link runDemo} owns the fake and the connector.
 */
async function streamAndCount(config: DemoConfig, fake: FakeQQServer, connector: QQBotConnector, { stop, tracker, recovery, status, say }: DemoRun): Promise<DemoFacts> {
  connector.on('dispatch', (event) => tracker.record(event.data));
  connector.on('resumed', (event) => recovery.sessionUp(event.shard, performance.now(), true));
  connector.on('ready', (event) => recovery.sessionUp(event.shard, performance.now(), false));
  const fatal = watchFatal(connector, stop);

  const emitting = new AbortController();
  let emitter: Promise<void> = Promise.resolve();
  let chaosTimer: NodeJS.Timeout | undefined;
  let streamingSince: number | undefined;
  try {
    await connector.start({ signal: stop.signal });
    const webhook = connector.webhookAddress();
    if (webhook === null) {
      say(`demo: connected (${connector.status().map((s) => s.sessionId).join(', ')}); streaming events`);
    } else {
      const url = `http://127.0.0.1:${webhook.port}/qqbot`;
      // The platform redelivers about 3 times at unknown intervals; the demo's fake keeps trying for ~5 s, so
      // that --chaos (kills far more often than any real crash) measures recovery rather than the platform's
      // patience. With the platform's 3 tries, a listener down longer than its retry window loses events.
      await fake.startCallbacks({ url, retryDelayMs: 250, timeoutMs: 2_000, tries: 20 });
      say(`demo: listening at ${url}; the fake validated it (op 13) and is POSTing signed events`);
    }
    status.start();
    // --duration counts the time events flow, so a slow start does not eat into it.
    if (config.durationMs !== undefined) stop.stopAfter(config.durationMs);
    streamingSince = performance.now();
    emitter = emitUntilStopped(fake, config.ratePerSec, emitting.signal).catch((err: unknown) => {
      say(`demo: the fake stopped emitting: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (config.chaosMs !== undefined) {
      let next = 0;
      chaosTimer = setInterval(() => {
        const shard = next;
        next = (next + 1) % config.shards;
        // Kill only a shard that has a session: a kill during its restart would measure nothing.
        if (connector.status()[shard]?.state !== 'ready') return;
        recovery.killed(shard, performance.now());
        connector.terminateWorker(shard).catch(() => undefined);
      }, config.chaosMs);
    }
    await stop.stopped;
  } catch (err) {
    fatal.caught(err);
  }

  const streamedMs = streamingSince === undefined ? 0 : performance.now() - streamingSince;
  // Stop the chaos and the stream, then let in-flight events arrive before anything counts as lost.
  clearInterval(chaosTimer);
  emitting.abort();
  await emitter;
  if (fatal.error === undefined) {
    // A timeout is not an error here: what is still missing then counts as lost.
    await fake.waitFor(() => tracker.distinct >= fake.eventsDispatched, CATCH_UP_MS).catch(() => undefined);
  }
  const shards = connector.status();
  return {
    stopReason: typeof stop.signal.reason === 'string' ? stop.signal.reason : 'fatal',
    durationMs: streamedMs,
    shards: config.shards,
    transport: config.webhook ? 'webhook' : 'websocket',
    ratePerSec: config.ratePerSec,
    chaosMs: config.chaosMs ?? null,
    sent: fake.eventsDispatched,
    received: tracker.received,
    distinct: tracker.distinct,
    duplicated: tracker.duplicated,
    outOfOrder: tracker.outOfOrder,
    unnumbered: tracker.unnumbered,
    restarts: shardTotal(shards, 'restarts'),
    kills: recovery.kills,
    newSessions: recovery.newSessions,
    recoveryMs: recovery.samples,
    duplicatesDropped: shardTotal(shards, 'duplicatesDropped'),
    fatal: fatal.error === undefined ? null : { code: fatal.error.code, message: fatal.error.message },
  };
}
