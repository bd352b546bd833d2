import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { attempt, checkShape, isMapping, kindOf, throwProblems } from '../config/problems.js';
import { parseHostingAsns } from './hosting-asns.js';

/** The `enrichment:` section of the collector config. */
export type IpListType = 'tor' | 'vpn' | 'datacenter' | 'allow' | 'block';

export const IP_LIST_TYPES: readonly IpListType[] = ['tor', 'vpn', 'datacenter', 'allow', 'block'];

/** A user-supplied file of IP addresses and CIDR ranges, one per line (`#` starts a comment). */
export interface IpListConfig {
  /** Unique name, shown in `enrichment_info` and logs. */
  name: string;
  /** tor / vpn / datacenter set the event's ip_type; allow / block are reported by `Enricher.listsOf()`. */
  type: IpListType;
  /** Path to the list file, relative to the working directory. */
  file: string;
}

export interface EnrichConfig {
  /** Fill country, ASN, ip_type, device, browser, OS and is_bot on every event. @default true */
  enabled: boolean;
  /** User-supplied IP lists, re-read when their files change. @default [] */
  lists: IpListConfig[];
  /** How often list files are checked for changes (modification time and size), in seconds; 0 = never. @default 30 */
  listReloadSeconds: number;
  /** A hosting/cloud ASN list replacing the bundled one (same format as collector/data/hosting-asns.yaml). @default null */
  hostingAsnsFile: string | null;
  /** Networks (/24 or /64) whose lookup results are kept in memory. @default 65536 */
  networkCacheSize: number;
  /** Distinct user agent strings whose parse results are kept in memory. @default 20000 */
  userAgentCacheSize: number;
}

export const DEFAULT_ENRICH_CONFIG: Readonly<EnrichConfig> = Object.freeze({
  enabled: true,
  lists: [],
  listReloadSeconds: 30,
  hostingAsnsFile: null,
  networkCacheSize: 65_536,
  userAgentCacheSize: 20_000,
});

const KEYS = Object.keys(DEFAULT_ENRICH_CONFIG);
const LIST_KEYS = ['name', 'type', 'file'];
const PREFIX = 'enrichment';

function nonEmptyString(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${PREFIX}.${key}: must be a non-empty string`);
  return v.trim();
}

function integer(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${PREFIX}.${key}: must be an integer between ${min} and ${max}`);
  }
  return v;
}

/** Throws `<key>: cannot read <file>: …` unless `file` is a readable file. */
function checkReadable(file: string, key: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new Error(`${PREFIX}.${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function validateList(raw: unknown, index: number, problems: string[]): IpListConfig | null {
  const at = `lists[${index}]`;
  if (!isMapping(raw)) {
    problems.push(`${PREFIX}.${at}: must be a mapping with name, type and file (got ${kindOf(raw)})`);
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(raw)) {
    if (!LIST_KEYS.includes(k)) problems.push(`${PREFIX}.${at}.${k}: unknown setting (known: ${LIST_KEYS.join(', ')})`);
  }
  const type = raw.type;
  if (typeof type !== 'string' || !(IP_LIST_TYPES as readonly string[]).includes(type)) {
    problems.push(`${PREFIX}.${at}.type: must be one of ${IP_LIST_TYPES.join(', ')}`);
  }
  let name = '';
  let file = '';
  attempt(problems, () => (name = nonEmptyString(raw.name, `${at}.name`)));
  attempt(problems, () => (file = nonEmptyString(raw.file, `${at}.file`)));
  return problems.length === before ? Object.freeze({ name, type: type as IpListType, file }) : null;
}

/**
 * Applies defaults and checks every key, and (when enrichment is on) that the files it names can be read. Throws a
 * ConfigProblems naming each bad key. Returns a frozen config.
 */
export function validateEnrichConfig(raw: unknown): EnrichConfig {
  if (raw === undefined || raw === null) return DEFAULT_ENRICH_CONFIG;
  if (!isMapping(raw)) throw new Error(`${PREFIX}: must be a mapping (got ${kindOf(raw)})`);
  const problems: string[] = [];
  for (const k of Object.keys(raw)) {
    if (!KEYS.includes(k)) problems.push(`${PREFIX}.${k}: unknown setting (known: ${KEYS.join(', ')})`);
  }
  checkShape(raw, DEFAULT_ENRICH_CONFIG, PREFIX, problems);
  const cfg: EnrichConfig = { ...DEFAULT_ENRICH_CONFIG, lists: [] };
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled !== 'boolean') problems.push(`${PREFIX}.enabled: must be true or false`);
    else cfg.enabled = raw.enabled;
  }
  if (Array.isArray(raw.lists)) {
    const names = new Set<string>();
    raw.lists.forEach((item: unknown, i) => {
      const list = validateList(item, i, problems);
      if (!list) return;
      if (names.has(list.name)) problems.push(`${PREFIX}.lists[${i}].name ${JSON.stringify(list.name)} is used twice`);
      names.add(list.name);
      cfg.lists.push(list);
      if (cfg.enabled) attempt(problems, () => checkReadable(list.file, `lists[${i}].file`));
    });
  }
  attempt(problems, () => {
    if (raw.listReloadSeconds !== undefined) cfg.listReloadSeconds = integer(raw.listReloadSeconds, 'listReloadSeconds', 0, 86_400);
  });
  attempt(problems, () => {
    if (raw.hostingAsnsFile === undefined || raw.hostingAsnsFile === null) return;
    const file = nonEmptyString(raw.hostingAsnsFile, 'hostingAsnsFile');
    cfg.hostingAsnsFile = file;
    if (cfg.enabled) checkHostingAsnsFile(file);
  });
  attempt(problems, () => {
    if (raw.networkCacheSize !== undefined) cfg.networkCacheSize = integer(raw.networkCacheSize, 'networkCacheSize', 1, 10_000_000);
  });
  attempt(problems, () => {
    if (raw.userAgentCacheSize !== undefined) cfg.userAgentCacheSize = integer(raw.userAgentCacheSize, 'userAgentCacheSize', 1, 10_000_000);
  });
  throwProblems(problems);
  Object.freeze(cfg.lists);
  return Object.freeze(cfg);
}

/** The hosting ASN list must be readable YAML in the bundled list's format. */
function checkHostingAsnsFile(file: string): void {
  const key = `${PREFIX}.hostingAsnsFile`;
  checkReadable(file, 'hostingAsnsFile');
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${key}: ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  try {
    parseHostingAsns(doc, file);
  } catch (err) {
    throw new Error(`${key}: ${(err as Error).message}`, { cause: err });
  }
}
