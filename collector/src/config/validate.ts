import { compileRouteRules } from '@spyglass/core';
import { SpyglassError } from '../errors.js';
import { parseListenAddress } from './address.js';
import { createDefaultConfig } from './defaults.js';
import { attempt, checkShape, ConfigProblems, isMapping, isUnder, kindOf } from './problems.js';
import { readTlsSetting } from './tls.js';
import type { CollectorConfig, EventsConfig, LogConfig, ReceiveConfig, StoreConfig } from './types.js';

type Section = Record<string, unknown>;

/**
 * Sub-config validators contributed by later stages, keyed by their top-level section name. Each gets the raw section
 * (a mapping, or undefined/null for its defaults) and throws, naming the key: a ConfigProblems lists several problems.
 */
export type SectionValidator = (raw: unknown) => unknown;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function checkKeys(section: Section, allowed: readonly string[], path: string, problems: string[]): void {
  for (const key of Object.keys(section)) {
    if (!allowed.includes(key)) problems.push(`${path}${key}: unknown setting (known: ${allowed.join(', ')})`);
  }
}

function positiveInt(value: unknown, key: string, problems: string[]): void {
  if (!Number.isInteger(value) || (value as number) <= 0) problems.push(`${key}: must be a positive integer (got ${JSON.stringify(value)})`);
}

function checkReceive(r: ReceiveConfig, problems: string[]): void {
  checkKeys(r as unknown as Section, ['http', 'grpc', 'token', 'maxBodyBytes', 'tls', 'grpcIdleSeconds', 'grpcKeepaliveSeconds', 'decodeThread'], 'receive.', problems);
  for (const key of ['http', 'grpc'] as const) {
    if (r[key] === 'off') continue;
    attempt(problems, () => parseListenAddress(r[key], `receive.${key}`));
  }
  if (r.http === 'off' && r.grpc === 'off') problems.push('receive: at least one of receive.http and receive.grpc must be on');
  if (r.token !== null && (typeof r.token !== 'string' || r.token.length < 8)) {
    problems.push('receive.token: must be a string of at least 8 characters (or unset)');
  }
  positiveInt(r.maxBodyBytes, 'receive.maxBodyBytes', problems);
  positiveInt(r.grpcIdleSeconds, 'receive.grpcIdleSeconds', problems);
  positiveInt(r.grpcKeepaliveSeconds, 'receive.grpcKeepaliveSeconds', problems);
  if (typeof r.decodeThread !== 'boolean') problems.push(`receive.decodeThread: must be true or false (got ${JSON.stringify(r.decodeThread)})`);
}

function checkStore(s: StoreConfig, problems: string[]): void {
  checkKeys(s as unknown as Section, ['maxQueuedEvents', 'maxBatchEvents', 'writers', 'dedupeSpans', 'memoryLimit', 'checkpointThreshold', 'threads'], 'store.', problems);
  for (const key of ['memoryLimit', 'checkpointThreshold'] as const) {
    const size = s[key];
    if (typeof size !== 'string' || !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(size)) {
      problems.push(`store.${key}: must be a size like "64MB" or "2GB" (got ${JSON.stringify(size)})`);
    }
  }
  if (!Number.isInteger(s.dedupeSpans) || s.dedupeSpans < 0) {
    problems.push(`store.dedupeSpans: must be a whole number, 0 to turn duplicate detection off (got ${JSON.stringify(s.dedupeSpans)})`);
  }
  if (!Number.isInteger(s.writers) || s.writers < 1 || s.writers > 16) {
    problems.push(`store.writers: must be an integer from 1 to 16 (got ${JSON.stringify(s.writers)})`);
  }
  positiveInt(s.threads, 'store.threads', problems);
  positiveInt(s.maxQueuedEvents, 'store.maxQueuedEvents', problems);
  positiveInt(s.maxBatchEvents, 'store.maxBatchEvents', problems);
}

function checkEvents(e: EventsConfig, problems: string[]): void {
  checkKeys(e as unknown as Section, ['routeRules', 'defaultRouteRules'], 'events.', problems);
  try {
    compileRouteRules(e.routeRules);
  } catch (err) {
    problems.push(`events.routeRules: ${(err as Error).message}`);
  }
  if (typeof e.defaultRouteRules !== 'boolean') problems.push('events.defaultRouteRules: must be true or false');
}

function checkLog(l: LogConfig, problems: string[]): void {
  checkKeys(l as unknown as Section, ['level'], 'log.', problems);
  if (!LOG_LEVELS.includes(l.level)) problems.push(`log.level: must be one of ${LOG_LEVELS.join(', ')}`);
}

const CORE_SECTIONS: { [K in 'receive' | 'store' | 'events' | 'log']: (section: CollectorConfig[K], problems: string[]) => void } = {
  receive: checkReceive,
  store: checkStore,
  events: checkEvents,
  log: checkLog,
};

/** A section validator's error as problems, each starting with its key. */
function sectionProblems(name: string, err: unknown): readonly string[] {
  if (err instanceof ConfigProblems) return err.problems;
  const message = (err as Error).message;
  return [isUnder(message, name) ? message : `${name}: ${message}`];
}

/**
 * Checks a fully merged config once at startup, the sections of `sections` included (they also check the files and
 * ids they refer to). Collects every problem and throws one SPY_ERR_CONFIG_INVALID listing them all, so a user fixes
 * a file in one go. A section or setting of the wrong kind (a string where a mapping belongs, …) is reported once,
 * and nothing under it. Returns the config deep-frozen.
 */
export function validateConfig(config: CollectorConfig, sections: Record<string, SectionValidator> = {}): Readonly<CollectorConfig> {
  const problems: string[] = [];
  checkKeys(config as Section, ['db', ...Object.keys(CORE_SECTIONS), ...Object.keys(sections)], '', problems);
  if (typeof config.db !== 'string' || config.db.trim() === '') problems.push('db: must be a file path');

  const out: CollectorConfig = { ...config };
  if (isMapping(config.receive)) out.receive = { ...config.receive, tls: readTlsSetting(config.receive.tls, 'receive.tls', problems) };
  const template = createDefaultConfig();
  for (const [name, check] of Object.entries(CORE_SECTIONS) as Array<[keyof typeof CORE_SECTIONS, (s: unknown, p: string[]) => void]>) {
    const wrong = checkShape(config[name], template[name], name, problems);
    if (wrong.includes(name)) continue;
    const found: string[] = [];
    check(config[name], found);
    problems.push(...found.filter((p) => !wrong.some((key) => isUnder(p, key))));
  }

  for (const [name, validate] of Object.entries(sections)) {
    const raw = config[name];
    if (raw !== undefined && raw !== null && !isMapping(raw)) {
      problems.push(`${name}: must be a mapping (got ${kindOf(raw)})`);
      continue;
    }
    try {
      out[name] = validate(raw);
    } catch (err) {
      problems.push(...sectionProblems(name, err));
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
