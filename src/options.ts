/**
 * The connector's public options, as users import them; declared once in `options/` (shapes, defaults, checks).
 * @module
 */
export { CONNECTOR, DEFAULT_OPTIONS, DEFAULT_RESTART, resolveOptions, type QQBotConnectorOptions, type ResolvedOptions, type RestartOptions } from './options/connector.js';
export { DEFAULT_ENDPOINTS, DEFAULT_TIMEOUTS, type EndpointOptions, type Logger, type TimeoutOptions } from './options/shared.js';
