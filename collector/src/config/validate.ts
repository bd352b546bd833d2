import { createSecureContext } from 'node:tls';
import { compileRouteRules } from '@spyglass/core';
import { SpyglassError } from '../errors.js';
import { parseListenAddress } from './address.js';
import type { CollectorConfig } from './types.js';

type Section = Record<string, unknown>;

/** Sub-config validators contributed by later stages, keyed by their top-level section name. */
export type SectionValidator = (raw: unknown) => unknown;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function checkKeys(section: Section, allowed: readonly string[], path: string, problems: string[]): void {
  for (const key of Object.keys(section)) {
    if (!allowed.includes(key)) problems.push(`${path}${key}: unknown setting (known: ${allowed.join(', ')})`);
  }
}

/** `{ cert, key }` with PEM contents that make a usable TLS context, or null. */
function checkTls(tls: unknown, key: string, problems: string[]): void {
  if (tls === null || tls === undefined) return;
  const t = tls as Record<string, unknown>;
  if (typeof tls !== 'object' || typeof t.cert !== 'string' || typeof t.key !== 'string' || !t.cert || !t.key) {
    problems.push(`${key}: expected { cert, key } with PEM contents (not file paths)`);
    return;
  }
  checkKeys(t, ['cert', 'key'], `${key}.`, problems);
  try {
    createSecureContext({ cert: t.cert, key: t.key });
  } catch (err) {
    problems.push(`${key}: cannot use the certificate/key: ${(err as Error).message}`);
  }
}

function positiveInt(value: unknown, key: string, problems: string[]): void {
  if (!Number.isInteger(value) || (value as number) <= 0) problems.push(`${key}: must be a positive integer (got ${JSON.stringify(value)})`);
}

/**
 * Checks a fully merged config once at startup. Collects every problem and throws one SPY_ERR_CONFIG_INVALID
 * listing them all, so a user fixes a file in one go. Returns the config deep-frozen.
 */
export function validateConfig(config: CollectorConfig, sections: Record<string, SectionValidator> = {}): Readonly<CollectorConfig> {
  const problems: string[] = [];
  const known = ['db', 'receive', 'store', 'events', 'log', ...Object.keys(sections)];
  checkKeys(config as Section, known, '', problems);

  if (typeof config.db !== 'string' || config.db.trim() === '') problems.push('db: must be a file path');

  const r = config.receive;
  checkKeys(r as unknown as Section, ['http', 'grpc', 'token', 'maxBodyBytes', 'tls', 'grpcIdleSeconds', 'grpcKeepaliveSeconds', 'decodeThread'], 'receive.', problems);
  for (const key of ['http', 'grpc'] as const) {
    if (r[key] === 'off') continue;
    try {
      parseListenAddress(r[key], `receive.${key}`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (r.http === 'off' && r.grpc === 'off') problems.push('receive: at least one of receive.http and receive.grpc must be on');
  if (r.token !== null && (typeof r.token !== 'string' || r.token.length < 8)) {
    problems.push('receive.token: must be a string of at least 8 characters (or unset)');
  }
  positiveInt(r.maxBodyBytes, 'receive.maxBodyBytes', problems);
  positiveInt(r.grpcIdleSeconds, 'receive.grpcIdleSeconds', problems);
  positiveInt(r.grpcKeepaliveSeconds, 'receive.grpcKeepaliveSeconds', problems);
  checkTls(r.tls, 'receive.tls', problems);
  if (typeof r.decodeThread !== 'boolean') problems.push(`receive.decodeThread: must be true or false (got ${JSON.stringify(r.decodeThread)})`);

  checkKeys(config.store as unknown as Section, ['maxQueuedEvents', 'maxBatchEvents', 'writers', 'dedupeSpans', 'memoryLimit', 'checkpointThreshold', 'threads'], 'store.', problems);
  for (const key of ['memoryLimit', 'checkpointThreshold'] as const) {
    const size = config.store[key];
    if (typeof size !== 'string' || !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(size)) {
      problems.push(`store.${key}: must be a size like "64MB" or "2GB" (got ${JSON.stringify(size)})`);
    }
  }
  if (!Number.isInteger(config.store.dedupeSpans) || config.store.dedupeSpans < 0) {
    problems.push(`store.dedupeSpans: must be a whole number, 0 to turn duplicate detection off (got ${JSON.stringify(config.store.dedupeSpans)})`);
  }
  if (!Number.isInteger(config.store.writers) || config.store.writers < 1 || config.store.writers > 16) {
    problems.push(`store.writers: must be an integer from 1 to 16 (got ${JSON.stringify(config.store.writers)})`);
  }
  positiveInt(config.store.threads, 'store.threads', problems);
  positiveInt(config.store.maxQueuedEvents, 'store.maxQueuedEvents', problems);
  positiveInt(config.store.maxBatchEvents, 'store.maxBatchEvents', problems);

  checkKeys(config.events as unknown as Section, ['routeRules', 'defaultRouteRules'], 'events.', problems);
  try {
    compileRouteRules(config.events.routeRules);
  } catch (err) {
    problems.push(`events.routeRules: ${(err as Error).message}`);
  }
  if (typeof config.events.defaultRouteRules !== 'boolean') problems.push('events.defaultRouteRules: must be true or false');

  checkKeys(config.log as unknown as Section, ['level'], 'log.', problems);
  if (!LOG_LEVELS.includes(config.log.level)) problems.push(`log.level: must be one of ${LOG_LEVELS.join(', ')}`);

  const out: CollectorConfig = { ...config };
  for (const [name, validate] of Object.entries(sections)) {
    try {
      out[name] = validate(config[name]);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new SpyglassError('SPY_ERR_CONFIG_INVALID', '\n  - ' + problems.join('\n  - '));
  return deepFreeze(out);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
