import { ErrorCodes, QQBotError } from '../../errors.js';
import { QQApiCodes, QQApiError } from '../../http/api-error.js';
import { QQOpenAPI } from '../../http/openapi.js';
import { TokenManager } from '../../http/token-manager.js';
import { untrustedText } from '../../util/untrusted-text.js';
import { fail, inSequence, pass, skip, type CheckResult } from './checklist.js';

export interface PlatformTarget {
  /** The credentials, or why there are none (missing, an unreadable secret file): then the credentials check fails with it. */
  credentials: { appId: string; secret: string } | string;
  endpoints: { token: string; api: string };
  sandbox: boolean;
  /** Also ask `GET /gateway/bot` (a gateway bot). */
  gateway: boolean;
  timeoutMs: number;
  now: () => number;
}

const CONSOLE = 'q.qq.com → development settings (开发设置)';

/** The token endpoint's refusals (its `code`) and which value to check. */
const TOKEN_FIXES: Readonly<Record<number, (appId: string) => string>> = {
  100016: (appId) =>
    `check QQBOT_SECRET (or --secret-file): it must be the AppSecret of AppID ${appId}, copied from ${CONSOLE}; resetting it there invalidates the old one. Check the AppID too`,
  100007: (appId) => `check QQBOT_APP_ID (or --app-id): ${appId} is not a valid AppID; copy it from ${CONSOLE}`,
  100001: () => 'the token endpoint rate-limited this app: wait a minute, then run the doctor again',
};

function hostOf(url: string): string {
  return new URL(url).host;
}

/** The fix for a failure that is not one of the platform's answers: reaching the host, or the error's own code. */
function genericFix(err: unknown, url: string): string {
  const code = err instanceof QQBotError ? err.code : undefined;
  if (code === ErrorCodes.NETWORK || code === ErrorCodes.HTTP_TIMEOUT) {
    return `this machine could not reach ${hostOf(url)} : check DNS, the firewall and any outbound proxy`;
  }
  return code === undefined ? 'see the message above' : `see ${code} in docs/errors.md`;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function checkCredentials(tokens: TokenManager, appId: string, target: PlatformTarget): Promise<CheckResult> {
  try {
    await tokens.get();
    const expiresAt = tokens.peek()?.expiresAt;
    const validS = expiresAt === undefined ? undefined : Math.round((expiresAt - target.now()) / 1000);
    return pass(
      'credentials',
      `the token endpoint issued an access token for AppID ${appId}${validS === undefined ? '' : ` (valid ${validS} s)`}`,
    );
  } catch (err) {
    const qqCode = err instanceof QQBotError ? err.details?.qqCode : undefined;
    const fix = typeof qqCode === 'number' ? TOKEN_FIXES[qqCode] : undefined;
    return fail('credentials', messageOf(err), fix?.(appId) ?? genericFix(err, target.endpoints.token), {
      qqCode: qqCode ?? null,
    });
  }
}

/** `GET /users/@me`: the cheapest call that the IP allow-list guards (as it guards every OpenAPI call and the gateway). */
async function checkAllowList(api: QQOpenAPI, target: PlatformTarget): Promise<CheckResult> {
  try {
    const me = await api.getMe();
    const sandbox = target.sandbox ? ' (the sandbox has no allow-list: run without --sandbox to check production)' : '';
    const [username, id] = [untrustedText(me.username), untrustedText(me.id)];
    return pass('ip-allow-list', `this machine may call the OpenAPI: bot ${username} (id ${id})${sandbox}`, {
      botId: id,
      username,
    });
  } catch (err) {
    if (
      err instanceof QQApiError &&
      (err.qqCode === QQApiCodes.IP_NOT_ALLOWED || err.errCode === QQApiCodes.IP_NOT_ALLOWED)
    ) {
      return fail(
        'ip-allow-list',
        `the platform refused this machine's IP: "${untrustedText(err.platformMessage ?? '')}" (code ${QQApiCodes.IP_NOT_ALLOWED}${err.traceId === undefined ? '' : `, trace ${untrustedText(err.traceId)}`})`,
        `add this machine's public outbound IP to ${CONSOLE} → IP allow-list (IP白名单). The answer does not say which IP the platform ` +
          'saw: `curl -s https://ifconfig.me` on this machine prints it (behind NAT or a proxy, the exit address). Every machine and ' +
          'replica that calls the API or the gateway needs its IP there',
        { qqCode: QQApiCodes.IP_NOT_ALLOWED, traceId: err.traceId === undefined ? null : untrustedText(err.traceId) },
      );
    }
    return fail('ip-allow-list', messageOf(err), genericFix(err, target.endpoints.api));
  }
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.ceil(ms / 1000)} s`;
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

async function checkGateway(api: QQOpenAPI, target: PlatformTarget): Promise<CheckResult> {
  let info;
  try {
    info = await api.getGatewayBot();
  } catch (err) {
    return fail('gateway', messageOf(err), genericFix(err, target.endpoints.api));
  }
  const { total, remaining, reset_after: resetAfterMs, max_concurrency: maxConcurrency } = info.session_start_limit;
  const resetsAt = new Date(target.now() + resetAfterMs).toISOString();
  const facts = { shards: info.shards, total, remaining, resetAfterMs, resetsAt, maxConcurrency };
  const reset = `resets in ${duration(resetAfterMs)}, at ${resetsAt}`;
  if (remaining < info.shards) {
    return fail(
      'gateway',
      `${remaining} of ${total} session starts left for the ${info.shards} shard${info.shards === 1 ? '' : 's'} recommended; the count ${reset}`,
      'until then a new session (IDENTIFY) is refused: keep a running bot running (a RESUME needs no session start) and start ' +
        'new ones after the reset; a crash or restart loop that identifies each time is what spends them',
      facts,
    );
  }
  return pass(
    'gateway',
    `${info.shards} shard${info.shards === 1 ? '' : 's'} recommended; ${remaining} of ${total} session starts left (${reset}); ${maxConcurrency} IDENTIFY per 5 s`,
    facts,
  );
}

/** Token fetch, then the allow-list, then (for a gateway bot) `GET /gateway/bot`; each runs only when the one before passed. */
export async function platformChecks(target: PlatformTarget): Promise<CheckResult[]> {
  const { credentials } = target;
  if (typeof credentials === 'string') {
    const fix = 'set QQBOT_APP_ID and QQBOT_SECRET (or pass --app-id and --secret-file <path>), as the bot gets them';
    const later = target.gateway ? (['ip-allow-list', 'gateway'] as const) : (['ip-allow-list'] as const);
    return [fail('credentials', credentials, fix), ...later.map((id) => skip(id, 'credentials'))];
  }
  const tokens = new TokenManager({
    ...credentials,
    url: target.endpoints.token,
    timeoutMs: target.timeoutMs,
    now: target.now,
  });
  const api = QQOpenAPI.fromTokenManager(tokens, {
    apiBase: target.endpoints.api,
    timeouts: { httpMs: target.timeoutMs },
  });
  try {
    return await inSequence([
      { id: 'credentials', run: () => checkCredentials(tokens, credentials.appId, target) },
      { id: 'ip-allow-list', run: () => checkAllowList(api, target) },
      ...(target.gateway ? [{ id: 'gateway' as const, run: () => checkGateway(api, target) }] : []),
    ]);
  } finally {
    await api.close();
  }
}
