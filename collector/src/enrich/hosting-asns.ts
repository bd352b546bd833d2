import path from 'node:path';
import { bundledDataDir, isRecord, readYamlFile } from './data-files.js';

export type HostingKind = 'cloud' | 'hosting' | 'cdn' | 'scanner';
const KINDS: readonly string[] = ['cloud', 'hosting', 'cdn', 'scanner'];

export interface HostingAsn {
  asn: number;
  name: string;
  kind: HostingKind;
  note?: string;
}

export interface HostingAsnList {
  /** `<file name>@<version>`, recorded in enrichment_info. */
  version: string;
  entries: HostingAsn[];
  asns: ReadonlySet<number>;
}

export const BUNDLED_HOSTING_ASNS_FILE = 'hosting-asns.yaml';

/** Parses and checks a hosting ASN list document (see collector/data/hosting-asns.yaml). */
export function parseHostingAsns(doc: unknown, source: string): HostingAsnList {
  if (!isRecord(doc) || !Array.isArray(doc.asns)) throw new Error(`${source}: expected a mapping with an "asns" list`);
  const entries: HostingAsn[] = [];
  const seen = new Set<number>();
  doc.asns.forEach((raw: unknown, i: number) => {
    const at = `${source}: asns[${i}]`;
    if (!isRecord(raw)) throw new Error(`${at} must be a mapping with asn, name and kind`);
    const { asn, name, kind, note } = raw;
    if (typeof asn !== 'number' || !Number.isInteger(asn) || asn <= 0 || asn > 0xffffffff) throw new Error(`${at}.asn must be a positive 32-bit integer`);
    if (typeof name !== 'string' || name.trim() === '') throw new Error(`${at}.name must be a non-empty string`);
    if (typeof kind !== 'string' || !KINDS.includes(kind)) throw new Error(`${at}.kind must be one of ${KINDS.join(', ')}`);
    if (note !== undefined && typeof note !== 'string') throw new Error(`${at}.note must be a string`);
    if (seen.has(asn)) throw new Error(`${at}.asn ${asn} is listed twice`);
    seen.add(asn);
    entries.push({ asn, name, kind: kind as HostingKind, ...(note !== undefined ? { note } : {}) });
  });
  const version = doc.version === undefined ? 'unversioned' : String(doc.version);
  return { version: `${path.basename(source)}@${version}`, entries, asns: seen };
}

/** Loads the given file, or the bundled list when `file` is null. */
export async function loadHostingAsns(file: string | null): Promise<HostingAsnList> {
  const source = file ?? path.join(bundledDataDir(), BUNDLED_HOSTING_ASNS_FILE);
  return parseHostingAsns(await readYamlFile(source), source);
}
