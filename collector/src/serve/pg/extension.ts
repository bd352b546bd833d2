/**
 * The SQL endpoint as a collector extension (config section `sql`). Once every stage has started it locks the
 * DuckDB instance down (no file access outside the database, configuration frozen) and opens the listener.
 */
import type { CollectorExtension } from '../../extension.js';
import { validateSqlConfig, type SqlConfig } from './config.js';
import { readOrCreateSqlPassword } from './password-file.js';
import { lockDownInstance } from './sandbox.js';
import { createPgServer, type PgServer } from './server.js';

export interface SqlExtensionOptions {
  /** Told the bound address (port 0 resolves to a free port) once the endpoint listens. */
  onListening?(address: { host: string; port: number }, config: SqlConfig): void;
  /** Directories DuckDB may still read/write after the lock-down (snapshots, exports). */
  allowedDirectories?: string[];
}

export function sqlEndpointExtension(options: SqlExtensionOptions = {}): CollectorExtension {
  return {
    section: 'sql',
    validate: validateSqlConfig,
    async start({ config, instance, logger }) {
      let sql = validateSqlConfig((config as unknown as { sql?: unknown }).sql);
      if (sql.listen === 'off') return {};
      if (!sql.password) {
        // No password configured: use the one generated for this database at its first start (never logged).
        const saved = readOrCreateSqlPassword(config.db);
        sql = { ...sql, password: saved.password };
        if (saved.created) {
          process.stderr.write(
            `spyglass: SQL endpoint user "${sql.user}", password "${saved.password}" (generated; saved to ${saved.file}; ` +
              'set SPYGLASS_SQL_PASSWORD to choose your own)\n',
          );
        } else {
          logger.info({ passwordFile: saved.file }, 'sql endpoint: using the generated password saved next to the database');
        }
      }
      let server: PgServer | null = null;
      const log = logger.child({ stage: 'sql' });
      return {
        async afterListen() {
          const conn = await instance.connect();
          try {
            await lockDownInstance(conn, { allowedDirectories: options.allowedDirectories, maxTempDirectorySize: sql.maxTempDirectorySize });
          } finally {
            conn.closeSync();
          }
          server = await createPgServer(sql, { instance, logger: log });
          options.onListening?.(server.address, sql);
        },
        async close() {
          await server?.close();
        },
      };
    },
  };
}
