/**
 * The per-request faults of the REST fake (`unauthorizedOnce`, `failNext`, `nonJsonNext`, `delayNext`,
 * `auditNext`): each setting applies to the next `n` requests, and each `take…` consumes one. Internal to the
 * testing kit; reached through `FakeRestApi`.
 * @internal
 * @module
 */
export class RestFaults {
  #unauthorized = 0;
  #fail: { n: number; status: number; afterProcessing: boolean } = { n: 0, status: 500, afterProcessing: false };
  #nonJson: { n: number; status: number } = { n: 0, status: 200 };
  #delay: { n: number; ms: number } = { n: 0, ms: 0 };
  #audit = 0;

  unauthorizedOnce(): void {
    this.#unauthorized += 1;
  }

  failNext(n: number, status: number, afterProcessing: boolean): void {
    this.#fail = { n, status, afterProcessing };
  }

  nonJsonNext(n: number, status: number): void {
    this.#nonJson = { n, status };
  }

  delayNext(n: number, ms: number): void {
    this.#delay = { n, ms };
  }

  auditNext(n: number): void {
    this.#audit = n;
  }

  reset(): void {
    this.#unauthorized = 0;
    this.#fail = { n: 0, status: 500, afterProcessing: false };
    this.#nonJson = { n: 0, status: 200 };
    this.#delay = { n: 0, ms: 0 };
    this.#audit = 0;
  }

  /** True when this request is to be answered 401 whatever its token. */
  takeUnauthorized(): boolean {
    if (this.#unauthorized <= 0) return false;
    this.#unauthorized -= 1;
    return true;
  }

  /** The status to fail this request with, before (`afterProcessing` false) or after it was carried out. */
  takeFail(afterProcessing: boolean): number | undefined {
    const fail = this.#fail;
    if (fail.n <= 0 || fail.afterProcessing !== afterProcessing) return undefined;
    fail.n -= 1;
    return fail.status;
  }

  /** The status of an HTML answer for this request, if one is due. */
  takeNonJson(): number | undefined {
    if (this.#nonJson.n <= 0) return undefined;
    this.#nonJson.n -= 1;
    return this.#nonJson.status;
  }

  /** How long to hold this answer back, if at all. */
  takeDelay(): number | undefined {
    if (this.#delay.n <= 0) return undefined;
    this.#delay.n -= 1;
    return this.#delay.ms;
  }

  /** True when this send is to be held for audit. */
  takeAudit(): boolean {
    if (this.#audit <= 0) return false;
    this.#audit -= 1;
    return true;
  }
}
