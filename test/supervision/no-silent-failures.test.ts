import { afterEach, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { collect, rejection, untilCount, useFakeQQ } from '../helpers.js';

// Issue 11 §1: with no listener and no logger, a problem is reported the Node way (process.emitWarning), once
// per code, with the code and never the secret.

const SECRET = 'S3CRET-never-shown-0042';
const env = useFakeQQ({ secret: SECRET });
const warnings: (Error & { code?: string })[] = [];
const onWarning = (w: Error): void => void warnings.push(w);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

/** Resolves once a warning with `code` was emitted (they come on the next tick). */
async function warned(code: string): Promise<void> {
  await env.fake.waitFor(() => warnings.some((w) => w.code === code));
}

function expectNoSecret(): void {
  for (const w of warnings)
    expect(JSON.stringify({ message: w.message, name: w.name, code: w.code, stack: w.stack })).not.toContain(SECRET);
}

it("a fatal with no 'fatal' listener and no logger becomes one QQBotWarning with its code", async () => {
  const bot = env.make({ secret: SECRET });
  await bot.start();
  env.fake.closeConnections(4915);
  await warned(ErrorCodes.BOT_BANNED);
  await env.fake.waitFor(() => bot.status()[0]?.state === 'fatal');
  const ours = warnings.filter((w) => w.name === 'QQBotWarning');
  expect(ours.map((w) => w.code)).toStrictEqual([ErrorCodes.BOT_BANNED]);
  expectNoSecret();
});

it('refused credentials at start: start() rejects, and the fatal is also a warning that never carries the secret', async () => {
  const wrong = `${SECRET}-wrong`;
  const bot = env.make({ secret: wrong });
  expect((await rejection(bot.start())).code).toBe(ErrorCodes.CREDENTIALS_REFUSED);
  await warned(ErrorCodes.CREDENTIALS_REFUSED);
  for (const w of warnings) expect(`${w.message} ${w.stack ?? ''}`).not.toContain(wrong);
  expectNoSecret();
});

it("a throwing 'dispatch' listener with no 'error' listener: one warning for many throws, delivery goes on", async () => {
  const bot = env.make({ secret: SECRET });
  bot.on('dispatch', () => {
    throw new Error('host bug');
  });
  const events = collect(bot);
  await bot.start();
  await env.fake.emitEvents(5);
  await untilCount(bot, events, 5);
  await warned(ErrorCodes.LISTENER_THREW);
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.filter((w) => w.code === ErrorCodes.LISTENER_THREW)).toHaveLength(1);
  expect(events).toHaveLength(5);
  expectNoSecret();
});

it('with a logger, problems go to the logger and nothing goes to warnings', async () => {
  const logged: string[] = [];
  const record = (fields: unknown): void => void logged.push(String((fields as { code?: string }).code));
  const logger = { debug: () => undefined, info: () => undefined, warn: record, error: record };
  const bot = env.make({ secret: SECRET, logger });
  bot.on('dispatch', () => {
    throw new Error('host bug');
  });
  await bot.start();
  await env.fake.emitEvents(1);
  await env.fake.waitFor(() => logged.includes(ErrorCodes.LISTENER_THREW));
  env.fake.closeConnections(4915);
  await env.fake.waitFor(() => logged.includes(ErrorCodes.BOT_BANNED));
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.filter((w) => w.name === 'QQBotWarning')).toStrictEqual([]);
});

it("with an 'error' listener or a 'fatal' listener, nothing goes to warnings", async () => {
  const bot = env.make({ secret: SECRET });
  const heard: string[] = [];
  bot.on('error', (e) => heard.push(e.code));
  bot.on('fatal', (e) => heard.push(e.code));
  bot.on('dispatch', () => {
    throw new Error('host bug');
  });
  await bot.start();
  await env.fake.emitEvents(1);
  await env.fake.waitFor(() => heard.length === 1);
  env.fake.closeConnections(4915);
  await env.fake.waitFor(() => heard.length === 2);
  await new Promise((resolve) => setImmediate(resolve));
  expect(heard).toStrictEqual([ErrorCodes.LISTENER_THREW, ErrorCodes.BOT_BANNED]);
  expect(warnings.filter((w) => w.name === 'QQBotWarning')).toStrictEqual([]);
});
