import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SpyglassError } from '../errors.js';

/** Opens (creating if needed) the DuckDB file. A file held by another process is a clear SPY_ERR_DB_LOCKED. */
export async function openDatabase(path: string): Promise<DuckDBInstance> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  try {
    return await DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/Could not set lock|Conflicting lock/i.test(msg)) {
      const holder = /Conflicting lock is held in (.*?)(?:\. See|$)/.exec(msg)?.[1];
      throw new SpyglassError('SPY_ERR_DB_LOCKED', `${path}${holder ? ` (held by ${holder})` : ''}; stop the collector or query it over its SQL endpoint`, { cause: err });
    }
    throw new Error(`cannot open database ${path}: ${msg}`, { cause: err });
  }
}
