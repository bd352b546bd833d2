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

const COMMA = 44;
const NL = 10;
const CR = 13;
const QUOTE = 34;

/**
 * A cursor over a CSV file's bytes. The files are large (~60 MB in all), so numbers are parsed straight from the
 * bytes instead of through strings; only text fields are decoded.
 */
class CsvBytes {
  pos = 0;
  line = 1;
  private readonly limbs = new Int32Array(8);

  constructor(
    readonly file: string,
    private readonly buf: Buffer,
  ) {}

  get done(): boolean {
    while (this.pos < this.buf.length && (this.buf[this.pos] === NL || this.buf[this.pos] === CR)) {
      if (this.buf[this.pos] === NL) this.line++;
      this.pos++;
    }
    return this.pos >= this.buf.length;
  }

  fail(message: string): never {
    throw new Error(`${this.file}:${this.line}: ${message}`);
  }

  private endField(): void {
    const c = this.buf[this.pos];
    if (c === COMMA) this.pos++;
    else if (c !== NL && c !== CR && this.pos < this.buf.length) this.fail(`unexpected character ${JSON.stringify(String.fromCharCode(c))}`);
  }

  /** An unsigned decimal that fits in 32 bits. */
  uint32(): number {
    const { buf } = this;
    let v = 0;
    const from = this.pos;
    while (this.pos < buf.length && buf[this.pos] >= 48 && buf[this.pos] <= 57) v = v * 10 + (buf[this.pos++] - 48);
    if (this.pos === from || this.pos - from > 10 || v > 0xffffffff) this.fail('expected an unsigned 32-bit integer');
    this.endField();
    return v;
  }

  /** An unsigned decimal that fits in 128 bits, written to out[0..3], most significant word first. */
  uint128(out: Uint32Array): void {
    const { buf } = this;
    const limbs = this.limbs; // eight 16-bit limbs, most significant first: small integer maths only
    limbs.fill(0);
    const from = this.pos;
    while (this.pos < buf.length && buf[this.pos] >= 48 && buf[this.pos] <= 57) {
      // up to 4 digits at a time: limb * 10^4 + carry stays below 2^31
      let chunk = 0;
      let scale = 1;
      while (scale < 10000 && this.pos < buf.length && buf[this.pos] >= 48 && buf[this.pos] <= 57) {
        chunk = chunk * 10 + (buf[this.pos++] - 48);
        scale *= 10;
      }
      let carry = chunk;
      for (let k = 7; k >= 0; k--) {
        const x = limbs[k] * scale + carry;
        limbs[k] = x & 0xffff;
        carry = x >>> 16;
      }
      if (carry !== 0) this.fail('integer does not fit in 128 bits');
    }
    if (this.pos === from) this.fail('expected an unsigned integer');
    for (let w = 0; w < 4; w++) out[w] = ((limbs[2 * w] << 16) | limbs[2 * w + 1]) >>> 0;
    this.endField();
  }

  /** A text field, quoted ("a, ""b""") or not, up to the next comma or end of line. */
  text(): string {
    const { buf } = this;
    if (buf[this.pos] === QUOTE) {
      let value = '';
      let from = this.pos + 1;
      for (;;) {
        const q = buf.indexOf(QUOTE, from);
        if (q === -1) this.fail('unterminated quoted field');
        value += buf.toString('utf8', from, q);
        if (buf[q + 1] === QUOTE) {
          value += '"';
          from = q + 2;
        } else {
          this.pos = q + 1;
          break;
        }
      }
      this.endField();
      return value;
    }
    const from = this.pos;
    while (this.pos < buf.length && buf[this.pos] !== COMMA && buf[this.pos] !== NL && buf[this.pos] !== CR) this.pos++;
    const value = buf.toString('utf8', from, this.pos);
    this.endField();
    return value;
  }

  /** Requires the end of the record. */
  endRecord(): void {
    if (this.pos < this.buf.length && this.buf[this.pos] !== NL && this.buf[this.pos] !== CR) this.fail('too many fields');
  }
}

async function openCsv(file: string): Promise<CsvBytes> {
  return new CsvBytes(file, await readFile(file));
}

/** Reads one family's `start,end` pair into the builder's key format, then the value via `readValue`. */
async function loadTable(file: string, family: 'ipv4' | 'ipv6', readValue: (csv: CsvBytes) => number): Promise<RangeTable> {
  const csv = await openCsv(file);
  const builder = new RangeTableBuilder(family === 'ipv4' ? 1 : 4, 1 << 16);
  const start = new Uint32Array(4);
  const end = new Uint32Array(4);
  while (!csv.done) {
    if (family === 'ipv4') {
      const s = csv.uint32();
      const e = csv.uint32();
      if (e < s) csv.fail('range end is before its start');
      builder.add4(s, e, readValue(csv));
    } else {
      csv.uint128(start);
      csv.uint128(end);
      try {
        builder.add6(start, end, readValue(csv));
      } catch (err) {
        csv.fail((err as Error).message);
      }
    }
    csv.endRecord();
  }
  return builder.build();
}

function loadCountries(dir: string, family: 'ipv4' | 'ipv6', countries: string[], index: Map<string, number>): Promise<RangeTable> {
  return loadTable(path.join(dir, `geo-whois-asn-country-${family}-num.csv`), family, (csv) => {
    const cc = csv.text();
    let v = index.get(cc);
    if (v === undefined) {
      if (!/^[A-Z]{2}$/.test(cc)) csv.fail(`country ${JSON.stringify(cc)} is not a two-letter code`);
      v = countries.length;
      countries.push(cc);
      index.set(cc, v);
    }
    return v;
  });
}

/** Interns (AS number, organisation) pairs: most AS numbers have one name, so the number alone usually decides. */
class AsInterner {
  readonly numbers: number[] = [];
  readonly orgs: string[] = [];
  private readonly byNumber = new Map<number, number>();
  private readonly byPair = new Map<string, number>();

  intern(asn: number, org: string): number {
    const first = this.byNumber.get(asn);
    if (first !== undefined && this.orgs[first] === org) return first;
    if (first !== undefined) {
      const key = `${asn}\u0000${org}`;
      const other = this.byPair.get(key);
      if (other !== undefined) return other;
      this.byPair.set(key, this.numbers.length);
    } else {
      this.byNumber.set(asn, this.numbers.length);
    }
    this.numbers.push(asn);
    this.orgs.push(org);
    return this.numbers.length - 1;
  }
}

function loadAsns(dir: string, family: 'ipv4' | 'ipv6', interner: AsInterner): Promise<RangeTable> {
  return loadTable(path.join(dir, `asn-${family}-num.csv`), family, (csv) => {
    const asn = csv.uint32();
    return interner.intern(asn, csv.text());
  });
}

let loaded: Promise<IpDatabase> | null = null;

/**
 * Reads and indexes both packages (IPv4 and IPv6): about 1.5 s and 50 MB. The result is immutable and shared by
 * every enricher of the process, so it is built once.
 */
export function loadIpDatabase(): Promise<IpDatabase> {
  loaded ??= buildIpDatabase().catch((err: unknown) => {
    loaded = null;
    throw err;
  });
  return loaded;
}

async function buildIpDatabase(): Promise<IpDatabase> {
  const country = packageDir(COUNTRY_PACKAGE);
  const asn = packageDir(ASN_PACKAGE);
  const countries: string[] = [];
  const countryIndex = new Map<string, number>();
  const country4 = await loadCountries(country.dir, 'ipv4', countries, countryIndex);
  const country6 = await loadCountries(country.dir, 'ipv6', countries, countryIndex);
  const interner = new AsInterner();
  const asn4 = await loadAsns(asn.dir, 'ipv4', interner);
  const asn6 = await loadAsns(asn.dir, 'ipv6', interner);
  return {
    country4,
    country6,
    asn4,
    asn6,
    countries,
    asNumbers: Uint32Array.from(interner.numbers),
    asOrgs: interner.orgs,
    versions: { country: `${COUNTRY_PACKAGE}@${country.version}`, asn: `${ASN_PACKAGE}@${asn.version}` },
  };
}
