import { afterEach, expect, it } from 'vitest';
import type { QQBotConnector } from '../../src/connector.js';
import type { QQBotError } from '../../src/errors.js';
import { FakeQQServer, type FakeQQServerOptions } from '../../src/testing/index.js';
import { connectorFor, type Overrides } from '../helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  fakeOptions: FakeQQServerOptions = {},
  overrides: Overrides = {},
): Promise<{ fake: FakeQQServer; bot: QQBotConnector; errors: QQBotError[]; fatals: QQBotError[] }> {
  const fake = await FakeQQServer.start(fakeOptions);
  cleanups.push(() => fake.close());
  const bot = connectorFor(fake, { shards: 'auto', ...overrides });
  cleanups.push(() => bot.close());
  const errors: QQBotError[] = [];
  const fatals: QQBotError[] = [];
  bot.on('error', (e) => errors.push(e));
  bot.on('fatal', (e) => fatals.push(e));
  return { fake, bot, errors, fatals };
}

it("shards: 'auto' opens the count GET /gateway/bot recommends, IDENTIFYs spaced by max_concurrency", async () => {
  const { fake, bot } = await setup({ shards: 2 });
  await bot.start();
  expect(bot.status().map((s) => s.state)).toEqual(['ready', 'ready']);
  expect(fake.stats.identifies.map((i) => i.shard).sort()).toEqual([
    [0, 2],
    [1, 2],
  ]);
  const [first, second] = fake.stats.identifies.map((i) => i.at);
  expect((second as number) - (first as number)).toBeGreaterThanOrEqual(4_950);
  expect(bot.health().ok).toBe(true);
});

it('a failing GET /gateway/bot is retried with backoff until it answers; each failure is a retryable error', async () => {
  const { fake, bot, errors } = await setup();
  fake.failGatewayBot(3, 503);
  await bot.start();
  expect(bot.status()).toHaveLength(1);
  expect(errors.map((e) => [e.code, e.retryable])).toEqual(
    Array.from({ length: 3 }, () => ['QQBOT_GATEWAY_UNAVAILABLE', true]),
  );
  // Three refused plus the count, then the attempt's own fetch of the gateway URL.
  expect(fake.stats.gatewayBotCalls).toBe(5);
});

it('more than restart.maxRestarts failures within windowMs escalate as a shard does: QQBOT_RESTART_BUDGET, a new token, maxDelayMs', async () => {
  const maxDelayMs = 300;
  const { fake, bot, errors } = await setup(
    {},
    { restart: { minDelayMs: 1, maxDelayMs, maxRestarts: 2, windowMs: 60_000 } },
  );
  fake.failGatewayBot(3, 503);
  let escalatedAt = 0;
  bot.on('error', (e) => {
    if (e.code === 'QQBOT_RESTART_BUDGET') escalatedAt = performance.now();
  });
  await bot.start();
  expect(performance.now() - escalatedAt).toBeGreaterThanOrEqual(maxDelayMs - 5);
  expect(errors.map((e) => [e.code, e.retryable])).toEqual([
    ['QQBOT_GATEWAY_UNAVAILABLE', true],
    ['QQBOT_GATEWAY_UNAVAILABLE', true],
    ['QQBOT_GATEWAY_UNAVAILABLE', true],
    ['QQBOT_RESTART_BUDGET', true],
  ]);
  expect(errors[3]?.details).toMatchObject({ maxRestarts: 2, windowMs: 60_000, failures: 3 });
  // The clean slate: the try after the escalation asked for a new token.
  expect(fake.stats.tokenCalls).toBe(2);
  expect(bot.status().map((s) => s.state)).toEqual(['ready']);
});

it('refused credentials are fatal before any shard starts', async () => {
  const { fake, bot, fatals } = await setup({}, { secret: 'not-the-secret' });
  await expect(bot.start()).rejects.toMatchObject({ code: 'QQBOT_CREDENTIALS_REFUSED', retryable: false });
  expect(fatals.map((e) => e.code)).toEqual(['QQBOT_CREDENTIALS_REFUSED']);
  expect(fake.stats.gatewayBotCalls).toBe(0);
  expect(bot.status()).toEqual([]);
});

it('a recommended count above MAX_SHARDS is fatal at once (QQBOT_TOO_MANY_SHARDS), not retried: no retry can change it', async () => {
  const { fake, bot, errors, fatals } = await setup({ shards: 2000 });
  await expect(bot.start()).rejects.toMatchObject({
    code: 'QQBOT_TOO_MANY_SHARDS',
    retryable: false,
    details: { recommended: 2000, maxShards: 1024 },
  });
  expect(fatals.map((e) => e.code)).toEqual(['QQBOT_TOO_MANY_SHARDS']);
  expect(errors).toEqual([]);
  expect(fake.stats.gatewayBotCalls).toBe(1);
  expect(fake.stats.identifies).toEqual([]);
  expect(bot.status()).toEqual([]);
});

it('a 401 from GET /gateway/bot refreshes the token once; a second 401 is fatal', async () => {
  const { fake, bot, fatals } = await setup();
  fake.failGatewayBot(2, 401);
  await expect(bot.start()).rejects.toMatchObject({ code: 'QQBOT_GATEWAY_AUTH_FAILED' });
  expect(fatals.map((e) => e.code)).toEqual(['QQBOT_GATEWAY_AUTH_FAILED']);
  expect(fake.stats.gatewayBotCalls).toBe(2);
  expect(fake.stats.tokenCalls).toBe(2);
});

it('the opt-in restart.giveUpAfterMs ends the wait for the count with a fatal QQBOT_GAVE_UP', async () => {
  const { fake, bot, fatals } = await setup({}, { restart: { minDelayMs: 10, maxDelayMs: 50, giveUpAfterMs: 300 } });
  fake.failGatewayBot(1_000, 503);
  await expect(bot.start()).rejects.toMatchObject({
    code: 'QQBOT_GAVE_UP',
    cause: { code: 'QQBOT_GATEWAY_UNAVAILABLE' },
  });
  expect(fatals.map((e) => e.code)).toEqual(['QQBOT_GAVE_UP']);
});

it('close() while the count is being retried rejects start() with QQBOT_CLOSED', async () => {
  const { fake, bot } = await setup();
  fake.hangGatewayBot(100);
  const started = bot.start().catch((e: unknown) => e);
  await fake.waitFor(() => fake.stats.gatewayBotCalls >= 1);
  await bot.close();
  expect(await started).toMatchObject({ code: 'QQBOT_CLOSED' });
  expect(bot.health().ok).toBe(false);
});
