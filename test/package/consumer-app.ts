/**
 * A consumer's program: connects a QQBotConnector (a real worker thread) to a FakeQQServer, receives three events
 * and prints `{ seen, code }` as JSON. `modules` loads `QQBotConnector`, `Intents`, `ErrorCodes` and
 * `FakeQQServer` from the package, with `import` or `require`: the flow runs in an async function, valid in both.
 */
export function consumerApp(modules: 'import' | 'require'): string {
  const load =
    modules === 'import'
      ? `import { QQBotConnector, Intents, ErrorCodes } from 'qqbot-connector';\nimport { FakeQQServer } from 'qqbot-connector/testing';`
      : `const { QQBotConnector, Intents, ErrorCodes } = require('qqbot-connector');\nconst { FakeQQServer } = require('qqbot-connector/testing');`;
  return `${load}
(async () => {
  const fake = await FakeQQServer.start();
  const bot = new QQBotConnector({ appId: 'test-app', secret: 'test-secret', intents: Intents.GROUP_AND_C2C_EVENT, endpoints: fake.endpoints });
  const seen = [];
  bot.on('dispatch', (e) => seen.push(e.data.n));
  await bot.start();
  await fake.emitEvents(3);
  await fake.waitFor(() => seen.length === 3);
  await bot.close();
  await fake.close();
  console.log(JSON.stringify({ seen, code: ErrorCodes.BOT_BANNED }));
})();
`;
}

/** What {@link consumerApp} prints when everything worked. */
export const CONSUMER_OUTPUT = { seen: [0, 1, 2], code: 'QQBOT_BOT_BANNED' };
