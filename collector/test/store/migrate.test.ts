import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate } from '../../src/store/migrate.js';
import { tempDir } from '../../../test/helpers/temp.js';

const v1 = [{ id: 'events-001-table', sql: ['CREATE TABLE t (a INTEGER)'] }];
const v2 = [...v1, { id: 'events-002-column', sql: ['ALTER TABLE t ADD COLUMN b INTEGER'] }];

describe('migrate.ts', () => {
  const tmp = tempDir('spyglass-migrate-');
  let instance: DuckDBInstance;
  beforeEach(async () => {
    instance = await DuckDBInstance.create(join(tmp.dir, `m-${Date.now()}-${Math.random()}.duckdb`));
  });
  afterEach(() => instance.closeSync());
  afterAll(() => tmp.cleanup());

  it('applies only the migrations a database has not recorded, in order', async () => {
    const conn = await instance.connect();
    expect(await migrate(conn, v1)).toEqual(['events-001-table']);
    await conn.run('INSERT INTO t VALUES (1)');
    expect(await migrate(conn, v2)).toEqual(['events-002-column']);
    expect(await migrate(conn, v2)).toEqual([]);
    expect((await conn.runAndReadAll('SELECT a, b FROM t')).getRowObjectsJS()).toEqual([{ a: 1, b: null }]);
    conn.closeSync();
  });

  it('refuses a database a newer version wrote, before changing anything, and ignores stages it does not run', async () => {
    const conn = await instance.connect();
    await migrate(conn, v2);
    await conn.run(`INSERT INTO spyglass_migrations VALUES ('other-001-table', now())`); // a stage this caller does not run
    const older = [...v1, { id: 'events-000b-never-applied', sql: ['CREATE TABLE never (x INTEGER)'] }];
    await expect(migrate(conn, older)).rejects.toThrow(
      /written by a newer version of Spyglass \(migrations this version does not know: events-002-column\); run that version, or restore the copy made before upgrading/,
    );
    expect((await conn.runAndReadAll(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'never'`)).getRowObjectsJS()[0].n).toBe(0n);
    expect(await migrate(conn, v2)).toEqual([]);
    conn.closeSync();
  });
});
