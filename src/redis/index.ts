/**
 * `qqbot-connector/redis`: the Redis-backed pieces, for sessions that outlive the process and for several
 * processes running one bot. Needs the `redis` package (node-redis), an optional peer dependency: only this
 * entry point loads it.
 */
export { RedisSessionStore, type RedisSessionStoreOptions } from '../store/redis-session-store.js';
export { DEFAULT_REDIS_CONNECTION, type RedisConnectionOptions } from '../redis-client/redis-connection.js';
export { RedisReplyStore, type RedisReplyStoreOptions } from '../store/redis-reply-store.js';
export { DEFAULT_LEASE, type LeaseOptions } from '../fleet/redis-leases.js';
