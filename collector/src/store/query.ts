import type { DuckDBConnection } from '@duckdb/node-api';

type Reader = Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;

/** Row objects with plain JS values: safe bigints become numbers, timestamps Dates, others as DuckDB gives them. */
export function plainRows(reader: Reader): Record<string, unknown>[] {
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = toPlain(v);
    return out;
  });
}

export async function queryRows(conn: DuckDBConnection, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
  return plainRows(params ? await conn.runAndReadAll(sql, params as never) : await conn.runAndReadAll(sql));
}

function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

