import type { DuckDBConnection } from '@duckdb/node-api';

/** Row objects with plain JS values: safe bigints become numbers, timestamps Dates, others as DuckDB gives them. */
export async function queryRows(conn: DuckDBConnection, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
  const reader = params ? await conn.runAndReadAll(sql, params as never) : await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = toPlain(v);
    return out;
  });
}

function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}
