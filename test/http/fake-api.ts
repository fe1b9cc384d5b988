import { afterEach, beforeEach } from 'vitest';
import { QQOpenAPI } from '../../src/http/openapi.js';
import { FakeQQServer } from '../../src/testing/index.js';

/** A FakeQQServer and a QQOpenAPI with default options on it, fresh for each test; replace `api` at will (closed after). */
export interface FakeApi {
  fake: FakeQQServer;
  api: QQOpenAPI;
}

export function fakeApiPerTest(): FakeApi {
  const t = {} as FakeApi;
  beforeEach(async () => {
    t.fake = await FakeQQServer.start();
    t.api = new QQOpenAPI({ appId: 'test-app', secret: 'test-secret', endpoints: t.fake.endpoints });
  });
  afterEach(async () => {
    await t.api.close();
    await t.fake.close();
  });
  return t;
}
