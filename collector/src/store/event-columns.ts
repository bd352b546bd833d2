import duckdb from '@duckdb/node-bindings';
import type { SecurityEvent } from '../events/security-event.js';
import { EVENT_COLUMNS } from './schema.js';

type ColumnType = (typeof EVENT_COLUMNS)[number]['type'];
type Field = keyof SecurityEvent;

const TWO_32 = 4294967296;
/** DuckDB's string_t (public C API layout, duckdb_string_t): strings up to 12 bytes live inside it. */
const STRING_T_BYTES = 16;
const INLINE_MAX = 12;

/** One reader per field: a named property load the engine can specialise, unlike `event[field]` with a variable key. */
const READ: { [K in Field]: (e: SecurityEvent) => SecurityEvent[K] } = {
  timeUs: (e) => e.timeUs,
  identity: (e) => e.identity,
  identityKind: (e) => e.identityKind,
  userId: (e) => e.userId,
  ip: (e) => e.ip,
  network: (e) => e.network,
  userAgent: (e) => e.userAgent,
  httpMethod: (e) => e.httpMethod,
  urlPath: (e) => e.urlPath,
  urlQuery: (e) => e.urlQuery,
  httpRoute: (e) => e.httpRoute,
  statusCode: (e) => e.statusCode,
  eventType: (e) => e.eventType,
  referer: (e) => e.referer,
  serviceName: (e) => e.serviceName,
  traceId: (e) => e.traceId,
  spanId: (e) => e.spanId,
  durationMs: (e) => e.durationMs,
  country: (e) => e.country,
  asn: (e) => e.asn,
  asOrg: (e) => e.asOrg,
  ipType: (e) => e.ipType,
  deviceType: (e) => e.deviceType,
  browser: (e) => e.browser,
  os: (e) => e.os,
  isBot: (e) => e.isBot,
};

/**
 * Fills data chunks laid out as the `events` table without allocating per value, which is what keeps ingest off the
 * garbage collector: numbers and short strings are staged in typed arrays and copied into each vector in one call,
 * longer strings go through one C API call per column, and validity masks (little-endian uint64 words, one bit per row) are staged the same way.
 * One instance per writer: the staging buffers are reused from chunk to chunk.
 */
export class EventChunkFiller {
  private readonly mask: Uint8Array;
  private readonly words: Uint32Array; // int64 timestamps as two halves
  private readonly ints: Int32Array;
  private readonly doubles: Float64Array;
  private readonly bools: Uint8Array;
  /** duckdb_string_t slots (16 bytes: uint32 length + 12 inlined bytes) for short ASCII strings. */
  private readonly strings: Uint8Array;
  private readonly stringLengths: DataView;
  /** Rows whose string is too long (or not ASCII) to inline in JS: see assignLongStrings. */
  private readonly longRows: Int32Array;
  /** The long strings of the column being filled, as UTF-8 back to back, and where each one starts and how long it is. */
  private longBytes = Buffer.alloc(64 * 1024);
  private readonly parts: string[] = [];
  private readonly longStarts: Int32Array;
  private readonly longSizes: Int32Array;

  constructor(private readonly maxRows = duckdb.vector_size()) {
    this.strings = new Uint8Array(maxRows * STRING_T_BYTES);
    this.stringLengths = new DataView(this.strings.buffer);
    this.longRows = new Int32Array(maxRows);
    this.longStarts = new Int32Array(maxRows);
    this.longSizes = new Int32Array(maxRows);
    this.mask = new Uint8Array(Math.ceil(maxRows / 64) * 8);
    this.words = new Uint32Array(maxRows * 2);
    this.ints = new Int32Array(maxRows);
    this.doubles = new Float64Array(maxRows);
    this.bools = new Uint8Array(maxRows);
  }

  /** Writes rows[from, to) into the chunk (at most DuckDB's vector size rows). */
  fill(chunk: duckdb.DataChunk, rows: readonly SecurityEvent[], from: number, to: number): void {
    const n = to - from;
    if (n > this.maxRows) throw new RangeError(`a data chunk holds at most ${this.maxRows} rows, got ${n}`);
    duckdb.data_chunk_set_size(chunk, n);
    for (let c = 0; c < EVENT_COLUMNS.length; c++) {
      const { type, field } = EVENT_COLUMNS[c];
      this.fillColumn(duckdb.data_chunk_get_vector(chunk, c), type, field, rows, from, n);
    }
  }

  /**
   * Short ASCII strings (most of them: methods, kinds, networks, event types, countries) are written into their
   * string_t slots in JS and copied with the column in one call; the longer ones of the column share one C API call.
   */
  private fillStrings(vector: duckdb.Vector, read: (e: SecurityEvent) => unknown, rows: readonly SecurityEvent[], from: number, n: number): void {
    const { mask, strings, stringLengths, longRows } = this;
    let longCount = 0;
    strings.fill(0, 0, n * STRING_T_BYTES);
    for (let i = 0; i < n; i++) {
      const v = read(rows[from + i]) as string | null | undefined;
      if (v === null || v === undefined) continue; // bit stays 0: NULL
      mask[i >> 3] |= 1 << (i & 7);
      const len = v.length;
      let inline = len <= INLINE_MAX;
      const slot = i * STRING_T_BYTES;
      for (let k = 0; inline && k < len; k++) {
        const code = v.charCodeAt(k);
        if (code > 0x7f) inline = false;
        else strings[slot + 4 + k] = code;
      }
      if (inline) stringLengths.setUint32(slot, len, true);
      else longRows[longCount++] = i;
    }
    if (longCount > 0) this.assignLongStrings(vector, read, rows, from, n, longCount);
    duckdb.copy_data_to_vector(vector, 0, strings.buffer as ArrayBuffer, strings.byteOffset, n * STRING_T_BYTES);
  }

  /**
   * Assigns a column's long strings with one C API call: their UTF-8 bytes, back to back, become one string in the
   * vector's heap, and each row's slot is then written here (length, first four bytes, and a pointer to its own bytes
   * within that string, from the pointer DuckDB put in the assigned slot). Non-ASCII strings of at most 12 bytes are
   * inlined instead, as string_t requires.
   */
  private assignLongStrings(vector: duckdb.Vector, read: (e: SecurityEvent) => unknown, rows: readonly SecurityEvent[], from: number, n: number, longCount: number): void {
    const { strings, stringLengths, longRows, longStarts, longSizes, parts } = this;
    let size = 0;
    let pointerRow = -1;
    for (let j = 0; j < longCount; j++) parts[j] = read(rows[from + longRows[j]]) as string;
    parts.length = longCount;
    // Usually every string is ASCII: then one native UTF-8 encoding of them all gives every offset. Otherwise each is
    // encoded on its own (joined, a lone surrogate at the end of one and at the start of the next would pair up).
    const joined = parts.join('');
    if (this.longBytes.length < joined.length * 3) this.growLongBytes(joined.length * 3);
    const ascii = this.longBytes.write(joined, 0, 'utf8') === joined.length;
    for (let j = 0; j < longCount; j++) {
      const byteLength = ascii ? parts[j].length : this.longBytes.write(parts[j], size, 'utf8');
      longStarts[j] = size;
      longSizes[j] = byteLength;
      size += byteLength;
      if (byteLength > INLINE_MAX && pointerRow < 0) pointerRow = longRows[j];
    }
    parts.length = 0; // no references kept to the batch's strings
    const bytes = this.longBytes;
    let pointerLow = 0;
    let pointerHigh = 0;
    if (pointerRow >= 0) {
      duckdb.vector_assign_string_element_len(vector, pointerRow, bytes.subarray(0, size));
      const slot = duckdb.vector_get_data(vector, n * STRING_T_BYTES);
      const view = new DataView(slot.buffer, slot.byteOffset + pointerRow * STRING_T_BYTES, STRING_T_BYTES);
      pointerLow = view.getUint32(8, true);
      pointerHigh = view.getUint32(12, true);
    }
    for (let j = 0; j < longCount; j++) {
      const slot = longRows[j] * STRING_T_BYTES;
      const start = longStarts[j];
      const byteLength = longSizes[j];
      stringLengths.setUint32(slot, byteLength, true);
      if (byteLength <= INLINE_MAX) {
        for (let b = 0; b < byteLength; b++) strings[slot + 4 + b] = bytes[start + b];
        continue;
      }
      for (let b = 0; b < 4; b++) strings[slot + 4 + b] = bytes[start + b];
      const low = pointerLow + start;
      stringLengths.setUint32(slot + 8, low % TWO_32, true);
      stringLengths.setUint32(slot + 12, pointerHigh + (low >= TWO_32 ? 1 : 0), true);
    }
  }

  private growLongBytes(atLeast: number): void {
    this.longBytes = Buffer.alloc(Math.max(atLeast, this.longBytes.length * 2)); // nothing in it is kept between columns
  }

  private fillColumn(vector: duckdb.Vector, type: ColumnType, field: Field, rows: readonly SecurityEvent[], from: number, n: number): void {
    const mask = this.mask;
    const maskBytes = Math.ceil(n / 64) * 8;
    mask.fill(0, 0, maskBytes);
    let staged: ArrayBufferView | null = null;
    const read = READ[field] as (e: SecurityEvent) => unknown;
    if (type === 'VARCHAR') this.fillStrings(vector, read, rows, from, n);
    else for (let i = 0; i < n; i++) {
      const v = read(rows[from + i]);
      if (v === null || v === undefined) continue; // bit stays 0: NULL
      mask[i >> 3] |= 1 << (i & 7);
      switch (type) {
        case 'TIMESTAMPTZ': // int64 microseconds, positive (mapping rejects others): no BigInt per row
          this.words[2 * i] = (v as number) % TWO_32;
          this.words[2 * i + 1] = Math.floor((v as number) / TWO_32);
          staged = this.words;
          break;
        case 'INTEGER':
          this.ints[i] = v as number;
          staged = this.ints;
          break;
        case 'DOUBLE':
          this.doubles[i] = v as number;
          staged = this.doubles;
          break;
        case 'BOOLEAN':
          this.bools[i] = v ? 1 : 0;
          staged = this.bools;
          break;
      }
    }
    if (staged) {
      const width = staged.byteLength / this.maxRows;
      duckdb.copy_data_to_vector(vector, 0, staged.buffer as ArrayBuffer, staged.byteOffset, n * width);
    }
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer as ArrayBuffer, mask.byteOffset, maskBytes);
  }
}
