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
import { buildDemoSummary, formatDemoSummary, totalOf, type DemoFacts } from './summary.js';

const DEMO_APP_ID = 'demo-app';
const DEMO_SECRET = 'demo-secret';
/** How long the end of the demo waits for in-flight events before it counts the missing ones as lost. */
const CATCH_UP_MS = 3_000;
/** Short heartbeats, so the status line shows a latency within a second or two. */
const DEMO_HEARTBEAT_MS = 1_000;

/** One bot of the demo: its credentials at the fake, its connector, and what was counted for it. */
interface DemoBot {
  appId: string;
  connector: QQBotConnector;
  tracker: DeliveryTracker;
  recovery: RecoveryClock;
  /** Events the fake dispatched into this bot's sessions (`--bots` > 1; one bot counts the fake's total). */
  sent: number;
}

/** Bot 1 is `demo-app`; bot i, `demo-app-i`. */
function demoApp(i: number): { appId: string; secret: string } {
  return i === 0
    ? { appId: DEMO_APP_ID, secret: DEMO_SECRET }
    : { appId: `${DEMO_APP_ID}-${i + 1}`, secret: `${DEMO_SECRET}-${i + 1}` };
}

/**
 * Emits numbered events at `ratePerSec`, one second's worth per call, until `signal` aborts. Several bots share
 * the rate, each getting its part into its latest session.
 */
async function emitUntilStopped(
  fake: FakeQQServer,
  bots: readonly DemoBot[],
  ratePerSec: number,
  signal: AbortSignal,
): Promise<void> {
  if (bots.length === 1) {
    const chunk = Math.max(1, Math.ceil(ratePerSec));
    while (!signal.aborted) await fake.emitEvents(chunk, { ratePerSec, signal });
    return;
  }
  const rate = ratePerSec / bots.length;
  const chunk = Math.max(1, Math.ceil(rate));
  const sessionOf = (appId: string): string | undefined => fake.sessions.filter((s) => s.appId === appId).at(-1)?.id;
  while (!signal.aborted) {
    await Promise.all(
      bots.map(async (bot) => {
        const session = sessionOf(bot.appId);
        if (session !== undefined)
          bot.sent += (await fake.emitEvents(chunk, { ratePerSec: rate, session, signal })).length;
      }),
    );
  }
}

/** What the streaming part of the demo counts with and reports through. */
interface DemoRun {
  stop: StopSignal;
  status: StatusLine;
  say(text: string): void;
}

/** Demo mode: the connector against an embedded FakeQQServer, with optional worker kills. */
export async function runDemo(config: DemoConfig, io: CliIo): Promise<number> {
  const stop = createStopSignal({ onForce: exitOnForce(io.stderr) });
  const meter = new RateMeter();
  let fake: FakeQQServer | undefined;
  let bots: DemoBot[] = [];
  const facts = (): StatusFacts => {
    const received = bots.reduce((sum, bot) => sum + bot.tracker.received, 0);
    return {
      shards: bots.flatMap((bot) => bot.connector.status()),
      eventsPerSec: meter.sample(received, performance.now()),
      received,
    };
  };
  const status = new StatusLine(io.stderr, facts);
  const apps = Array.from({ length: config.bots }, (_, i) => demoApp(i));
  const redact = createRedactor(apps.map((app) => app.secret));
  /** Every line the demo writes to stderr goes through here, the one place that redacts (as live mode does). */
  const say = (text: string): void => status.writeLine(redact(text));
  // The summary goes to stdout: a reader that went away (`| head`) must not crash the demo.
  stopOnOutputClosed(io.stdout, stop, say);

  let result: DemoFacts;
  try {
    fake = await FakeQQServer.start({
      appId: DEMO_APP_ID,
      secret: DEMO_SECRET,
      apps: apps.slice(1),
      heartbeatIntervalMs: DEMO_HEARTBEAT_MS,
      shards: config.shards,
    });
    const kill =
      config.bots === 1 ? 'the worker thread' : "one bot's session in a shared thread (its thread-mates go on)";
    const chaos =
      config.chaosMs === undefined
        ? 'no worker kills (--chaos 0)'
        : `killing ${kill} every ${config.chaosMs} ms, like a crash`;
    say(`demo: no QQ credentials (QQBOT_APP_ID/QQBOT_SECRET), so this runs against an embedded fake QQ at ${fake.url}`);
    say(
      `demo: ${config.ratePerSec} events/s, ${chaos}; ${config.durationMs === undefined ? 'Ctrl-C to stop' : `stopping ${config.durationMs / 1000} s after connecting (--duration 0: until Ctrl-C)`}`,
    );
    if (config.bots > 1) say(`demo: ${config.bots} bots in this process, sharing worker threads (the default pool)`);
    const endpoints = fake.endpoints;
    const connectorOf = (app: { appId: string; secret: string }): QQBotConnector =>
      new QQBotConnector({
        ...app,
        intents: config.intents,
        shards: config.shards,
        endpoints,
        // Default restart options, as a user gets them: the demo shows what they do.
        // --webhook: a listener on a free loopback port, which the fake calls back once it validated it.
        ...(config.webhook ? { transport: { kind: 'webhook', host: '127.0.0.1', port: 0 } } : {}),
        ...(config.verbose ? { logger: createCliLogger({ writeLine: say, verbose: true }) } : {}),
      });
    bots = apps.map((app) => ({
      appId: app.appId,
      connector: connectorOf(app),
      tracker: new DeliveryTracker(),
      recovery: new RecoveryClock(),
      sent: 0,
    }));
    result = await streamAndCount(config, fake, bots, { stop, status, say });
  } finally {
    // Whatever threw, release what was started: the worker threads, the fake's server, the signal handlers and
    // the --duration timer must not keep the process alive. The signal handlers go last, so a second signal
    // during the close still exits at once.
    await releaseInOrder([
      () => Promise.all(bots.map((bot) => bot.connector.close())),
      () => fake?.close(),
      () => status.stop(),
      () => stop.dispose(),
    ]);
  }

  const summary = buildDemoSummary(result);
  if (summary.fatal !== null) say(formatFatal(summary.fatal));
  io.stdout.write(config.json ? `${JSON.stringify(summary)}\n` : formatDemoSummary(summary));
  return summary.ok ? ExitCodes.OK : ExitCodes.FATAL;
}

/**
 * Connects every bot, streams events (and kills workers with `--chaos`) until the stop, waits for the events
 * still in flight, and returns what was counted, per bot and in total. It closes nothing: {@link runDemo} owns
 * the fake and the connectors.
 */
async function streamAndCount(
  config: DemoConfig,
  fake: FakeQQServer,
  bots: readonly DemoBot[],
  { stop, status, say }: DemoRun,
): Promise<DemoFacts> {
  for (const { connector, tracker, recovery } of bots) {
    connector.on('dispatch', (event) => tracker.record(event.data));
    connector.on('resumed', (event) => recovery.sessionUp(event.shard, performance.now(), true));
    connector.on('ready', (event) => recovery.sessionUp(event.shard, performance.now(), false));
  }
  const fatals = bots.map((bot) => watchFatal(bot.connector, stop));

  const emitting = new AbortController();
  let emitter: Promise<void> = Promise.resolve();
  let chaosTimer: NodeJS.Timeout | undefined;
  let streamingSince: number | undefined;
  try {
    await Promise.all(bots.map((bot) => bot.connector.start({ signal: stop.signal })));
    const [first] = bots as [DemoBot];
    const webhook = first.connector.webhookAddress();
    if (webhook === null) {
      const sessions = bots.flatMap((bot) => bot.connector.status().map((s) => s.sessionId));
      say(
        `demo: connected (${sessions.length > 4 ? `${sessions.length} sessions` : sessions.join(', ')}); streaming events`,
      );
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
    emitter = emitUntilStopped(fake, bots, config.ratePerSec, emitting.signal).catch((err: unknown) => {
      say(`demo: the fake stopped emitting: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (config.chaosMs !== undefined) {
      let next = 0;
      chaosTimer = setInterval(() => {
        // Round robin over every bot's shards.
        const bot = bots[Math.floor(next / config.shards)] as DemoBot;
        const shard = next % config.shards;
        next = (next + 1) % (config.shards * bots.length);
        // Kill only a shard that has a session: a kill during its restart would measure nothing.
        if (bot.connector.status()[shard]?.state !== 'ready') return;
        bot.recovery.killed(shard, performance.now());
        bot.connector.terminateWorker(shard).catch(() => undefined);
      }, config.chaosMs);
    }
    await stop.stopped;
  } catch (err) {
    for (const fatal of fatals) fatal.caught(err);
  }

  const streamedMs = streamingSince === undefined ? 0 : performance.now() - streamingSince;
  // Stop the chaos and the stream, then let in-flight events arrive before anything counts as lost.
  clearInterval(chaosTimer);
  emitting.abort();
  await emitter;
  if (bots.length === 1) (bots[0] as DemoBot).sent = fake.eventsDispatched;
  const fatal = fatals.map((f) => f.error).find((error) => error !== undefined);
  if (fatal === undefined) {
    // A timeout is not an error here: what is still missing then counts as lost.
    await fake.waitFor(() => bots.every((bot) => bot.tracker.distinct >= bot.sent), CATCH_UP_MS).catch(() => undefined);
  }
  const common = {
    stopReason: typeof stop.signal.reason === 'string' ? stop.signal.reason : 'fatal',
    durationMs: streamedMs,
    shards: config.shards,
    transport: config.webhook ? ('webhook' as const) : ('websocket' as const),
    ratePerSec: config.ratePerSec,
    chaosMs: config.chaosMs ?? null,
  };
  const perBot = bots.map((bot, i): DemoFacts => {
    const shards = bot.connector.status();
    const error = fatals[i]?.error;
    return {
      ...common,
      ratePerSec: config.ratePerSec / bots.length,
      sent: bot.sent,
      received: bot.tracker.received,
      distinct: bot.tracker.distinct,
      duplicated: bot.tracker.duplicated,
      outOfOrder: bot.tracker.outOfOrder,
      unnumbered: bot.tracker.unnumbered,
      restarts: shardTotal(shards, 'restarts'),
      kills: bot.recovery.kills,
      newSessions: bot.recovery.newSessions,
      recoveryMs: bot.recovery.samples,
      duplicatesDropped: shardTotal(shards, 'duplicatesDropped'),
      fatal: error === undefined ? null : { code: error.code, message: error.message },
    };
  });
  if (perBot.length === 1) return perBot[0] as DemoFacts;
  return { ...totalOf(perBot), ...common, bots: perBot.map((facts, i) => ({ appId: bots[i]?.appId ?? '', facts })) };
}
