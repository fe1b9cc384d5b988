import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { CheckResult } from '../../src/cli/doctor/checklist.js';
import { QQBotConnector } from '../../src/connector.js';
import { FakeQQServer, selfSignedCert, type SelfSignedCert } from '../../src/testing/index.js';
import { killAll, startCli } from './cli-process.js';

// The certificates below are trusted only through NODE_EXTRA_CA_CERTS, which Node reads at start: so the doctor
// runs as a child process, as a user runs it. The platform would trust none of them.
const SECRET = 'doctor-tls-secret';
const DAY_MS = 86_400_000;
let dir: string;
let bundle: string;
let fake: FakeQQServer;
let certs: Record<'good' | 'expired' | 'otherHost' | 'expiring', SelfSignedCert>;
let bot: QQBotConnector | undefined;
let server: Server | undefined;

beforeAll(async () => {
  const now = Date.now();
  certs = {
    good: selfSignedCert('doctor good', { hosts: ['localhost'], notAfter: new Date(now + 90 * DAY_MS) }),
    expired: selfSignedCert('doctor expired', {
      hosts: ['localhost'],
      notBefore: new Date(now - 30 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    }),
    otherHost: selfSignedCert('doctor other host', { hosts: ['other.example'], notAfter: new Date(now + 90 * DAY_MS) }),
    expiring: selfSignedCert('doctor expiring', { hosts: ['localhost'], notAfter: new Date(now + 5 * DAY_MS) }),
  };
  dir = await mkdtemp(join(tmpdir(), 'qqbot-doctor-'));
  bundle = join(dir, 'extra-ca.pem');
  await writeFile(
    bundle,
    Object.values(certs)
      .map((c) => c.cert)
      .join(''),
  );
  fake = await FakeQQServer.start({ appId: 'test-app', secret: SECRET });
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await killAll();
  await bot?.close();
  bot = undefined;
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  }
});

/** The connector's own webhook listener over HTTPS with `tls`, on a free port. */
async function listener(tls: SelfSignedCert): Promise<number> {
  bot = new QQBotConnector({ appId: 'test-app', secret: SECRET, transport: { kind: 'webhook', port: 0, tls } });
  await bot.start();
  return bot.webhookAddress()!.port;
}

async function doctor(
  url: string,
  port: number,
): Promise<{ code: number | null; checks: Map<string, CheckResult>; text: string }> {
  const env = {
    QQBOT_APP_ID: 'test-app',
    QQBOT_SECRET: SECRET,
    QQBOT_API_URL: fake.endpoints.api,
    QQBOT_TOKEN_URL: fake.endpoints.token,
    NODE_EXTRA_CA_CERTS: bundle,
  };
  const cli = startCli(['doctor', '--json', '--webhook-url', url, '--connect-to', `127.0.0.1:${port}`], env);
  const { code } = await cli.exit(15_000);
  const text = cli.stdout() + cli.stderr();
  const doc = JSON.parse(cli.stdout()) as { checks: CheckResult[] };
  return { code, checks: new Map(doc.checks.map((c) => [c.id, c])), text };
}

const statuses = (checks: Map<string, CheckResult>): Record<string, string> =>
  Object.fromEntries([...checks].map(([id, c]) => [id, c.status]));

it("a trusted certificate for the URL's host, a platform port and the connector's own listener: every check ✓, exit 0", async () => {
  const port = await listener(certs.good);
  const { code, checks, text } = await doctor('https://localhost:8443/qqbot', port);
  expect(code, text).toBe(0);
  expect(statuses(checks)).toEqual({
    credentials: 'pass',
    'ip-allow-list': 'pass',
    'webhook-https': 'pass',
    'webhook-port': 'pass',
    'certificate-chain': 'pass',
    'certificate-host': 'pass',
    'certificate-expiry': 'pass',
    'webhook-validation': 'pass',
  });
  expect(checks.get('certificate-chain')?.summary).toMatch(
    /NODE_EXTRA_CA_CERTS is set: a CA it adds is trusted here, not by the platform/,
  );
  expect(text).not.toContain(SECRET);

  // The same listener under a URL with a port the platform does not call: that one line fails.
  const wrongPort = await doctor('https://localhost:9443/qqbot', port);
  expect(wrongPort.code).toBe(1);
  expect(wrongPort.checks.get('webhook-port')).toMatchObject({
    status: 'fail',
    summary: '9443 is not a port the platform calls',
  });
  expect(wrongPort.checks.get('webhook-validation')?.status).toBe('pass');
});

it('an expired certificate: expiry ✗ (CERT_HAS_EXPIRED), op 13 not tried', async () => {
  const port = await listener(certs.expired);
  const { code, checks } = await doctor('https://localhost/qqbot', port);
  expect(code).toBe(1);
  expect(checks.get('certificate-expiry')).toMatchObject({
    status: 'fail',
    summary: 'the certificate has expired (CERT_HAS_EXPIRED)',
  });
  expect(checks.get('webhook-validation')?.status).toBe('skip');
});

it('a certificate for another host name: host ✗ naming what it is for, its expiry still read', async () => {
  const port = await listener(certs.otherHost);
  const { code, checks } = await doctor('https://localhost:8080/qqbot', port);
  expect(code).toBe(1);
  expect(checks.get('certificate-chain')?.status).toBe('pass');
  expect(checks.get('certificate-host')).toMatchObject({
    status: 'fail',
    summary: 'the certificate is for DNS:other.example, not localhost',
  });
  expect(checks.get('certificate-expiry')?.status).toBe('pass');
  expect(checks.get('webhook-validation')?.status).toBe('skip');
});

it('a certificate expiring in 5 days: expiry ✗ with the date, the rest ✓', async () => {
  const port = await listener(certs.expiring);
  const { code, checks } = await doctor('https://localhost:443/qqbot', port);
  expect(code).toBe(1);
  expect(checks.get('certificate-expiry')).toMatchObject({ status: 'fail', facts: { daysLeft: 4 } });
  expect(checks.get('certificate-expiry')?.summary).toMatch(
    /^the certificate expires 20\d\d-.*, in 4 days \(less than 14\)$/,
  );
  expect(checks.get('webhook-validation')?.status).toBe('pass');
});

it('a listener that answers op 13 with a wrong signature: op 13 ✗', async () => {
  server = createServer({ key: certs.good.key, cert: certs.good.cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { d } = JSON.parse(body) as { d: { plain_token: string } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ plain_token: d.plain_token, signature: '00'.repeat(64) }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const { code, checks } = await doctor('https://localhost:8443/qqbot', port);
  expect(code).toBe(1);
  expect(checks.get('certificate-chain')?.status).toBe('pass');
  expect(checks.get('webhook-validation')).toMatchObject({
    status: 'fail',
    summary: '/qqbot answered a signature that does not verify: the listener signs with another secret',
  });
});
