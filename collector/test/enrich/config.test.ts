import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigProblems } from '../../src/config/problems.js';
import { DEFAULT_ENRICH_CONFIG, validateEnrichConfig } from '../../src/enrich/config.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const torFile = join(tmp.dir, 'tor.txt');
writeFileSync(torFile, '192.0.2.1\n');
import { parseHostingAsns } from '../../src/enrich/hosting-asns.js';

describe('validateEnrichConfig()', () => {
  it('returns the defaults for a missing section', () => {
    expect(validateEnrichConfig(undefined)).toEqual(DEFAULT_ENRICH_CONFIG);
    expect(validateEnrichConfig({})).toMatchObject({ enabled: true, lists: [], listReloadSeconds: 30 });
  });

  it('accepts lists and returns a frozen config', () => {
    const cfg = validateEnrichConfig({ enabled: true, lists: [{ name: 'tor', type: 'tor', file: torFile }], listReloadSeconds: 0 });
    expect(cfg.lists).toEqual([{ name: 'tor', type: 'tor', file: torFile }]);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.lists)).toBe(true);
  });

  it.each([
    [{ enable: true }, /enrichment\.enable: unknown setting/],
    [{ enabled: 'yes' }, /enrichment\.enabled: must be true or false/],
    [{ lists: 'tor.txt' }, /enrichment\.lists: must be a list \(got a string\)/],
    [{ lists: ['tor.txt'] }, /enrichment\.lists\[0\]: must be a mapping with name, type and file \(got a string\)/],
    [{ lists: [{ name: 'a', type: 'proxy', file: 'f' }] }, /enrichment\.lists\[0\]\.type: must be one of tor, vpn, datacenter, allow, block/],
    [{ lists: [{ name: '', type: 'tor', file: 'f' }] }, /enrichment\.lists\[0\]\.name: must be a non-empty string/],
    [{ lists: [{ name: 'a', type: 'tor' }] }, /enrichment\.lists\[0\]\.file: must be a non-empty string/],
    [{ lists: [{ name: 'a', type: 'tor', file: 'f', url: 'x' }] }, /enrichment\.lists\[0\]\.url: unknown setting/],
    [{ lists: [{ name: 'a', type: 'tor', file: 'f' }, { name: 'a', type: 'vpn', file: 'g' }] }, /enrichment\.lists\[1\]\.name "a" is used twice/],
    [{ listReloadSeconds: -1 }, /enrichment\.listReloadSeconds: must be an integer/],
    [{ networkCacheSize: 0 }, /enrichment\.networkCacheSize: must be an integer/],
    [{ userAgentCacheSize: 1.5 }, /enrichment\.userAgentCacheSize: must be an integer/],
    [[], /enrichment: must be a mapping \(got a list\)/],
  ])('rejects %j', (raw, message) => {
    expect(() => validateEnrichConfig(raw)).toThrow(message);
  });

  it('lists every problem, files that cannot be read included, each by its key', () => {
    const asns = join(tmp.dir, 'asns.yaml');
    writeFileSync(asns, 'asns: [{ asn: 1, name: a, kind: isp }]\n');
    const raw = {
      lists: [{ name: 'tor', type: 'tor', file: torFile }, { name: 'gone', type: 'vpn', file: '/nonexistent.txt' }, { name: 'dir', type: 'block', file: tmp.dir }],
      hostingAsnsFile: asns,
      networkCacheSize: 0,
    };
    let problems: readonly string[] = [];
    try {
      validateEnrichConfig(raw);
    } catch (err) {
      problems = (err as ConfigProblems).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^enrichment\.lists\[1\]\.file: cannot read \/nonexistent\.txt: ENOENT/),
      expect.stringMatching(/^enrichment\.lists\[2\]\.file: cannot read .*: not a file/),
      expect.stringMatching(/^enrichment\.hostingAsnsFile: .*asns\.yaml: asns\[0\]\.kind must be one of/),
      expect.stringMatching(/^enrichment\.networkCacheSize: must be an integer/),
    ]);
    // Files are not read when enrichment is off.
    expect(validateEnrichConfig({ ...raw, networkCacheSize: 10, enabled: false }).lists).toHaveLength(3);
  });
});

describe('parseHostingAsns()', () => {
  it('rejects duplicates and unknown kinds, naming the entry', () => {
    expect(() => parseHostingAsns({ asns: [{ asn: 1, name: 'a', kind: 'cloud' }, { asn: 1, name: 'b', kind: 'cloud' }] }, 'h.yaml')).toThrow(/h\.yaml: asns\[1\]\.asn 1 is listed twice/);
    expect(() => parseHostingAsns({ asns: [{ asn: 1, name: 'a', kind: 'isp' }] }, 'h.yaml')).toThrow(/asns\[0\]\.kind must be one of/);
    expect(() => parseHostingAsns({}, 'h.yaml')).toThrow(/expected a mapping with an "asns" list/);
  });
});
