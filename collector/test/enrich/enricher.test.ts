import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENRICH_CONFIG, createEnricher, type EnrichConfig, type Enricher } from '../../src/enrich/index.js';
import { loadHostingAsns } from '../../src/enrich/hosting-asns.js';
import { loadIpDatabase } from '../../src/enrich/ip-database.js';
import { event, silentLogger } from './helpers.js';

let dir: string;
let enricher: Enricher;
let torFile: string;
let blockFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'spyglass-enrich-'));
  torFile = path.join(dir, 'tor-exits.txt');
  blockFile = path.join(dir, 'block.txt');
  // a TOR exit inside a Hetzner range (hosting ASN): the list must win over the ASN
  await writeFile(torFile, '# tor exits\n185.220.101.1\n2a0b:f4c2::1\n\nnot-an-ip\n');
  await writeFile(blockFile, '203.0.113.0/24 # documentation range\n');
  const config: EnrichConfig = {
    ...DEFAULT_ENRICH_CONFIG,
    listReloadSeconds: 0,
    lists: [
      { name: 'tor-exits', type: 'tor', file: torFile },
      { name: 'blocked', type: 'block', file: blockFile },
    ],
  };
  enricher = await createEnricher(config, { logger: silentLogger });
});

afterAll(async () => {
  enricher?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createEnricher() with the shipped ip-location-db data', () => {
  it.each([
    ['52.94.76.1', 16509, 'Amazon', 'US'],
    ['3.5.140.2', 16509, 'Amazon', 'KR'],
    ['34.64.0.1', 396982, 'Google', 'US'],
    ['20.42.0.1', 8075, 'Microsoft', 'US'],
    ['2600:1f18::1', 14618, 'Amazon', 'US'],
    ['2a00:1450:4001:80b::200e', 15169, 'Google', 'IE'],
  ])('classifies cloud address %s as datacenter (AS%i %s)', (ip, asn, org, country) => {
    const info = enricher.lookupIp(ip)!;
    expect(info).toMatchObject({ asn, ipType: 'datacenter', country });
    expect(info.asOrg).toContain(org);
  });

  it.each([
    ['73.12.34.56', 7922, 'Comcast', 'US'],
    ['84.128.1.1', 3320, 'Deutsche Telekom', 'DE'],
    ['2601:600::1', 7922, 'Comcast', 'US'],
    ['2003:e2:1::1', 3320, 'Deutsche Telekom', 'DE'],
  ])('classifies ISP address %s as residential (AS%i %s)', (ip, asn, org, country) => {
    const info = enricher.lookupIp(ip)!;
    expect(info).toMatchObject({ asn, ipType: 'residential', country });
    expect(info.asOrg).toContain(org);
  });

  it.each(['10.1.2.3', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.10.20', '100.64.1.1', '::1', 'fe80::1', 'fd12:3456::1', '::'])(
    'classifies non-routable %s as private, without country or AS',
    (ip) => {
      expect(enricher.lookupIp(ip)).toMatchObject({ ipType: 'private', country: null, asn: null, asOrg: null });
    },
  );

  it.each(['not-an-ip', '1.2.3', '999.1.1.1', '1:::2', '', ' 1.2.3.4'])('classifies malformed %j as unknown', (ip) => {
    if (ip === '') expect(enricher.lookupIp(ip)).toBeNull();
    else expect(enricher.lookupIp(ip)).toMatchObject({ ipType: 'unknown', country: null, asn: null });
  });

  it('gives the same answer from the network cache as from a cold lookup, across a whole /24', async () => {
    const fresh = await createEnricher({ ...DEFAULT_ENRICH_CONFIG, networkCacheSize: 1 }, { logger: silentLogger });
    try {
      for (let last = 0; last < 256; last += 17) {
        const ip = `52.94.76.${last}`;
        expect(fresh.lookupIp(ip)).toEqual(enricher.lookupIp(ip));
      }
    } finally {
      fresh.close();
    }
  });

  it('fills the enrichment fields of every event of a batch in place', () => {
    const batch = [
      event({ ip: '52.94.76.1', userAgent: 'curl/8.4.0' }),
      event({ ip: '73.12.34.56', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' }),
      event({ ip: null, userAgent: null }),
    ];
    enricher.enrich(batch);
    expect(batch[0]).toMatchObject({ country: 'US', asn: 16509, ipType: 'datacenter', deviceType: 'tool', browser: 'curl', isBot: true });
    expect(batch[1]).toMatchObject({ country: 'US', asn: 7922, ipType: 'residential', deviceType: 'desktop', browser: 'Chrome 126', os: 'Windows 10', isBot: false });
    expect(batch[2]).toMatchObject({ country: null, asn: null, asOrg: null, ipType: null, deviceType: 'unknown', browser: null, os: null, isBot: null });
  });

  it('records the data package versions', () => {
    const v = enricher.dataVersion;
    expect(v.country).toMatch(/^@ip-location-db\/geo-whois-asn-country@\d+\.\d+\.\d+/);
    expect(v.asn).toMatch(/^@ip-location-db\/asn@\d+\.\d+\.\d+/);
    expect(v.uaParser).toMatch(/^ua-parser-js@1\./);
    expect(v.hostingAsns).toMatch(/^hosting-asns\.yaml@/);
    expect(v.lists.map((l) => [l.name, l.entries, l.invalidLines])).toEqual([['tor-exits', 2, 1], ['blocked', 1, 0]]);
  });
});

describe('user lists', () => {
  it('lets a tor list win over the hosting ASN and reports list membership', () => {
    expect(enricher.lookupIp('185.220.101.1')).toMatchObject({ ipType: 'tor', lists: ['tor-exits'] });
    expect(enricher.lookupIp('185.220.101.2')!.ipType).not.toBe('tor'); // same /24, not listed
    expect(enricher.lookupIp('2a0b:f4c2::1')).toMatchObject({ ipType: 'tor' });
    expect(enricher.lookupIp('203.0.113.9')!.lists).toEqual(['blocked']);
  });

  it('picks up a changed list file on reloadLists()', async () => {
    await writeFile(torFile, '185.220.101.2\n');
    await enricher.reloadLists();
    expect(enricher.lookupIp('185.220.101.1')!.ipType).not.toBe('tor');
    expect(enricher.lookupIp('185.220.101.2')).toMatchObject({ ipType: 'tor' });
    expect(enricher.dataVersion.lists[0].entries).toBe(1);
  });

  it('keeps the previous content when a list file disappears', async () => {
    await rm(torFile);
    await enricher.reloadLists();
    expect(enricher.lookupIp('185.220.101.2')).toMatchObject({ ipType: 'tor' });
  });

  it('notices changed files by polling, without a restart', async () => {
    const file = path.join(dir, 'vpn.txt');
    await writeFile(file, '198.51.100.0/24\n');
    const changes: number[] = [];
    const polling = await createEnricher(
      { ...DEFAULT_ENRICH_CONFIG, listReloadSeconds: 1, lists: [{ name: 'vpn', type: 'vpn', file }] },
      { logger: silentLogger, onDataChange: (v) => changes.push(v.lists[0].entries) },
    );
    try {
      expect(polling.lookupIp('52.94.76.1')!.ipType).toBe('datacenter');
      await writeFile(file, '198.51.100.0/24\n52.94.76.0/24\n');
      await utimes(file, new Date(), new Date(Date.now() + 5000));
      const deadline = Date.now() + 10_000;
      while (polling.lookupIp('52.94.76.1')!.ipType !== 'vpn' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(polling.lookupIp('52.94.76.1')).toMatchObject({ ipType: 'vpn', asn: 16509 });
      expect(changes).toEqual([2]);
    } finally {
      polling.close();
    }
  });

  it('fails start-up with the list name and file when a list cannot be read', async () => {
    const missing = path.join(dir, 'missing.txt');
    await expect(
      createEnricher({ ...DEFAULT_ENRICH_CONFIG, lists: [{ name: 'gone', type: 'block', file: missing }] }, { logger: silentLogger }),
    ).rejects.toThrow(/enrichment list "gone": cannot read .*missing\.txt/);
  });
});

describe('disabled enrichment', () => {
  it('leaves events untouched and loads nothing', async () => {
    const off = await createEnricher({ ...DEFAULT_ENRICH_CONFIG, enabled: false }, { logger: silentLogger });
    const batch = [event({ ip: '52.94.76.1', userAgent: 'curl/8.4.0' })];
    off.enrich(batch);
    expect(batch[0]).toMatchObject({ country: null, asn: null, ipType: null, deviceType: null, isBot: null });
    expect(off.dataVersion.enabled).toBe(false);
    off.close();
  });
});

describe('hosting-asns.yaml', () => {
  it('only lists AS numbers that exist in the shipped AS data', async () => {
    const [db, hosting] = await Promise.all([loadIpDatabase(), loadHostingAsns(null)]);
    const known = new Set(db.asNumbers);
    const unknown = hosting.entries.filter((e) => !known.has(e.asn)).map((e) => e.asn);
    expect(unknown).toEqual([]);
    expect(hosting.entries.length).toBeGreaterThan(50);
  });
});
