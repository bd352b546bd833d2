import ipaddr from 'ipaddr.js';
import { RangeTableBuilder, type RangeTable } from './range-table.js';

/** ipaddr.js's special-purpose ranges (loopback, private, linkLocal, ...) as range tables, for lookups without parsing. */
export interface SpecialRanges {
  v4: RangeTable;
  v6: RangeTable;
  /** Value index → ipaddr.js range name. */
  names: string[];
}

type RangeSpec = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** ipaddr.js keeps its range list on the prototype (untyped); entries are one [addr, bits] pair or a list of them. */
function rangeSpecs(proto: unknown): Array<[string, RangeSpec[]]> {
  const table = (proto as { SpecialRanges?: Record<string, RangeSpec | RangeSpec[]> }).SpecialRanges;
  if (!table || typeof table !== 'object') throw new Error('ipaddr.js no longer exposes SpecialRanges; update special-ranges.ts');
  return Object.entries(table).map(([name, spec]) => [name, Array.isArray(spec[0]) ? (spec as RangeSpec[]) : [spec as RangeSpec]]);
}

function words(bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
  return out;
}

function lastWords(first: number[], bits: number): number[] {
  return first.map((w, i) => {
    const keep = Math.min(32, Math.max(0, bits - 32 * i));
    return keep === 32 ? w : (w | (0xffffffff >>> keep)) >>> 0;
  });
}

/**
 * Builds the tables. More specific ranges win where ranges nest (e.g. the IPv4 broadcast address inside 240/4
 * "reserved"), which is what ipaddr.js's own range() does. Sorting by start then by size puts nested ranges last.
 */
export function buildSpecialRanges(): SpecialRanges {
  const names: string[] = [];
  const build = (proto: unknown, W: 1 | 4): RangeTable => {
    const entries: Array<{ first: number[]; last: number[]; value: number }> = [];
    for (const [name, specs] of rangeSpecs(proto)) {
      let value = names.indexOf(name);
      if (value === -1) value = names.push(name) - 1;
      for (const [addr, bits] of specs) {
        const first = words(addr.toByteArray());
        entries.push({ first, last: lastWords(first, bits), value });
      }
    }
    const cmp = (a: number[], b: number[]) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return 0;
    };
    entries.sort((a, b) => cmp(a.first, b.first) || -cmp(a.last, b.last));
    const b = new RangeTableBuilder(W, entries.length);
    for (const e of entries) {
      if (W === 1) b.add4(e.first[0], e.last[0], e.value);
      else b.add6(e.first, e.last, e.value);
    }
    return b.build();
  };
  return { v4: build(ipaddr.IPv4.prototype, 1), v6: build(ipaddr.IPv6.prototype, 4), names };
}
