import { readFile, stat } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';
import type { IpListConfig } from './config.js';
import { RangeTableBuilder, type RangeTable } from './range-table.js';

/** One user list, parsed. Replaced as a whole on reload. */
export interface LoadedIpList {
  config: IpListConfig;
  v4: RangeTable;
  v6: RangeTable;
  /** Valid lines (addresses or ranges). */
  entries: number;
  /** Lines that are neither an address nor a CIDR range (first few kept for the log). */
  invalidLines: number;
  invalidExamples: string[];
  loadedAt: Date;
  mtimeMs: number;
  size: number;
}

function wordsOf(addr: ipaddr.IPv6): Uint32Array {
  const b = addr.toByteArray();
  const out = new Uint32Array(4);
  for (let w = 0; w < 4; w++) out[w] = ((b[4 * w] << 24) | (b[4 * w + 1] << 16) | (b[4 * w + 2] << 8) | b[4 * w + 3]) >>> 0;
  return out;
}

function v4Number(addr: ipaddr.IPv4): number {
  const o = addr.octets;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

/** Sets the low (128 - prefix) bits of a 4-word key to `bit` (0 = first address, 1 = last). */
function fillHost(words: Uint32Array, prefix: number, bit: 0 | 1): Uint32Array {
  const out = Uint32Array.from(words);
  for (let w = 0; w < 4; w++) {
    const keep = Math.min(32, Math.max(0, prefix - 32 * w)); // network bits in this word
    const hostMask = keep === 32 ? 0 : keep === 0 ? 0xffffffff : 0xffffffff >>> keep;
    out[w] = bit ? (out[w] | hostMask) >>> 0 : (out[w] & ~hostMask) >>> 0;
  }
  return out;
}

/**
 * Parses list text: one IPv4/IPv6 address or CIDR range per line; `#` starts a comment; blank lines are skipped.
 * IPv4-mapped IPv6 entries count as IPv4.
 */
export function parseIpList(config: IpListConfig, text: string): Omit<LoadedIpList, 'loadedAt' | 'mtimeMs' | 'size'> {
  const b4 = new RangeTableBuilder(1, 256);
  const b6 = new RangeTableBuilder(4, 64);
  let entries = 0;
  let invalidLines = 0;
  const invalidExamples: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') return;
    try {
      const [addr, prefix] = line.includes('/') ? ipaddr.parseCIDR(line) : (() => {
        const a = ipaddr.parse(line);
        return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
      })();
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
        const v4 = v4Number((addr as ipaddr.IPv6).toIPv4Address());
        const bits = prefix - 96;
        const size = 2 ** (32 - bits);
        const first = Math.floor(v4 / size) * size;
        b4.add4(first, first + size - 1, 1);
      } else if (addr.kind() === 'ipv4') {
        const size = 2 ** (32 - prefix);
        const first = Math.floor(v4Number(addr as ipaddr.IPv4) / size) * size;
        b4.add4(first, first + size - 1, 1);
      } else {
        const words = wordsOf(addr as ipaddr.IPv6);
        b6.add6(fillHost(words, prefix, 0), fillHost(words, prefix, 1), 1);
      }
      entries++;
    } catch {
      invalidLines++;
      if (invalidExamples.length < 5) invalidExamples.push(`line ${i + 1}: ${JSON.stringify(line.slice(0, 80))}`);
    }
  });
  return { config, v4: b4.build(), v6: b6.build(), entries, invalidLines, invalidExamples };
}

/** Reads and parses a list file. Throws an Error naming the list and file when it cannot be read. */
export async function loadIpList(config: IpListConfig): Promise<LoadedIpList> {
  let text: string;
  let info: { mtimeMs: number; size: number };
  try {
    info = await stat(config.file);
    text = await readFile(config.file, 'utf8');
  } catch (err) {
    throw new Error(`enrichment list "${config.name}": cannot read ${config.file}: ${(err as Error).message}`, { cause: err });
  }
  return { ...parseIpList(config, text), loadedAt: new Date(), mtimeMs: info.mtimeMs, size: info.size };
}

/** Whether a list file changed since it was loaded (modification time or size). Missing files count as unchanged. */
export async function listFileChanged(list: LoadedIpList): Promise<boolean> {
  try {
    const s = await stat(list.config.file);
    return s.mtimeMs !== list.mtimeMs || s.size !== list.size;
  } catch {
    return false;
  }
}
