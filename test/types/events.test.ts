import { describe, expectTypeOf, it } from 'vitest';
import {
  type QQBotConnector,
  type DispatchEvent,
  type QQBotError,
  type ReadyEvent,
  type RestartEvent,
  type ResumedEvent,
  type ShardStatus,
  type WorkerStatus,
} from '../../src/index.js';

// These assertions are checked by `npm run typecheck` (tsc over test/); at run time they are no-ops.
describe('public types', () => {
  it('pins the listener signature of every connector event', () => {
    const bot = {} as QQBotConnector;
    expectTypeOf(bot.on<'dispatch'>)
      .parameter(1)
      .toEqualTypeOf<(event: DispatchEvent) => void>();
    expectTypeOf(bot.on<'ready'>)
      .parameter(1)
      .toEqualTypeOf<(event: ReadyEvent) => void>();
    expectTypeOf(bot.on<'resumed'>)
      .parameter(1)
      .toEqualTypeOf<(event: ResumedEvent) => void>();
    expectTypeOf(bot.on<'restart'>)
      .parameter(1)
      .toEqualTypeOf<(event: RestartEvent) => void>();
    expectTypeOf(bot.on<'fatal'>)
      .parameter(1)
      .toEqualTypeOf<(error: QQBotError) => void>();
    expectTypeOf(bot.on<'error'>)
      .parameter(1)
      .toEqualTypeOf<(error: QQBotError) => void>();
    expectTypeOf(bot.on<'debug'>)
      .parameter(1)
      .toEqualTypeOf<(message: string) => void>();
  });

  it('pins the dispatch event and the methods of the public surface', () => {
    expectTypeOf<DispatchEvent>().toMatchTypeOf<{
      shard: number;
      seq: number;
      id?: string | undefined;
      data: unknown;
    }>();
    expectTypeOf<RestartEvent>().toMatchTypeOf<{ shard: number; reason: string; attempt: number; delayMs: number }>();
    expectTypeOf<QQBotConnector['start']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<QQBotConnector['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<QQBotConnector['terminateWorker']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<QQBotConnector['status']>().returns.toEqualTypeOf<ShardStatus[]>();
    expectTypeOf<QQBotConnector['workerStatus']>().returns.toEqualTypeOf<Promise<WorkerStatus>>();
  });
});
