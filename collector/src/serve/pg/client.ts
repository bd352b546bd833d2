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

export interface WireResult {
  /** One entry per statement that returned rows (a query string may hold several statements). */
  results: { fields: { name: string; typeOid: number }[]; rows: Record<string, unknown>[]; command: string }[];
  /** Rows and fields of the last result, for the common single-statement case. */
  rows: Record<string, unknown>[];
  fields: { name: string; typeOid: number }[];
}

/** Connects, runs `sql` with the simple query protocol, disconnects. Errors carry the server's message and code. */
export async function runSqlOverWire(target: WireTarget, sql: string): Promise<WireResult> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database ?? 'spyglass',
    application_name: 'spyglass-cli',
  });
  await client.connect();
  try {
    const raw = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
    const list = (Array.isArray(raw) ? raw : [raw]).map((r) => ({
      fields: (r.fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      rows: r.rows ?? [],
      command: r.command,
    }));
    const last = list[list.length - 1] ?? { fields: [], rows: [], command: '' };
    return { results: list, rows: last.rows, fields: last.fields };
  } finally {
    await client.end();
  }
}
