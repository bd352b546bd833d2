import { LruMap } from 'toad-cache';
import type { IpType } from '../events/security-event.js';
import type { IpListType } from './config.js';
import { parseIpv4, parseIpv6 } from './ip-address.js';
import type { IpDatabase } from './ip-database.js';
import type { LoadedIpList } from './ip-lists.js';
import { MIXED, NOT_FOUND, type RangeTable } from './range-table.js';
import { buildSpecialRanges, type SpecialRanges } from './special-ranges.js';

/** What Spyglass knows about an address. Shared, frozen objects: never mutate. */
export interface IpInfo {
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  ipType: IpType;
  /** Names of the user lists holding the address (all types, allow and block included). */
  lists: readonly string[];
}

/** An address that does not parse. */
export const INVALID_IP: IpInfo = Object.freeze({ country: null, asn: null, asOrg: null, ipType: 'unknown', lists: Object.freeze([]) });

/**
 * ipaddr.js range names treated as `private`: addresses that are not globally routable, so the request came from
 * inside the operator's own network (or a proxy that did not forward the client address).
 */
export const PRIVATE_RANGES: ReadonlySet<string> = new Set([
  'unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'carrierGradeNat', 'private', 'reserved',
  'uniqueLocal', 'deprecatedSiteLocal', 'discard', 'benchmarking',
]);

/** List types that set ip_type, strongest first. */
const TYPE_PRECEDENCE: ReadonlyArray<IpListType & IpType> = ['tor', 'vpn', 'datacenter'];

/** Marker cached for a network whose addresses do not all share one answer: look each address up. */
const MIXED_NETWORK = Symbol('mixed');
type CacheEntry = IpInfo | typeof MIXED_NETWORK;

/**
 * Looks addresses up in the country and AS tables, the hosting ASN list and the user lists, and caches the answer
 * per network (/24 for IPv4, /64 for IPv6) when every address of that network gets the same answer; otherwise
 * per-address lookups are done (a few binary searches, no allocation).
 */
export class IpClassifier {
  private readonly cache4: LruMap<CacheEntry>;
  private readonly cache6: LruMap<CacheEntry>;
  private readonly words = new Uint32Array(4);
  private readonly first6 = new Uint32Array(4);
  private readonly last6 = new Uint32Array(4);
  private readonly infos = new Map<number | string, IpInfo>();
  private lists: readonly LoadedIpList[] = [];
  private readonly special: SpecialRanges = buildSpecialRanges();

  constructor(
    private readonly db: IpDatabase,
    private readonly hostingAsns: ReadonlySet<number>,
    cacheSize: number,
  ) {
    this.cache4 = new LruMap<CacheEntry>(cacheSize);
    this.cache6 = new LruMap<CacheEntry>(cacheSize);
  }

  /** Replaces the user lists and forgets cached answers. */
  setLists(lists: readonly LoadedIpList[]): void {
    this.lists = lists;
    this.cache4.clear();
    this.cache6.clear();
    this.infos.clear();
  }

  lookup(ip: string): IpInfo {
    const v4 = parseIpv4(ip);
    if (v4 >= 0) {
      const key = v4 >>> 8;
      let entry = this.cache4.get(key);
      if (entry === undefined) {
        const first = key * 256;
        entry = this.over4(first, first + 255);
        this.cache4.set(key, entry);
      }
      return entry === MIXED_NETWORK ? this.over4(v4, v4) as IpInfo : entry;
    }
    const w = this.words;
    if (!parseIpv6(ip, w)) return INVALID_IP;
    if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return this.lookup(`${w[3] >>> 24}.${(w[3] >>> 16) & 255}.${(w[3] >>> 8) & 255}.${w[3] & 255}`);
    const key = `${w[0]}:${w[1]}`;
    let entry = this.cache6.get(key);
    if (entry === undefined) {
      this.first6.set([w[0], w[1], 0, 0]);
      this.last6.set([w[0], w[1], 0xffffffff, 0xffffffff]);
      entry = this.over6(this.first6, this.last6);
      this.cache6.set(key, entry);
    }
    return entry === MIXED_NETWORK ? this.over6(w, w) as IpInfo : entry;
  }

  /** The common answer for every IPv4 address in [first, last], or MIXED_NETWORK. */
  private over4(first: number, last: number): CacheEntry {
    const special = this.special.v4.valueOver4(first, last);
    if (special === MIXED) return MIXED_NETWORK;
    const country = this.db.country4.valueOver4(first, last);
    const as = this.db.asn4.valueOver4(first, last);
    if (country === MIXED || as === MIXED) return MIXED_NETWORK;
    const inLists: string[] = [];
    for (const l of this.lists) {
      const v = l.v4.valueOver4(first, last);
      if (v === MIXED) return MIXED_NETWORK;
      if (v !== NOT_FOUND) inLists.push(l.config.name);
    }
    return this.info(special, country, as, inLists);
  }

  private over6(first: Uint32Array, last: Uint32Array): CacheEntry {
    const special = this.special.v6.valueOver6(first, last);
    if (special === MIXED) return MIXED_NETWORK;
    const country = this.db.country6.valueOver6(first, last);
    const as = this.db.asn6.valueOver6(first, last);
    if (country === MIXED || as === MIXED) return MIXED_NETWORK;
    const inLists: string[] = [];
    for (const l of this.lists) {
      const v = l.v6.valueOver6(first, last);
      if (v === MIXED) return MIXED_NETWORK;
      if (v !== NOT_FOUND) inLists.push(l.config.name);
    }
    return this.info(special, country, as, inLists);
  }

  /** Builds (or reuses: there are few distinct answers) the frozen answer object. */
  private info(specialIdx: number, countryIdx: number, asIdx: number, inLists: string[]): IpInfo {
    const range = specialIdx === NOT_FOUND ? 'unicast' : this.special.names[specialIdx];
    if (PRIVATE_RANGES.has(range)) {
      // not routable: any country or AS the data files name for these ranges is noise
      countryIdx = NOT_FOUND;
      asIdx = NOT_FOUND;
    }
    // numeric key for the common case (no list membership): avoids building a string per cache miss
    const numeric = ((specialIdx + 1) * 1024 + (countryIdx + 1)) * 2 ** 24 + (asIdx + 1);
    const key = inLists.length === 0 ? numeric : `${numeric}|${inLists.join('\u0000')}`;
    const known = this.infos.get(key);
    if (known) return known;
    const asn = asIdx >= 0 ? this.db.asNumbers[asIdx] : null;
    const info: IpInfo = Object.freeze({
      country: countryIdx >= 0 ? this.db.countries[countryIdx] : null,
      asn,
      asOrg: asIdx >= 0 ? this.db.asOrgs[asIdx] || null : null,
      ipType: this.typeOf(range, asn, inLists),
      lists: Object.freeze(inLists),
    });
    if (this.infos.size < 1_000_000) this.infos.set(key, info);
    return info;
  }

  private typeOf(range: string, asn: number | null, inLists: string[]): IpType {
    if (PRIVATE_RANGES.has(range)) return 'private';
    for (const t of TYPE_PRECEDENCE) {
      if (this.lists.some((l) => l.config.type === t && inLists.includes(l.config.name))) return t;
    }
    if (asn !== null && asn !== 0) return this.hostingAsns.has(asn) ? 'datacenter' : 'residential';
    return 'unknown';
  }

  /** Exposed for tests and the tables' sizes in enrichment_info. */
  get tables(): Record<string, RangeTable> {
    return { country4: this.db.country4, country6: this.db.country6, asn4: this.db.asn4, asn6: this.db.asn6 };
  }
}
