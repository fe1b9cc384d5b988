// An echo bot: answers every group @-message and every private (C2C) message with its own text.
//
//   npm run build && QQBOT_APP_ID=… QQBOT_SECRET=… node dist/examples/echo-bot.js
//
// QQBOT_API_URL and QQBOT_TOKEN_URL point it elsewhere (the sandbox, or a FakeQQServer in tests).
//
// `bot.reply(event, content)` picks the endpoint from the event, sets msg_id and a fresh msg_seq, and refuses
// (QQBOT_PASSIVE_REPLY_EXPIRED / QQBOT_PASSIVE_REPLY_LIMIT) what the platform would refuse, without sending it.
import { QQBotConnector, Intents, type TypedDispatchEvent } from 'qqbot-connector';

const appId = process.env.QQBOT_APP_ID;
const secret = process.env.QQBOT_SECRET;
if (appId === undefined || secret === undefined) {
  console.error('Set QQBOT_APP_ID and QQBOT_SECRET.');
  process.exit(1);
}

const api = process.env.QQBOT_API_URL;
const token = process.env.QQBOT_TOKEN_URL;
const bot = new QQBotConnector({
  appId,
  secret,
  intents: Intents.GROUP_AND_C2C_EVENT,
  // For a sandbox bot: QQBOT_API_URL=https://sandbox.api.sgroup.qq.com
  endpoints: { ...(api === undefined ? {} : { api }), ...(token === undefined ? {} : { token }) },
});

/** Group @-messages and private messages: each listener gets its own type, `e.data` typed. */
function echo(event: TypedDispatchEvent<'GROUP_AT_MESSAGE_CREATE'> | TypedDispatchEvent<'C2C_MESSAGE_CREATE'>): void {
  // A group @-message's content starts with a space: the mention is stripped.
  const text = event.data.content.trim();
  if (text === '') return;
  bot.reply(event, `echo: ${text}`).then(
    (result) => {
      if (result.status === 'audit') console.log(`held for audit: ${result.auditId}`);
    },
    (err: unknown) => {
      // Every error has a stable code: QQBOT_PASSIVE_REPLY_EXPIRED, QQBOT_PASSIVE_REPLY_LIMIT, QQBOT_API_ERROR (with
      // status, qqCode, traceId), QQBOT_HTTP_TIMEOUT, … Never the secret or the token in the message.
      const { code, message } = err as { code?: string; message?: string };
      console.error(`reply failed: ${code ?? 'unknown'}: ${message ?? String(err)}`);
    },
  );
}

bot.on('GROUP_AT_MESSAGE_CREATE', echo);
bot.on('C2C_MESSAGE_CREATE', echo);

bot.on('fatal', (err) => {
  console.error(`fatal: ${err.code}: ${err.message}`);
  process.exitCode = 1;
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bot.close();
  });
}

await bot.start();
console.log('echo bot is up');
