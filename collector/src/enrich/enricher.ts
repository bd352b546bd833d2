import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import UAParser from 'ua-parser-js';
import type { EventBatch } from '../events/security-event.js';
import type { EnrichConfig } from './config.js';
import { loadHostingAsns } from './hosting-asns.js';
import { IpClassifier, type IpInfo } from './ip-classifier.js';
import { loadIpDatabase } from './ip-database.js';
import { listFileChanged, loadIpList, type LoadedIpList } from './ip-lists.js';
import { loadUserAgentPatterns } from './user-agent-patterns.js';
import { UserAgentClassifier } from './user-agent.js';

export interface EnrichListVersion {
  name: string;
  type: string;
  file: string;
  entries: number;
  invalidLines: number;
  loadedAt: string;
}

/** Where every answer comes from; recorded in the enrichment_info table. */
export interface EnrichDataVersion {
  enabled: boolean;
  /** e.g. `@ip-location-db/geo-whois-asn-country@2.3.2026061719`; null when disabled. */
  country: string | null;
  asn: string | null;
  hostingAsns: string | null;
  userAgentPatterns: string | null;
  uaParser: string | null;
  isbot: string | null;
  lists: EnrichListVersion[];
  /** Milliseconds spent loading the data at start-up. */
  loadMs: number;
}

export interface Enricher {
  /** Fills country, asn, asOrg, ipType, deviceType, browser, os and isBot on every event, in place. Synchronous. */
  enrich(batch: EventBatch): void;
  /** What is known about one address (null for a missing address). */
  lookupIp(ip: string | null): IpInfo | null;
  /** Re-reads every user list now (a list that fails keeps its previous content). */
  reloadLists(): Promise<void>;
  readonly dataVersion: EnrichDataVersion;
  /** Stops watching list files. */
  close(): void;
}

export interface EnrichSettings {
  logger: Logger;
  /** Called after user lists were reloaded (e.g. to rewrite enrichment_info). */
  onDataChange?: (version: EnrichDataVersion) => void;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
  } catch {
    return `${name}@unknown`;
  }
}

function listVersion(l: LoadedIpList): EnrichListVersion {
  return { name: l.config.name, type: l.config.type, file: l.config.file, entries: l.entries, invalidLines: l.invalidLines, loadedAt: l.loadedAt.toISOString() };
}

function disabledEnricher(): Enricher {
  const dataVersion: EnrichDataVersion = {
    enabled: false, country: null, asn: null, hostingAsns: null, userAgentPatterns: null, uaParser: null, isbot: null, lists: [], loadMs: 0,
  };
  return { enrich() {}, lookupIp: () => null, reloadLists: async () => {}, dataVersion, close() {} };
}

/**
 * Loads the IP data (about a second or two), the hosting ASN and user agent lists and the user IP lists, then
 * returns an enricher. Fails, naming the file, if any data or list cannot be read: start-up should stop then.
 */
export async function createEnricher(config: EnrichConfig, settings: EnrichSettings): Promise<Enricher> {
  const { logger } = settings;
  if (!config.enabled) return disabledEnricher();
  const started = performance.now();
  // small files first, so that a bad path fails before the big load
  const [hosting, uaPatterns] = await Promise.all([loadHostingAsns(config.hostingAsnsFile), loadUserAgentPatterns()]);
  let lists = await Promise.all(config.lists.map(loadIpList));
  const db = await loadIpDatabase();
  const ipClassifier = new IpClassifier(db, hosting.asns, config.networkCacheSize);
  const uaClassifier = new UserAgentClassifier(uaPatterns, config.userAgentCacheSize);

  const logInvalid = (l: LoadedIpList): void => {
    if (l.invalidLines > 0) {
      logger.warn({ list: l.config.name, file: l.config.file, invalidLines: l.invalidLines, examples: l.invalidExamples }, 'enrichment list has lines that are not IP addresses or CIDR ranges; they are ignored');
    }
  };
  lists.forEach(logInvalid);
  ipClassifier.setLists(lists);
  const loadMs = Math.round(performance.now() - started);

  const dataVersion: EnrichDataVersion = {
    enabled: true,
    country: db.versions.country,
    asn: db.versions.asn,
    hostingAsns: `${hosting.version} (${hosting.entries.length} ASNs)`,
    userAgentPatterns: `${uaPatterns.version} (${uaPatterns.patterns.length} patterns)`,
    uaParser: `ua-parser-js@${UAParser.VERSION}`,
    isbot: packageVersion('isbot'),
    lists: lists.map(listVersion),
    loadMs,
  };
  logger.info({ loadMs, country: dataVersion.country, asn: dataVersion.asn, lists: lists.length }, 'enrichment data loaded');

  /** Reloads the lists for which `pick` says yes; keeps the old content of a list that fails. */
  let reloading: Promise<void> | null = null;
  const reload = async (pick: (l: LoadedIpList) => Promise<boolean>): Promise<void> => {
    let changed = false;
    const next = await Promise.all(
      lists.map(async (l) => {
        if (!(await pick(l))) return l;
        try {
          const fresh = await loadIpList(l.config);
          logInvalid(fresh);
          logger.info({ list: fresh.config.name, entries: fresh.entries }, 'enrichment list reloaded');
          changed = true;
          return fresh;
        } catch (err) {
          logger.error({ list: l.config.name, err: (err as Error).message }, 'enrichment list reload failed; keeping the previous content');
          return l;
        }
      }),
    );
    if (!changed) return;
    lists = next;
    ipClassifier.setLists(lists);
    dataVersion.lists = lists.map(listVersion);
    settings.onDataChange?.(dataVersion);
  };
  const serialised = (pick: (l: LoadedIpList) => Promise<boolean>): Promise<void> => {
    const run = (reloading ?? Promise.resolve()).then(() => reload(pick));
    reloading = run.finally(() => {
      if (reloading === run) reloading = null;
    });
    return run;
  };

  let timer: NodeJS.Timeout | null = null;
  if (config.lists.length > 0 && config.listReloadSeconds > 0) {
    timer = setInterval(() => {
      serialised(listFileChanged).catch((err: Error) => logger.error({ err: err.message }, 'enrichment list check failed'));
    }, config.listReloadSeconds * 1000);
    timer.unref();
  }

  return {
    enrich(batch: EventBatch): void {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i];
        const ip = e.ip;
        if (ip) {
          const info = ipClassifier.lookup(ip);
          e.country = info.country;
          e.asn = info.asn;
          e.asOrg = info.asOrg;
          e.ipType = info.ipType;
        }
        const ua = uaClassifier.classify(e.userAgent);
        e.deviceType = ua.deviceType;
        e.browser = ua.browser;
        e.os = ua.os;
        e.isBot = ua.isBot;
      }
    },
    lookupIp: (ip) => (ip ? ipClassifier.lookup(ip) : null),
    reloadLists: () => serialised(async () => true),
    dataVersion,
    close(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
