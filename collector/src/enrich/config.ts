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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${PREFIX}.${key} must be a non-empty string`);
  return v.trim();
}

function integer(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${PREFIX}.${key} must be an integer between ${min} and ${max}`);
  }
  return v;
}

function validateList(raw: unknown, index: number): IpListConfig {
  const at = `lists[${index}]`;
  if (!isObject(raw)) throw new Error(`${PREFIX}.${at} must be an object with name, type and file`);
  for (const k of Object.keys(raw)) {
    if (!LIST_KEYS.includes(k)) throw new Error(`${PREFIX}.${at}.${k} is not a known key (${LIST_KEYS.join(', ')})`);
  }
  const type = raw.type;
  if (typeof type !== 'string' || !(IP_LIST_TYPES as readonly string[]).includes(type)) {
    throw new Error(`${PREFIX}.${at}.type must be one of ${IP_LIST_TYPES.join(', ')}`);
  }
  return Object.freeze({ name: nonEmptyString(raw.name, `${at}.name`), type: type as IpListType, file: nonEmptyString(raw.file, `${at}.file`) });
}

/** Applies defaults and checks every key; throws an Error naming the bad key. Returns a frozen config. */
export function validateEnrichConfig(raw: unknown): EnrichConfig {
  if (raw === undefined || raw === null) return DEFAULT_ENRICH_CONFIG;
  if (!isObject(raw)) throw new Error(`${PREFIX} must be an object`);
  for (const k of Object.keys(raw)) {
    if (!KEYS.includes(k)) throw new Error(`${PREFIX}.${k} is not a known key (${KEYS.join(', ')})`);
  }
  const cfg: EnrichConfig = { ...DEFAULT_ENRICH_CONFIG, lists: [] };
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled !== 'boolean') throw new Error(`${PREFIX}.enabled must be true or false`);
    cfg.enabled = raw.enabled;
  }
  if (raw.lists !== undefined) {
    if (!Array.isArray(raw.lists)) throw new Error(`${PREFIX}.lists must be a list`);
    cfg.lists = raw.lists.map(validateList);
    const names = new Set<string>();
    for (const [i, l] of cfg.lists.entries()) {
      if (names.has(l.name)) throw new Error(`${PREFIX}.lists[${i}].name ${JSON.stringify(l.name)} is used twice`);
      names.add(l.name);
    }
  }
  if (raw.listReloadSeconds !== undefined) cfg.listReloadSeconds = integer(raw.listReloadSeconds, 'listReloadSeconds', 0, 86_400);
  if (raw.hostingAsnsFile !== undefined && raw.hostingAsnsFile !== null) cfg.hostingAsnsFile = nonEmptyString(raw.hostingAsnsFile, 'hostingAsnsFile');
  if (raw.networkCacheSize !== undefined) cfg.networkCacheSize = integer(raw.networkCacheSize, 'networkCacheSize', 1, 10_000_000);
  if (raw.userAgentCacheSize !== undefined) cfg.userAgentCacheSize = integer(raw.userAgentCacheSize, 'userAgentCacheSize', 1, 10_000_000);
  Object.freeze(cfg.lists);
  return Object.freeze(cfg);
}
