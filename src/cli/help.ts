import {
  DEFAULT_CHAOS_MS,
  DEFAULT_DEMO_DURATION_S,
  DEFAULT_RATE_PER_SEC,
  DEFAULT_WEBHOOK_PORT,
  MAX_DEMO_BOTS,
  SANDBOX_API_URL,
} from './args.js';
import { EXPIRY_MARGIN_DAYS, PLATFORM_PORTS } from './doctor/webhook-checks.js';
import { DEFAULT_INTENTS, describeIntentNames } from './intents.js';

/** The `--help` text. Keep it in step with docs/cli.md. */
export function helpText(): string {
  return `qqbot-connector: connect to the QQ Official Bot gateway from the shell.

Usage:
  qqbot-connector [--demo] [--rate <n>] [--chaos <ms>] [common flags]
  QQBOT_APP_ID=… QQBOT_SECRET=… qqbot-connector [live flags] [common flags]
  qqbot-connector --app-id <id> --secret-file <path> [live flags] [common flags]
  qqbot-connector doctor [doctor flags]     check a production machine before going live (doctor --help)

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

/** The `doctor --help` text. Keep it in step with docs/cli.md. */
export function doctorHelpText(): string {
  return `qqbot-connector doctor: check this machine, the credentials and the callback URL before going live.

Usage:
  QQBOT_APP_ID=… QQBOT_SECRET=… qqbot-connector doctor [--intents <list|number>] [--private]
  QQBOT_APP_ID=… QQBOT_SECRET=… qqbot-connector doctor --webhook-url https://host[:port]/path [--connect-to <host:port>]

Checks, each a line with ✓ or ✗ and, under each ✗, the fix: the token endpoint accepts the credentials; the
OpenAPI accepts this machine's IP (allow-list, code 11298); GET /gateway/bot (shards, session starts left);
the intents; and for --webhook-url: HTTPS, a port the platform calls (${PLATFORM_PORTS.join(', ')}), the certificate (trusted
chain, host name, not expiring within ${EXPIRY_MARGIN_DAYS} days) and an op 13 validation signed as the platform signs it.

Flags:
  --app-id <id>, --secret-file <path>, --sandbox, --api-url <url>, --token-url <url>   as in live mode
  --intents <list|number>  the bot's intents: names as in live mode, or a number (decimal or 0x…)
                           (default ${DEFAULT_INTENTS}; with --webhook-url and no --intents: not checked)
  --private                the bot is a private (私域) bot: GUILD_MESSAGES and FORUMS_EVENT are allowed
  --webhook-url <url>      the callback URL set in the QQ console
  --connect-to <host:port> reach the URL at this address instead (one replica, or before DNS points here);
                           the URL's host is still the name checked against the certificate
  --json                   one JSON document on stdout: {"ok", "checks": [{"id", "status", "summary", "fix"?, …}]}

Exit codes: 0 every check passed · 1 a check did not pass · 2 bad usage. See docs/cli.md.
`;
}
