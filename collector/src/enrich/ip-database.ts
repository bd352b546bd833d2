import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RangeTableBuilder, type RangeTable } from './range-table.js';

/**
 * Country and AS lookups built from the CSV files of two npm packages:
 * - `@ip-location-db/geo-whois-asn-country` (CC0-1.0): `start,end,CC`
 * - `@ip-location-db/asn` (CC-BY-4.0: RouteViews, DB-IP, NRO; see NOTICE): `start,end,asn,"org"`
 * Both in their `-num` form, where start and end are inclusive decimal integers (128-bit for IPv6).
 */
export interface IpDatabase {
  country4: RangeTable;
  country6: RangeTable;
  asn4: RangeTable;
  asn6: RangeTable;
  /** Value index → ISO 3166-1 alpha-2 code. */
  countries: string[];
  /** Value index → AS number (parallel to asOrgs). */
  asNumbers: Uint32Array;
  /** Value index → AS organisation name. */
  asOrgs: string[];
  versions: { country: string; asn: string };
}

const COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country';
const ASN_PACKAGE = '@ip-location-db/asn';

const require = createRequire(import.meta.url);

function packageDir(name: string): { dir: string; version: string } {
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = require(manifestPath) as { version?: string };
  return { dir: path.dirname(manifestPath), version: String(manifest.version ?? 'unknown') };
}

/** Splits one CSV record into fields; handles RFC 4180 quoting ("a, ""b""") used by the org names. */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') === -1) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) throw new Error('unterminated quoted field');
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i < line.length && line.charCodeAt(i) !== 44) throw new Error('text after closing quote');
      i++;
    } else {
      let comma = line.indexOf(',', i);
      if (comma === -1) comma = line.length;
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return fields;
}

/** Calls `onRecord` for each non-empty line of a CSV file, with line numbers in errors. */
async function forEachRecord(file: string, onRecord: (fields: string[]) => void): Promise<void> {
  const text = await readFile(file, 'utf8');
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    lineNo++;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    try {
      onRecord(splitCsvLine(line));
    } catch (err) {
      throw new Error(`${file}:${lineNo}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function bound(field: string | undefined, what: string): bigint {
  if (!field || !/^\d+$/.test(field)) throw new Error(`${what} ${JSON.stringify(field)} is not a non-negative integer`);
  return BigInt(field);
}

async function loadCountries(dir: string, family: 'ipv4' | 'ipv6', countries: string[], index: Map<string, number>): Promise<RangeTable> {
  const builder = new RangeTableBuilder(family === 'ipv4' ? 1 : 4);
  await forEachRecord(path.join(dir, `geo-whois-asn-country-${family}-num.csv`), (f) => {
    const cc = f[2];
    if (!cc || !/^[A-Z]{2}$/.test(cc)) throw new Error(`country ${JSON.stringify(cc)} is not a two-letter code`);
    let v = index.get(cc);
    if (v === undefined) {
      v = countries.length;
      countries.push(cc);
      index.set(cc, v);
    }
    builder.add(bound(f[0], 'start'), bound(f[1], 'end'), v);
  });
  return builder.build();
}

async function loadAsns(
  dir: string,
  family: 'ipv4' | 'ipv6',
  asNumbers: number[],
  asOrgs: string[],
  index: Map<string, number>,
): Promise<RangeTable> {
  const builder = new RangeTableBuilder(family === 'ipv4' ? 1 : 4);
  await forEachRecord(path.join(dir, `asn-${family}-num.csv`), (f) => {
    const asn = Number(f[2]);
    if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw new Error(`AS number ${JSON.stringify(f[2])} is invalid`);
    const org = f[3] ?? '';
    const key = `${asn}\u0000${org}`;
    let v = index.get(key);
    if (v === undefined) {
      v = asNumbers.length;
      asNumbers.push(asn);
      asOrgs.push(org);
      index.set(key, v);
    }
    builder.add(bound(f[0], 'start'), bound(f[1], 'end'), v);
  });
  return builder.build();
}

/** Reads and indexes both packages (IPv4 and IPv6). Takes about a second; call once at start-up. */
export async function loadIpDatabase(): Promise<IpDatabase> {
  const country = packageDir(COUNTRY_PACKAGE);
  const asn = packageDir(ASN_PACKAGE);
  const countries: string[] = [];
  const countryIndex = new Map<string, number>();
  const country4 = await loadCountries(country.dir, 'ipv4', countries, countryIndex);
  const country6 = await loadCountries(country.dir, 'ipv6', countries, countryIndex);
  const asNumbers: number[] = [];
  const asOrgs: string[] = [];
  const asIndex = new Map<string, number>();
  const asn4 = await loadAsns(asn.dir, 'ipv4', asNumbers, asOrgs, asIndex);
  const asn6 = await loadAsns(asn.dir, 'ipv6', asNumbers, asOrgs, asIndex);
  return {
    country4,
    country6,
    asn4,
    asn6,
    countries,
    asNumbers: Uint32Array.from(asNumbers),
    asOrgs,
    versions: { country: `${COUNTRY_PACKAGE}@${country.version}`, asn: `${ASN_PACKAGE}@${asn.version}` },
  };
}
