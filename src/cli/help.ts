import { DEFAULT_CHAOS_MS, DEFAULT_DEMO_DURATION_S, DEFAULT_RATE_PER_SEC, DEFAULT_WEBHOOK_PORT, MAX_DEMO_BOTS, SANDBOX_API_URL } from './args.js';
import { DEFAULT_INTENTS, describeIntentNames } from './intents.js';

/** The `--help` text. Keep it in step with docs/cli.md. */
export function helpText(): string {
  return `qqbot-connector: connect to the QQ Official Bot gateway from the shell.

Usage:
  qqbot-connector [--demo] [--rate <n>] [--chaos <ms>] [common flags]
  QQBOT_APP_ID=… QQBOT_SECRET=… qqbot-connector [live flags] [common flags]
  qqbot-connector --app-id <id> --secret-file <path> [live flags] [common flags]

Without credentials it runs a demo against an embedded fake QQ: events stream in, the worker thread is
killed every second, and after ${DEFAULT_DEMO_DURATION_S} s the summary shows that nothing was lost or duplicated. With credentials it connects to the
real platform and prints each event as one JSON line on stdout; logs go to stderr.

Demo flags:
  --demo               run the demo even when credentials are set
  --rate <n>           events per second the fake sends (default ${DEFAULT_RATE_PER_SEC})
  --chaos <ms>         kill the worker thread every <ms> ms while events flow (default ${DEFAULT_CHAOS_MS}; 0: no kills)
  --webhook            the fake POSTs signed HTTP callbacks to a webhook listener instead of the gateway
  --bots <n>           run <n> bots in this process, sharing worker threads (default 1, at most ${MAX_DEMO_BOTS});
                       the rate is split between them and the summary shows each bot and the total

Live flags:
  --app-id <id>        the bot's AppID (or env QQBOT_APP_ID)
  --secret-file <path> read the AppSecret from a file (or env QQBOT_SECRET); never pass it as an argument
  --sandbox            use the sandbox API origin (${SANDBOX_API_URL})
  --api-url <url>      API origin override (or env QQBOT_API_URL)
  --token-url <url>    token endpoint override (or env QQBOT_TOKEN_URL)
  --transport <kind>   websocket (default) or webhook: take the platform's HTTP callbacks (docs/webhook.md)
  --port <n>           the webhook listener's port on 127.0.0.1 (default ${DEFAULT_WEBHOOK_PORT}); put a TLS proxy in front

Common flags:
  --intents <list>     comma-separated intent names (default ${DEFAULT_INTENTS})
  --shards <n|auto>    number of shards (default 1); auto (live): the count
                       GET /gateway/bot recommends
  --duration <s>       stop by itself after <s> seconds; 0 runs until Ctrl-C / SIGTERM
                       (default: ${DEFAULT_DEMO_DURATION_S} in the demo, until Ctrl-C / SIGTERM live)
  --json               machine-readable: the demo's summary as one JSON object on stdout; in live mode a
                       JSON status line on stderr every second and a JSON summary at the end
  --verbose            log debug lines to stderr
  -h, --help           show this help
  -v, --version        print the version

Intent names: ${describeIntentNames()}; the Intents constant names (e.g. PUBLIC_GUILD_MESSAGES) work too.

Exit codes: 0 stopped cleanly · 1 fatal connector error, the demo saw a lost/duplicated event, or live mode
never connected within --duration · 2 bad usage.
See docs/cli.md for the details.
`;
}
