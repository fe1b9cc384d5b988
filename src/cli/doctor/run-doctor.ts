import { DEFAULT_ENDPOINTS, DEFAULT_TIMEOUTS } from '../../options/shared.js';
import { UsageError } from '../args.js';
import { ExitCodes, type CliIo } from '../io.js';
import { readSecret } from '../live.js';
import { createRedactor } from '../../util/redaction.js';
import { checklistJson, formatChecklist, type CheckResult } from './checklist.js';
import type { DoctorConfig } from './doctor-args.js';
import { checkIntents } from './intent-check.js';
import { platformChecks } from './platform-checks.js';
import { webhookChecks } from './webhook-checks.js';

/** The credentials, or why they are not usable (a failed check, not a usage error: finding that out is the doctor's job). */
async function credentials(config: DoctorConfig): Promise<{ appId: string; secret: string } | string> {
  const missing = [
    config.appId === undefined ? 'QQBOT_APP_ID (or --app-id)' : undefined,
    config.secret === undefined ? 'QQBOT_SECRET (or --secret-file)' : undefined,
  ].filter((name) => name !== undefined);
  if (missing.length > 0) return `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set`;
  try {
    return { appId: config.appId!, secret: await readSecret(config.secret!) };
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

/**
 * `qqbot-connector doctor`: the checks a bot author runs on the production machine before going live, as a
 * checklist (✓/✗, the fix under each ✗) or one JSON document. Exit code 0 only when every check passed.
 */
export async function runDoctor(config: DoctorConfig, io: CliIo): Promise<number> {
  const creds = await credentials(config);
  const endpoints = {
    token: config.endpoints.token ?? DEFAULT_ENDPOINTS.token,
    api: config.endpoints.api ?? DEFAULT_ENDPOINTS.api,
  };
  const gateway = config.intents !== undefined;
  const timeoutMs = DEFAULT_TIMEOUTS.httpMs;
  const now = Date.now;
  const checks: CheckResult[] = [];
  const notes: string[] = [];

  checks.push(
    ...(await platformChecks({ credentials: creds, endpoints, sandbox: config.sandbox, gateway, timeoutMs, now })),
  );
  if (config.intents !== undefined) checks.push(checkIntents(config.intents, config.privateBot));
  else
    notes.push(
      'a webhook bot: the gateway and intents are not checked (the console chooses the events); add --intents to check them too',
    );
  if (config.webhook !== null) {
    checks.push(
      ...(await webhookChecks({
        ...config.webhook,
        credentials: typeof creds === 'string' ? undefined : creds,
        extraCaCerts: config.extraCaCerts,
        timeoutMs,
        now,
      })),
    );
  } else {
    notes.push('no --webhook-url: the callback URL is not checked');
  }

  // Nothing the doctor prints may contain the secret, whatever a server echoed back.
  const redact = createRedactor(typeof creds === 'string' ? [] : [creds.secret]);
  const heading = `qqbot-connector doctor: AppID ${typeof creds === 'string' ? (config.appId ?? '(not set)') : creds.appId}, API ${endpoints.api}, token ${endpoints.token}`;
  io.stdout.write(redact(config.json ? checklistJson(checks, notes) : formatChecklist(heading, checks, notes)));
  return checks.every((c) => c.status === 'pass') ? ExitCodes.OK : ExitCodes.FATAL;
}
