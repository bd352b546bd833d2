import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SpyglassError } from '../errors.js';

/**
 * Opens (creating if needed) the DuckDB file. A file held by another process is a clear SPY_ERR_DB_LOCKED. Read-only
 * takes a shared lock (so a running collector's exclusive one still shows as locked) and replays a WAL left by a
 * collector that died in memory, leaving both files as they are.
 */
export async function openDatabase(
  path: string,
  options: { memoryLimit?: string; checkpointThreshold?: string; threads?: number; readOnly?: boolean } = {},
): Promise<DuckDBInstance> {
  if (path !== ':memory:' && !options.readOnly) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // personal data: the owner's only (an existing directory keeps its mode)
    } catch (err) {
      throw new SpyglassError('SPY_ERR_DB_OPEN', `cannot create the directory of ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    return await DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
      ...(options.checkpointThreshold ? { checkpoint_threshold: options.checkpointThreshold } : {}),
      ...(options.threads ? { threads: String(options.threads) } : {}),
      ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
    });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/Could not set lock|Conflicting lock/i.test(msg)) {
      const holder = /Conflicting lock is held in (.*?)(?:\. See|$)/.exec(msg)?.[1];
      throw new SpyglassError('SPY_ERR_DB_LOCKED', `${path}${holder ? ` (held by ${holder})` : ''}; stop the collector or query it over its SQL endpoint`, { cause: err });
    }
    const hint = /not a valid DuckDB database/i.test(msg)
      ? ' (it was left untouched: restore it from a backup, or move it away to start a new one)'
      : /Read-only file system|Permission denied/i.test(msg)
        ? ' (the collector needs to write the file and its .wal next to it: choose a writable --db)'
        : '';
    throw new SpyglassError('SPY_ERR_DB_OPEN', `${path}: ${msg}${hint}`, { cause: err });
  }
}
