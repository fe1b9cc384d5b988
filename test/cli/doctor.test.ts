import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/cli/doctor/checklist.js';
import { checkIntents } from '../../src/cli/doctor/intent-check.js';
import { run } from '../../src/cli/run.js';
import { QQBotConnector } from '../../src/connector.js';
import { Intents } from '../../src/protocol/intents.js';
import { FakeQQServer } from '../../src/testing/index.js';

const SECRET = 'doctor-test-secret';
let fake: FakeQQServer;
let bot: QQBotConnector | undefined;

beforeEach(async () => {
  fake = await FakeQQServer.start({ appId: 'test-app', secret: SECRET });
});

afterEach(async () => {
  await bot?.close();
  bot = undefined;
  await fake.close();
});

function env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    QQBOT_APP_ID: 'test-app',
    QQBOT_SECRET: SECRET,
    QQBOT_API_URL: fake.endpoints.api,
    QQBOT_TOKEN_URL: fake.endpoints.token,
    ...overrides,
  };
}

/** Runs the CLI in this process; stdout and stderr captured together. */
async function doctor(
  args: readonly string[],
  environment: NodeJS.ProcessEnv = env(),
): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const code = await run(['doctor', ...args], environment, { stdout: sink, stderr: sink });
  return { code, out };
}

async function doctorJson(
  args: readonly string[],
  environment?: NodeJS.ProcessEnv,
): Promise<{ code: number; ok: boolean; checks: Map<string, CheckResult> }> {
  const { code, out } = await doctor(['--json', ...args], environment);
  const doc = JSON.parse(out) as { ok: boolean; checks: CheckResult[] };
  return { code, ok: doc.ok, checks: new Map(doc.checks.map((c) => [c.id, c])) };
}

describe('qqbot-connector doctor: the platform checks, against FakeQQServer', () => {
  it('passes every check of a gateway bot with good credentials, exit 0, a ✓ per line, and never prints the secret', async () => {
    const { code, out } = await doctor([]);
    expect(code, out).toBe(0);
    for (const title of ['credentials', 'IP allow-list', 'gateway', 'intents'])
      expect(out).toMatch(new RegExp(`^✓ ${title}`, 'm'));
    expect(out).toContain('1 shard recommended; 1000 of 1000 session starts left');
    expect(out).toContain('All 4 checks passed.');
    expect(out).not.toContain('✗');
    expect(out).not.toContain(SECRET);
    expect(fake.stats.gatewayBotCalls).toBe(1);
  });

  it('--json: one document, ok true, each check with id, status and title', async () => {
    const { code, ok, checks } = await doctorJson([]);
    expect(code).toBe(0);
    expect(ok).toBe(true);
    expect([...checks.keys()]).toEqual(['credentials', 'ip-allow-list', 'gateway', 'intents']);
    expect(checks.get('gateway')).toMatchObject({ status: 'pass', facts: { shards: 1, remaining: 1000, total: 1000 } });
  });

  it('a wrong secret (100016): credentials ✗ saying which values to check, the rest skipped, exit 1', async () => {
    const { code, out } = await doctor([], env({ QQBOT_SECRET: 'not-the-secret' }));
    expect(code).toBe(1);
    expect(out).toMatch(/^✗ credentials .*code 100016/m);
    expect(out).toMatch(/fix: check QQBOT_SECRET \(or --secret-file\): it must be the AppSecret of AppID test-app/);
    expect(out).toMatch(/^– IP allow-list +not checked: needs "credentials \(access token\)" to pass first/m);
    expect(out).not.toContain('not-the-secret');
  });

  it('an invalid AppID (100007): the fix names QQBOT_APP_ID', async () => {
    fake.failToken(1, 200, { code: 100007, message: 'appid invalid' });
    const { code, checks } = await doctorJson([]);
    expect(code).toBe(1);
    expect(checks.get('credentials')).toMatchObject({ status: 'fail', facts: { qqCode: 100007 } });
    expect(checks.get('credentials')?.fix).toMatch(
      /^check QQBOT_APP_ID \(or --app-id\): test-app is not a valid AppID/,
    );
  });

  it('no credentials at all: credentials ✗ with how to give them, exit 1', async () => {
    const { code, out } = await doctor([], { QQBOT_API_URL: fake.endpoints.api });
    expect(code).toBe(1);
    expect(out).toMatch(
      /^✗ credentials .*QQBOT_APP_ID \(or --app-id\) and QQBOT_SECRET \(or --secret-file\) are not set/m,
    );
    expect(fake.stats.tokenCalls).toBe(0);
  });

  it('an IP not on the allow-list (11298): ✗ naming the list to edit and how to find the IP, /gateway/bot skipped', async () => {
    fake.rest.refuseCallerIp = true;
    const { code, out } = await doctor([]);
    expect(code).toBe(1);
    expect(out).toMatch(/^✓ credentials/m);
    expect(out).toMatch(/^✗ IP allow-list .*接口访问源IP不在白名单.*code 11298/m);
    expect(out).toContain('q.qq.com → development settings (开发设置) → IP allow-list (IP白名单)');
    expect(out).toContain('curl -s https://ifconfig.me');
    expect(out).toMatch(/^– gateway/m);
    expect(fake.stats.gatewayBotCalls).toBe(0);
  });

  it('no session starts left: gateway ✗ with when the count resets', async () => {
    await fake.close();
    fake = await FakeQQServer.start({
      appId: 'test-app',
      secret: SECRET,
      sessionStartRemaining: 0,
      sessionStartResetAfterMs: 3_600_000,
    });
    const before = Date.now();
    const { code, checks } = await doctorJson([]);
    expect(code).toBe(1);
    const gateway = checks.get('gateway')!;
    expect(gateway.status).toBe('fail');
    expect(gateway.summary).toMatch(
      /^0 of 1000 session starts left for the 1 shard recommended; the count resets in 1 h 0 min, at /,
    );
    expect(Date.parse(String(gateway.facts?.resetsAt)) - before).toBeGreaterThanOrEqual(3_600_000);
    expect(gateway.fix).toMatch(/a RESUME needs no session start/);
  });

  it('--intents as names or a number: an unknown bit and a private-only intent are ✗, --private accepts the latter', async () => {
    const unknown = await doctorJson(['--intents', String(Intents.GROUP_AND_C2C_EVENT | (1 << 24))]);
    expect(unknown.code).toBe(1);
    expect(unknown.checks.get('intents')).toMatchObject({ status: 'fail', facts: { unknown: ['1<<24'] } });
    const privateOnly = await doctorJson(['--intents', 'guild']);
    expect(privateOnly.checks.get('intents')?.summary).toMatch(/GUILD_MESSAGES is for private \(私域\) bots only/);
    const declared = await doctorJson(['--intents', 'guild', '--private']);
    expect(declared.code).toBe(0);
    expect(declared.checks.get('intents')).toMatchObject({ status: 'pass', facts: { names: ['GUILD_MESSAGES'] } });
  });

  it('bad usage exits 2: a --secret flag, --connect-to without --webhook-url, an unknown flag, a bad intent name', async () => {
    expect((await doctor(['--secret', 'x'])).code).toBe(2);
    expect((await doctor(['--connect-to', '127.0.0.1:1'])).out).toMatch(/--connect-to applies to --webhook-url only/);
    const unknown = await doctor(['--webhook-ur', 'https://x']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/did you mean --webhook-url\?/);
    expect((await doctor(['--intents', 'nope'])).code).toBe(2);
    expect((await doctor(['--webhook-url', 'https://x/', '--connect-to', 'nohost'])).out).toMatch(
      /--connect-to expects host:port/,
    );
    expect((await doctor(['--webhook-url', 'ftp://x/'])).code).toBe(2);
    expect((await doctor(['--sandbox', '--api-url', 'http://127.0.0.1:1'])).out).toMatch(
      /--sandbox and --api-url both set the API origin/,
    );
    expect((await doctor(['--help'])).out).toMatch(/^qqbot-connector doctor:/);
  });
});

describe('checkIntents', () => {
  it.each([
    [0, false, 'fail', /no intents/],
    [Intents.FORUMS_EVENT, false, 'fail', /FORUMS_EVENT is for private/],
    [Intents.GUILD_MESSAGES | Intents.FORUMS_EVENT, false, 'fail', /GUILD_MESSAGES and FORUMS_EVENT are for private/],
    [0x8000_0000, false, 'fail', /1<<31.*4013/],
    [
      Intents.PUBLIC_GUILD_MESSAGES | Intents.DIRECT_MESSAGE,
      false,
      'pass',
      /^DIRECT_MESSAGE \| PUBLIC_GUILD_MESSAGES \(0x40001000\)$/,
    ],
  ] as const)('%i (private %s) → %s', (bits, privateBot, status, summary) => {
    const result = checkIntents(bits, privateBot);
    expect(result.status).toBe(status);
    expect(result.summary).toMatch(summary);
  });
});

describe('qqbot-connector doctor --webhook-url (local listeners)', () => {
  it("plain HTTP on a random port: HTTPS ✗ and port ✗, and op 13 against the connector's own listener ✓", async () => {
    bot = new QQBotConnector({ appId: 'test-app', secret: SECRET, transport: { kind: 'webhook', port: 0 } });
    await bot.start();
    const port = bot.webhookAddress()!.port;
    const { code, checks } = await doctorJson(['--webhook-url', `http://127.0.0.1:${port}/qqbot`]);
    expect(code).toBe(1);
    expect(checks.get('webhook-https')).toMatchObject({ status: 'fail' });
    expect(checks.get('webhook-port')).toMatchObject({
      status: 'fail',
      summary: `${port} is not a port the platform calls`,
    });
    expect(checks.has('certificate-chain')).toBe(false);
    expect(checks.get('webhook-validation')).toMatchObject({ status: 'pass' });
    expect(checks.has('gateway')).toBe(false);
  });

  it('a self-signed certificate is ✗ (TLS verification stays on), op 13 is skipped', async () => {
    const { selfSignedCert } = await import('../../src/testing/index.js');
    bot = new QQBotConnector({
      appId: 'test-app',
      secret: SECRET,
      transport: { kind: 'webhook', port: 0, tls: selfSignedCert() },
    });
    await bot.start();
    const port = bot.webhookAddress()!.port;
    const { code, out } = await doctor([
      '--webhook-url',
      'https://localhost:8443/qqbot',
      '--connect-to',
      `127.0.0.1:${port}`,
    ]);
    expect(code).toBe(1);
    expect(out).toMatch(/^✓ webhook URL is HTTPS/m);
    expect(out).toMatch(/^✓ webhook port +8443/m);
    expect(out).toMatch(/^✗ certificate chain +the certificate is self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/m);
    expect(out).toMatch(/fix: the platform trusts certificates of public CAs only/);
    expect(out).toMatch(/^– URL validation \(op 13\) +not checked: the platform would refuse the certificate first/m);
  });

  it('nothing listening: the chain check says no handshake, with what to do', async () => {
    const { checks } = await doctorJson(['--webhook-url', 'https://localhost/qqbot', '--connect-to', `127.0.0.1:1`]);
    expect(checks.get('certificate-chain')).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/no TLS handshake with 127\.0\.0\.1:1 \(as localhost\): ECONNREFUSED/),
    });
    expect(checks.get('certificate-host')?.status).toBe('skip');
  });
});
