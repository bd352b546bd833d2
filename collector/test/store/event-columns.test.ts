import duckdb from '@duckdb/node-bindings';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { UNENRICHED } from '../../src/events/security-event.js';
import { EventChunkFiller } from '../../src/store/event-columns.js';
import { EVENT_COLUMNS } from '../../src/store/schema.js';

const TYPES: Record<string, duckdb.Type> = {
  TIMESTAMPTZ: duckdb.Type.TIMESTAMP_TZ,
  VARCHAR: duckdb.Type.VARCHAR,
  INTEGER: duckdb.Type.INTEGER,
  DOUBLE: duckdb.Type.DOUBLE,
  BOOLEAN: duckdb.Type.BOOLEAN,
};

function event(i: number, urlPath: string | null): SecurityEvent {
  return {
    timeUs: 1_764_000_000_000_000 + i,
    identity: 'alice',
    identityKind: 'user',
    userId: 'alice',
    ip: '192.0.2.1',
    network: '192.0.2.*',
    userAgent: null,
    httpMethod: 'GET',
    urlPath,
    urlQuery: null,
    httpRoute: null,
    statusCode: 200,
    eventType: 'page_view',
    referer: null,
    serviceName: 'svc',
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    durationMs: 1,
    ...UNENRICHED,
  };
}

describe('EventChunkFiller', () => {
  it('writes each string_t slot as DuckDB itself would: inlined up to 12 UTF-8 bytes, else length, prefix and a pointer to the bytes', () => {
    const values = ['GET', 'café', 'ab😀cd', '路径路径路', 'exactly12byt', 'thirteen_byte', `/p/${'é'.repeat(40)}`, '/api/products/12345', null, '', 'x'.repeat(3000)];
    const rows = Array.from({ length: 2048 }, (_, i) => event(i, values[(i * 5) % values.length]));
    const types = EVENT_COLUMNS.map((c) => duckdb.create_logical_type(TYPES[c.type]));
    const chunk = duckdb.create_data_chunk(types);
    new EventChunkFiller().fill(chunk, rows, 0, rows.length);
    const column = EVENT_COLUMNS.findIndex((c) => c.field === 'urlPath');
    const filled = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, column), rows.length * 16);

    // The reference: the same strings assigned one by one through DuckDB's C API.
    const reference = duckdb.create_data_chunk([duckdb.create_logical_type(duckdb.Type.VARCHAR)]);
    const refVector = duckdb.data_chunk_get_vector(reference, 0);
    rows.forEach((r, i) => r.urlPath !== null && duckdb.vector_assign_string_element(refVector, i, r.urlPath));
    const expected = duckdb.vector_get_data(refVector, rows.length * 16);

    for (let i = 0; i < rows.length; i++) {
      if (rows[i].urlPath === null) continue;
      const bytes = Buffer.from(rows[i].urlPath!);
      const slot = Buffer.from(filled.subarray(i * 16, i * 16 + 16));
      const refSlot = Buffer.from(expected.subarray(i * 16, i * 16 + 16));
      const inlined = bytes.length <= 12;
      // Length and prefix (or the whole inlined string) match DuckDB's own slot; the pointer leads to the bytes.
      expect(slot.subarray(0, inlined ? 16 : 8).toString('hex'), `row ${i}: ${rows[i].urlPath}`).toBe(refSlot.subarray(0, inlined ? 16 : 8).toString('hex'));
    }
    duckdb.data_chunk_reset(chunk);
    duckdb.data_chunk_reset(reference);
  });
});
