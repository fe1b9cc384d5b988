import { ErrorCodes, type ErrorCode } from '../errors.js';

/** What an operator should do about each fatal error code. The full table is docs/errors.md. */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.CREDENTIALS_REFUSED]: 'credentials refused: check QQBOT_APP_ID/QQBOT_SECRET (or --app-id/--secret-file)',
  [ErrorCodes.GATEWAY_AUTH_FAILED]:
    'the gateway refused the token: check the credentials, and --sandbox for a sandbox-only bot',
  [ErrorCodes.GATEWAY_CONFIG_REJECTED]:
    'the gateway rejected the shard or intent settings: check --shards and that the bot may use every --intents name',
  [ErrorCodes.BOT_DELISTED]:
    'the bot is delisted: connect with --sandbox, or get it listed again in the QQ developer console',
  [ErrorCodes.BOT_BANNED]: 'the bot is banned: contact the platform; reconnecting will not help',
  [ErrorCodes.WORKER_BOOTSTRAP]: 'the worker thread could not load: reinstall or rebuild the package (npm run build)',
  [ErrorCodes.RESTART_BUDGET]:
    'too many restarts in a short time: the warnings above show the cause (network, endpoints, platform)',
  [ErrorCodes.TOO_MANY_SHARDS]:
    'the platform recommends more shards than one connector runs (--shards auto): retrying will not help',
  [ErrorCodes.INVALID_OPTION]: 'an option is invalid: check the flags and environment variables',
};

export function adviceFor(code: string): string {
  return ADVICE[code as ErrorCode] ?? 'see docs/errors.md for this code';
}

/** The fatal error as the CLI prints it on stderr: code and advice, then the error's own message. */
export function formatFatal(error: { code: string; message: string }): string {
  return `fatal: ${error.code}: ${adviceFor(error.code)}\n  (${error.message})`;
}
