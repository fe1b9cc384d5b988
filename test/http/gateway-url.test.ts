import { describe, expect, it } from 'vitest';
import { gatewayUrlAllowed, gatewayUrlRefused } from '../../src/http/gateway-url.js';

const PLATFORM_API = 'https://api.sgroup.qq.com';
const FAKE_API = 'http://127.0.0.1:4000';

describe('gatewayUrlAllowed: the token goes to the platform over wss, or to the configured API origin', () => {
  it.each([
    ['wss://api.sgroup.qq.com/websocket/', PLATFORM_API, true],
    ['wss://sandbox.api.sgroup.qq.com/websocket', PLATFORM_API, true],
    ['wss://API.SGROUP.QQ.COM:443/websocket', PLATFORM_API, true],
    ['ws://api.sgroup.qq.com/websocket/', PLATFORM_API, false],
    ['wss://qq.com.attacker.example/websocket', PLATFORM_API, false],
    ['wss://attackerqq.com/websocket', PLATFORM_API, false],
    ['wss://user:pass@api.sgroup.qq.com/websocket', PLATFORM_API, false],
    ['https://api.sgroup.qq.com/websocket', PLATFORM_API, false],
    ['not a url', PLATFORM_API, false],
    ['ws://127.0.0.1:4000/websocket', FAKE_API, true],
    ['wss://127.0.0.1:4000/websocket', FAKE_API, false],
    ['ws://127.0.0.1:4001/websocket', FAKE_API, false],
    ['ws://localhost:4000/websocket', FAKE_API, false],
    ['wss://127.0.0.1:4000/websocket', 'https://127.0.0.1:4000', true],
    ['wss://api.sgroup.qq.com/websocket/', FAKE_API, true],
  ])('%s with endpoints.api %s → %s', (url, api, allowed) => {
    expect(gatewayUrlAllowed(url, api)).toBe(allowed);
  });

  it('the report names the host only, capped, never the path or query the URL carried', () => {
    const err = gatewayUrlRefused('checkpoint', 'ws://evil.example:9/x?token=QQBot%20secret', 'shard 0');
    expect(err).toMatchObject({
      code: 'QQBOT_GATEWAY_URL_REFUSED',
      retryable: true,
      details: { source: 'checkpoint', host: 'evil.example:9' },
    });
    expect(err.message).not.toMatch(/secret|\?/);
    expect(gatewayUrlRefused('gateway/bot', `ws://${'a'.repeat(300)}.example/`, 'shard 0').details.host).toHaveLength(
      100,
    );
  });
});
