import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { QQBotConnector } from '../connector.js';
import { ErrorCodes, QQBotError } from '../errors.js';
import type { DispatchEvent, ShardStatus } from '../events.js';
import { UsageError, type LiveConfig, type SecretSource } from './args.js';
import { formatFatal } from './fatal-advice.js';
import { watchFatal } from './fatal-watch.js';
import { ExitCodes, type CliIo } from './io.js';
import { createCliLogger } from './logger.js';
import { createRedactor } from '../util/redaction.js';
import { releaseInOrder } from './release.js';
import { JsonStatus, RateMeter, shardTotal, StatusLine, type StatusFacts, type StatusOutput } from './status-line.js';
import { createStopSignal, exitOnForce, stopOnOutputClosed } from './stop-signal.js';
import { formatLiveSummary } from './summary.js';

/** The secret from the environment, or the trimmed content of `--secret-file`. Errors name the path only. */
export async function readSecret(source: SecretSource): Promise<string> {
  if (source.from === 'env') return source.value;
  let text: string;
  try {
    text = await readFile(source.path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`cannot read --secret-file ${source.path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  const secret = text.trim();
  if (secret === '') throw new UsageError(`--secret-file ${source.path} is empty`);
  return secret;
}

/** One NDJSON line per dispatch, always with the same keys. */
function ndjson(event: DispatchEvent): string {
  return `${JSON.stringify({ shard: event.shard, seq: event.seq, type: event.type, id: event.id ?? null, data: event.data })}\n`;
}

/** Why a run ended by `--duration` never connected, with each shard's last error if it had one. */
function neverConnected(durationMs: number, shards: readonly ShardStatus[]): string {
  const errors = shards.flatMap(({ shard, lastError }) =>
    lastError === null ? [] : [`${shards.length > 1 ? `shard ${shard}: ` : ''}${lastError.code}: ${lastError.message}`],
  );
  const why = errors.length === 0 ? ' (no error reported: still connecting)' : `; last error: ${errors.join('; ')}`;
  return `not connected: never connected within --duration ${durationMs / 1000} s${why}`;
}

/** Live mode: the real platform (or the endpoints given), each dispatch as one JSON line on stdout. */
export async function runLive(config: LiveConfig, io: CliIo): Promise<number> {
  const secret = await readSecret(config.secret);
  const startedAt = performance.now();
  let received = 0;
  const meter = new RateMeter();
  let bot: QQBotConnector | undefined;
  const redact = createRedactor([secret]);
  const facts = (): StatusFacts => ({
    shards: bot?.status() ?? [],
    eventsPerSec: meter.sample(received, performance.now()),
    received,
  });
  const status: StatusOutput = config.json
    ? new JsonStatus(io.stderr, facts, redact)
    : new StatusLine(io.stderr, facts);
  /** Every line live mode writes to stderr goes through here: the one place where log and error text is redacted. */
  const say = (text: string): void => status.writeLine(redact(text));
  const logger = createCliLogger({ writeLine: say, verbose: config.verbose });

  try {
    bot = new QQBotConnector({
      appId: config.appId,
      secret,
      intents: config.intents,
      shards: config.shards,
      endpoints: config.endpoints,
      ...(config.webhook === null ? {} : { transport: { kind: 'webhook', port: config.webhook.port } }),
      logger,
    });
  } catch (err) {
    // The connector validates its options at construction; a bad one here came from a flag or the environment.
    if (err instanceof QQBotError && err.code === ErrorCodes.INVALID_OPTION) throw new UsageError(redact(err.message));
    throw err;
  }
  const connector = bot;

  const stop = createStopSignal({ onForce: exitOnForce(io.stderr) });
  const fatal = watchFatal(connector, stop);
  let connected = false;
  let shards: readonly ShardStatus[];
  try {
    // A wall-clock bound: it also ends a run that never manages to connect.
    if (config.durationMs !== undefined) stop.stopAfter(config.durationMs);
    stopOnOutputClosed(io.stdout, stop, say);
    connector.on('dispatch', (event) => {
      received += 1;
      // Events that arrive while closing are printed too: the connector counts them as delivered.
      if (stop.signal.reason !== 'output-closed') io.stdout.write(ndjson(event));
    });

    logger.debug(
      {
        intents: `0x${config.intents.toString(16)}`,
        shards: config.shards,
        endpoints: config.endpoints,
        secretFrom: config.secret.from,
      },
      'configuration',
    );
    logger.info(
      `connecting as app ${config.appId} to ${config.endpoints.api ?? 'the production API'} (${config.shards} shard${config.shards === 1 ? '' : 's'})`,
    );
    try {
      await connector.start({ signal: stop.signal });
      connected = true;
      logger.info('connected; printing events as NDJSON on stdout');
      status.start();
      await stop.stopped;
    } catch (err) {
      fatal.caught(err);
    }
    shards = connector.status();
  } finally {
    // Whatever threw, release what was started; the signal handlers go last, so a second signal during the
    // close still exits at once.
    await releaseInOrder([() => connector.close(), () => status.stop(), () => stop.dispose()]);
  }

  if (fatal.error !== undefined) {
    say(formatFatal(fatal.error));
    return ExitCodes.FATAL;
  }
  // --duration is a wall-clock bound: ending a run that never got a session is a failure, not a clean stop.
  if (!connected && stop.signal.reason === 'duration' && config.durationMs !== undefined) {
    say(neverConnected(config.durationMs, shards));
    return ExitCodes.FATAL;
  }
  const reason = typeof stop.signal.reason === 'string' ? stop.signal.reason : 'stop';
  const summary = {
    durationMs: Math.round(performance.now() - startedAt),
    received,
    restarts: shardTotal(shards, 'restarts'),
    stopReason: reason,
  };
  say(config.json ? JSON.stringify({ type: 'summary', ...summary }) : formatLiveSummary(summary));
  return ExitCodes.OK;
}
