import { describe, expect, it } from 'vitest';
import { DEFAULT_ENRICH_CONFIG, validateEnrichConfig } from '../../src/enrich/config.js';
import { parseHostingAsns } from '../../src/enrich/hosting-asns.js';

describe('validateEnrichConfig()', () => {
  it('returns the defaults for a missing section', () => {
    expect(validateEnrichConfig(undefined)).toEqual(DEFAULT_ENRICH_CONFIG);
    expect(validateEnrichConfig({})).toMatchObject({ enabled: true, lists: [], listReloadSeconds: 30 });
  });

  it('accepts lists and returns a frozen config', () => {
    const cfg = validateEnrichConfig({ enabled: true, lists: [{ name: 'tor', type: 'tor', file: 'tor.txt' }], listReloadSeconds: 0 });
    expect(cfg.lists).toEqual([{ name: 'tor', type: 'tor', file: 'tor.txt' }]);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.lists)).toBe(true);
  });

  it.each([
    [{ enable: true }, /enrichment\.enable is not a known key/],
    [{ enabled: 'yes' }, /enrichment\.enabled must be true or false/],
    [{ lists: 'tor.txt' }, /enrichment\.lists must be a list/],
    [{ lists: [{ name: 'a', type: 'proxy', file: 'f' }] }, /enrichment\.lists\[0\]\.type must be one of tor, vpn, datacenter, allow, block/],
    [{ lists: [{ name: '', type: 'tor', file: 'f' }] }, /enrichment\.lists\[0\]\.name must be a non-empty string/],
    [{ lists: [{ name: 'a', type: 'tor' }] }, /enrichment\.lists\[0\]\.file must be a non-empty string/],
    [{ lists: [{ name: 'a', type: 'tor', file: 'f', url: 'x' }] }, /enrichment\.lists\[0\]\.url is not a known key/],
    [{ lists: [{ name: 'a', type: 'tor', file: 'f' }, { name: 'a', type: 'vpn', file: 'g' }] }, /enrichment\.lists\[1\]\.name "a" is used twice/],
    [{ listReloadSeconds: -1 }, /enrichment\.listReloadSeconds must be an integer/],
    [{ networkCacheSize: 0 }, /enrichment\.networkCacheSize must be an integer/],
    [{ userAgentCacheSize: 1.5 }, /enrichment\.userAgentCacheSize must be an integer/],
    [[], /enrichment must be an object/],
  ])('rejects %j', (raw, message) => {
    expect(() => validateEnrichConfig(raw)).toThrow(message);
  });
});

describe('parseHostingAsns()', () => {
  it('rejects duplicates and unknown kinds, naming the entry', () => {
    expect(() => parseHostingAsns({ asns: [{ asn: 1, name: 'a', kind: 'cloud' }, { asn: 1, name: 'b', kind: 'cloud' }] }, 'h.yaml')).toThrow(/h\.yaml: asns\[1\]\.asn 1 is listed twice/);
    expect(() => parseHostingAsns({ asns: [{ asn: 1, name: 'a', kind: 'isp' }] }, 'h.yaml')).toThrow(/asns\[0\]\.kind must be one of/);
    expect(() => parseHostingAsns({}, 'h.yaml')).toThrow(/expected a mapping with an "asns" list/);
  });
});
