/** Client side for the CLI (`spyglass sql`): runs SQL against a running collector's SQL endpoint. */
import pg from 'pg';

export interface WireTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** @default 'spyglass' */
  database?: string;
}

/** One statement's rows, exactly as the server sent them: PostgreSQL type OIDs and text-format values. */
export interface WireRows {
  fields: { name: string; typeOid: number }[];
  rows: (string | null)[][];
}

export interface WireResult extends WireRows {
  /** One entry per statement that returned rows (a query string may hold several statements). */
  results: (WireRows & { command: string })[];
}

/** Every type as its text: the caller decodes values by OID, the same way for the file and the endpoint. */
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Connects, runs `sql` with the simple query protocol, disconnects. Errors carry the server's message and code.
 * `fields`/`rows` are those of the last result, for the common single-statement case.
 */
export async function runSqlOverWire(target: WireTarget, sql: string): Promise<WireResult> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database ?? 'spyglass',
    application_name: 'spyglass-cli',
    connectionTimeoutMillis: 10_000,
    types: rawText,
  });
  await client.connect();
  try {
    const raw = (await client.query({ text: sql, rowMode: 'array' })) as pg.QueryResult | pg.QueryResult[];
    const results = (Array.isArray(raw) ? raw : [raw]).map((r) => ({
      fields: (r.fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      rows: (r.rows ?? []) as (string | null)[][],
      command: r.command,
    }));
    const last = results[results.length - 1] ?? { fields: [], rows: [] };
    return { results, fields: last.fields, rows: last.rows };
  } finally {
    await client.end().catch(() => {});
  }
}
