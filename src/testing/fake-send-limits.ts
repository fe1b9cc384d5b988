/**
 * The send limits of the REST fake: per-target rate limits (HTTP 429 or code 22009) and any platform code on
 * demand for a route. Internal to the testing kit; reached through `FakeRestApi`.
 * @internal
 * @module
 */

/** How a rate-limited send is answered. */
export interface FakeRateLimitOptions {
  /** `429`: HTTP 429 with `Retry-After` (whole seconds); or a body code (22009, 20028, 100017) with HTTP 400 and `retry_after` (seconds) in the body. @defaultValue `429` */
  answer?: 429 | 22009 | 20028 | 100017;
  /** Which requests count: those whose path starts with this. @defaultValue every message send (`…/messages`) */
  pathPrefix?: string;
}

/** A code answered on demand. */
export interface FakeCodeOptions {
  /** @defaultValue `400` */
  status?: number;
  /** How many matching requests get it. @defaultValue `1` */
  times?: number;
  /** The body's `message`. @defaultValue `'injected code <code>'` */
  message?: string;
}

export interface FakeAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const WINDOW_MS = 1_000;

export class FakeSendLimits {
  /** Requests answered with a rate limit, all targets together. */
  rateLimited = 0;
  #limit: { perSecond: number; answer: 429 | 22009 | 20028 | 100017; pathPrefix: string | undefined } | undefined;
  /** Per method + path (so per route and target): the times of the requests accepted in the last second. */
  readonly #windows = new Map<string, number[]>();
  readonly #codes: Array<{
    method: string | undefined;
    pathPrefix: string;
    code: number;
    status: number;
    left: number;
    message: string;
  }> = [];

  constructor(private readonly now: () => number) {}

  limit(perSecond: number, options: FakeRateLimitOptions = {}): void {
    if (!Number.isInteger(perSecond) || perSecond < 1)
      throw new RangeError('limitSends: perSecond must be a positive integer');
    this.#limit = { perSecond, answer: options.answer ?? 429, pathPrefix: options.pathPrefix };
  }

  code(route: string, code: number, options: FakeCodeOptions = {}): void {
    const [first, second] = route.split(' ');
    const method = second === undefined ? undefined : first;
    this.#codes.push({
      method,
      pathPrefix: second ?? first ?? '',
      code,
      status: options.status ?? 400,
      left: options.times ?? 1,
      message: options.message ?? `injected code ${code}`,
    });
  }

  reset(): void {
    this.rateLimited = 0;
    this.#limit = undefined;
    this.#windows.clear();
    this.#codes.length = 0;
  }

  /** The answer for this request when a limit or an injected code applies, else `undefined`. */
  check(method: string, path: string): FakeAnswer | undefined {
    const injected = this.#codes.find(
      (c) => c.left > 0 && path.startsWith(c.pathPrefix) && (c.method === undefined || c.method === method),
    );
    if (injected !== undefined) {
      injected.left -= 1;
      return {
        status: injected.status,
        body: { code: injected.code, err_code: injected.code, message: injected.message },
        headers: {},
      };
    }
    const limit = this.#limit;
    if (limit === undefined || method !== 'POST') return undefined;
    if (limit.pathPrefix === undefined ? !path.endsWith('/messages') : !path.startsWith(limit.pathPrefix))
      return undefined;
    const key = `${method} ${path}`;
    const now = this.now();
    const times = (this.#windows.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    this.#windows.set(key, times);
    if (times.length < limit.perSecond) {
      times.push(now);
      return undefined;
    }
    this.rateLimited += 1;
    const waitS = Math.max(0.001, ((times[0] as number) + WINDOW_MS - now) / 1000);
    if (limit.answer === 429)
      return {
        status: 429,
        body: { code: 429, message: 'too many requests' },
        headers: { 'retry-after': String(Math.ceil(waitS)) },
      };
    return {
      status: 400,
      body: { code: limit.answer, err_code: limit.answer, message: 'rate limit exceeded', retry_after: waitS },
      headers: {},
    };
  }
}
