import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import { postCallback } from '../../testing/callback-post.js';
import {
  signWebhook,
  validationAnswerProblem,
  validationBody,
  webhookKeyPair,
} from '../../transports/webhook/signature.js';
import { untrustedText } from '../../util/untrusted-text.js';
import { fail, pass, skip, type CheckId, type CheckResult } from './checklist.js';
import { probeTls, urlPort, type TlsProbe } from './tls-probe.js';

export interface WebhookTarget {
  url: URL;
  connectTo: { host: string; port: number } | undefined;
  /** Both needed for op 13; without them that check is skipped. */
  credentials: { appId: string; secret: string } | undefined;
  /** NODE_EXTRA_CA_CERTS, if set. */
  extraCaCerts: string | undefined;
  timeoutMs: number;
  now: () => number;
}

/** The ports the platform calls a callback URL on. */
export const PLATFORM_PORTS: readonly number[] = [80, 443, 8080, 8443];
/** A certificate that expires sooner than this is a failure: renewal is due. */
export const EXPIRY_MARGIN_DAYS = 14;
const DAY_MS = 86_400_000;

const PUBLIC_CA =
  "the platform trusts certificates of public CAs only: get one for the URL's host (e.g. Let's Encrypt with certbot)";
const FULL_CHAIN =
  "serve the full chain, the certificate and then its intermediate CA certificates (Let's Encrypt: fullchain.pem, not cert.pem)";

/** Handshake refusals (Node's `err.code`), the check each one fails and what to do. Any other verification code fails the chain. */
const TLS_REFUSALS: Readonly<Record<string, { check: CheckId; summary: string; fix: string }>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    check: 'certificate-chain',
    summary: 'the certificate is self-signed',
    fix: PUBLIC_CA,
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    check: 'certificate-chain',
    summary: 'the chain ends in a CA that is not trusted (a private CA?)',
    fix: PUBLIC_CA,
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    check: 'certificate-chain',
    summary: 'the issuer of the certificate is unknown: an intermediate is missing, or the CA is private',
    fix: FULL_CHAIN,
  },
  UNABLE_TO_GET_ISSUER_CERT: {
    check: 'certificate-chain',
    summary: 'the issuer of the certificate is unknown: an intermediate is missing',
    fix: FULL_CHAIN,
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    check: 'certificate-chain',
    summary: 'the server sends the certificate without its intermediate CA certificates',
    fix: FULL_CHAIN,
  },
  CERT_HAS_EXPIRED: {
    check: 'certificate-expiry',
    summary: 'the certificate has expired',
    fix: 'renew it (e.g. certbot renew), reload the server, and automate the renewal',
  },
  CERT_NOT_YET_VALID: {
    check: 'certificate-expiry',
    summary: 'the certificate is not valid yet',
    fix: "check this machine's clock and the certificate's start date",
  },
};

/** Errors that mean no TLS conversation happened at all. */
const NO_HANDSHAKE: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const where = (target: WebhookTarget): string =>
  target.connectTo === undefined
    ? target.url.host
    : `${target.connectTo.host}:${target.connectTo.port} (as ${target.url.host})`;
const hostName = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');
/** A name from the server's certificate: the server chose it. */
const cn = (name: PeerCertificate['subject'] | undefined): string => untrustedText(String(name?.CN ?? name?.O ?? '?'));

function expiryCheck(cert: PeerCertificate, now: number): CheckResult {
  const validTo = Date.parse(cert.valid_to);
  const days = Math.floor((validTo - now) / DAY_MS);
  const facts = { validTo: new Date(validTo).toISOString(), daysLeft: days };
  if (validTo - now < EXPIRY_MARGIN_DAYS * DAY_MS) {
    return fail(
      'certificate-expiry',
      `the certificate expires ${facts.validTo}, in ${days} day${days === 1 ? '' : 's'} (less than ${EXPIRY_MARGIN_DAYS})`,
      'renew it now (e.g. certbot renew) and reload the server: once it has expired the platform refuses the URL',
      facts,
    );
  }
  return pass('certificate-expiry', `valid until ${facts.validTo} (${days} days)`, facts);
}

function certificateChecks(probe: TlsProbe, target: WebhookTarget): CheckResult[] {
  const host = hostName(target.url);
  if (probe.ok || (probe.code === 'ERR_TLS_CERT_ALTNAME_INVALID' && probe.cert !== undefined)) {
    const cert = probe.cert!;
    const names = cert.subjectaltname === undefined ? `CN=${cn(cert.subject)}` : untrustedText(cert.subjectaltname);
    const extra =
      target.extraCaCerts === undefined
        ? ''
        : '; NODE_EXTRA_CA_CERTS is set: a CA it adds is trusted here, not by the platform';
    return [
      pass('certificate-chain', `${cn(cert.subject)}, issued by ${cn(cert.issuer)}: trusted${extra}`, {
        subject: cn(cert.subject),
        issuer: cn(cert.issuer),
      }),
      probe.ok
        ? pass('certificate-host', `${host} matches the certificate (${names})`)
        : fail(
            'certificate-host',
            `the certificate is for ${names}, not ${host}`,
            `use a certificate whose names include ${host}, or a URL on a host the certificate names`,
          ),
      expiryCheck(cert, target.now()),
    ];
  }
  const stopped = `the TLS handshake stopped first (${probe.code})`;
  if (NO_HANDSHAKE.has(probe.code)) {
    return [
      fail(
        'certificate-chain',
        `no TLS handshake with ${where(target)}: ${probe.code}`,
        'start the listener or the TLS proxy, and let the platform reach the port (firewall, security group); EPROTO or a wrong version number means the port speaks plain HTTP',
      ),
      skip('certificate-host', stopped),
      skip('certificate-expiry', stopped),
    ];
  }
  const refusal = TLS_REFUSALS[probe.code] ?? {
    check: 'certificate-chain',
    summary: `the certificate was refused: ${probe.message}`,
    fix: PUBLIC_CA,
  };
  return (['certificate-chain', 'certificate-host', 'certificate-expiry'] as const).map((id) =>
    id === refusal.check
      ? fail(id, `${refusal.summary} (${probe.code})`, refusal.fix, { code: probe.code })
      : skip(id, stopped),
  );
}

/** op 13 as the platform sends it (signed, with our AppID), and the answer checked as the platform checks it. */
async function checkValidation(
  target: WebhookTarget,
  credentials: { appId: string; secret: string },
): Promise<CheckResult> {
  const request = {
    plainToken: randomBytes(15).toString('base64url'),
    eventTs: String(Math.floor(target.now() / 1000)),
  };
  const body = validationBody(request);
  const keys = webhookKeyPair(credentials.secret);
  const headers = {
    'x-bot-appid': credentials.appId,
    'user-agent': 'QQBot-Callback',
    'x-signature-timestamp': request.eventTs,
    'x-signature-ed25519': signWebhook(keys.privateKey, request.eventTs, body),
    'x-signature-method': 'Ed25519',
  };
  const started = performance.now();
  let answer;
  try {
    answer = await postCallback(target.url, body, {
      headers,
      timeoutMs: target.timeoutMs,
      ...(target.connectTo === undefined ? {} : { connectTo: target.connectTo }),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return fail(
      'webhook-validation',
      `no answer from ${where(target)}: ${typeof code === 'string' ? code : String(err)}`,
      'start the listener, and check that the URL reaches it',
    );
  }
  const ms = Math.round(performance.now() - started);
  const problem = validationAnswerProblem(keys.publicKey, request, answer);
  if (problem === null)
    return pass('webhook-validation', `${target.url.pathname} answered with the right signature in ${ms} ms`, { ms });
  return fail(
    'webhook-validation',
    `${target.url.pathname} ${problem}`,
    'the listener must answer op 13 with { plain_token, signature } signed with the key this AppSecret derives: run it with the same ' +
      "QQBOT_APP_ID and QQBOT_SECRET, on the path set in the console (the connector's transport.path, default /qqbot), behind a proxy " +
      'that forwards POST bodies unchanged',
    { status: answer.status, ms },
  );
}

/** HTTPS, the port, the certificate (chain, host name, expiry), then op 13: what the platform checks when the URL is saved. */
export async function webhookChecks(target: WebhookTarget): Promise<CheckResult[]> {
  const { url } = target;
  const https = url.protocol === 'https:';
  const port = urlPort(url);
  const results: CheckResult[] = [
    https
      ? pass('webhook-https', url.href)
      : fail(
          'webhook-https',
          `${url.href} is not HTTPS`,
          "the platform calls HTTPS URLs only: put a TLS proxy in front, or give the connector's transport a tls key and certificate",
        ),
    PLATFORM_PORTS.includes(port)
      ? pass('webhook-port', `${port}`)
      : fail(
          'webhook-port',
          `${port} is not a port the platform calls`,
          `listen on, or forward from, one of ${PLATFORM_PORTS.join(', ')}`,
        ),
  ];
  if (https) results.push(...certificateChecks(await probeTls(url, target.connectTo, target.timeoutMs), target));
  const certificateOk = results.every(
    (r) => !r.id.startsWith('certificate-') || r.id === 'certificate-expiry' || r.status === 'pass',
  );
  if (target.credentials === undefined) results.push(skip('webhook-validation', 'credentials'));
  else if (!certificateOk) results.push(skip('webhook-validation', 'the platform would refuse the certificate first'));
  else results.push(await checkValidation(target, target.credentials));
  return results;
}
