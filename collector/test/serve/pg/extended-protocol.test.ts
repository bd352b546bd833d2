import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { PASSWORD, USER, startHarness, type Harness } from './harness.js';
import { RawClient } from './raw-client.js';

let h: Harness;
let c: RawClient;
beforeAll(async () => {
  h = await startHarness({ config: { authMethod: 'md5' } });
  c = await RawClient.connect(h.port, USER, PASSWORD);
});
afterAll(async () => {
  c?.end();
  await h?.close();
});

const names = (messages: { name: string }[]): string[] => messages.map((m) => m.name);

describe('extended query protocol (raw messages)', () => {
  it('describes a statement: inferred parameter types and result columns', async () => {
    c.send(
      serialize.parse({ name: 's1', text: 'SELECT identity, status_code FROM events WHERE status_code = $1 AND time > $2' }),
      serialize.describe({ type: 'S', name: 's1' }),
      serialize.sync(),
    );
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual(['parseComplete', 'parameterDescription', 'rowDescription', 'readyForQuery']);
    expect((out[1] as unknown as { dataTypeIDs: number[] }).dataTypeIDs).toEqual([23, 1184]);
    const fields = (out[2] as unknown as { fields: { name: string; dataTypeID: number }[] }).fields;
    expect(fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['identity', 25],
      ['status_code', 23],
    ]);
  });

  it('pages a portal with Execute maxRows (PortalSuspended) and completes it', async () => {
    c.send(
      serialize.bind({ portal: 'p1', statement: 's1', values: ['200', '2000-01-01T00:00:00Z'] }),
      serialize.describe({ type: 'P', name: 'p1' }),
      serialize.execute({ portal: 'p1', rows: 3 }),
      serialize.execute({ portal: 'p1', rows: 3 }),
      serialize.execute({ portal: 'p1', rows: 3 }),
      serialize.sync(),
    );
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual([
      'bindComplete', 'rowDescription',
      'dataRow', 'dataRow', 'dataRow', 'portalSuspended',
      'dataRow', 'dataRow', 'dataRow', 'portalSuspended',
      'dataRow', 'dataRow', 'commandComplete', 'readyForQuery',
    ]);
    expect((out[12] as unknown as { text: string }).text).toBe('SELECT 8');
  });

  it('after an error, discards messages until Sync and then resynchronises', async () => {
    c.send(
      serialize.parse({ text: 'SELECT * FROM missing_table' }),
      serialize.bind({}),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.parse({ text: 'SELECT 1' }), // discarded: still before Sync
      serialize.sync(),
      serialize.parse({ text: 'SELECT 41 + 1 AS answer' }),
      serialize.bind({}),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    const first = await c.until('readyForQuery');
    expect(names(first)).toEqual(['error', 'readyForQuery']);
    expect(first[0]).toMatchObject({ code: '42P01' });
    const second = await c.until('readyForQuery');
    expect(names(second)).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect((second[3] as unknown as { fields: string[] }).fields).toEqual(['42']);
  });

  it('answers a Bind with the wrong number of parameters with an ERROR and keeps the session, as PostgreSQL does', async () => {
    c.send(
      serialize.parse({ name: 'two', text: 'SELECT $1::INTEGER + $2::INTEGER AS s' }),
      serialize.bind({ statement: 'two', values: ['1'] }),
      serialize.execute({}),
      serialize.sync(),
      serialize.bind({ statement: 'two', values: ['1', '2'] }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    const first = await c.until('readyForQuery');
    expect(names(first)).toEqual(['parseComplete', 'error', 'readyForQuery']);
    expect(first[1]).toMatchObject({ code: '08P01', severity: 'ERROR' });
    const second = await c.until('readyForQuery');
    expect(names(second)).toEqual(['bindComplete', 'rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect((second[2] as unknown as { fields: string[] }).fields).toEqual(['3']);
  });

  it('handles empty statements, emulated SET/SHOW and Close', async () => {
    c.send(
      serialize.parse({ text: '-- nothing' }),
      serialize.bind({}),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.parse({ name: 'show', text: 'SHOW application_name' }),
      serialize.parse({ text: "SET application_name TO 'raw'" }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.bind({ statement: 'show' }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.close({ type: 'S', name: 'show' }),
      serialize.sync(),
    );
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual([
      'parseComplete', 'bindComplete', 'noData', 'emptyQuery',
      'parseComplete', 'parseComplete', 'bindComplete', 'parameterStatus', 'commandComplete',
      'bindComplete', 'rowDescription', 'dataRow', 'commandComplete',
      'closeComplete', 'readyForQuery',
    ]);
    expect(out[7]).toMatchObject({ parameterName: 'application_name', parameterValue: 'raw' });
    expect((out[11] as unknown as { fields: string[] }).fields).toEqual(['raw']);
    c.send(serialize.bind({ statement: 'show' }), serialize.sync());
    const closed = await c.until('readyForQuery');
    expect(closed[0]).toMatchObject({ name: 'error', code: '26000' });
  });

  it('reports transaction status in ReadyForQuery', async () => {
    c.send(serialize.query('BEGIN'));
    expect((await c.until('readyForQuery')).at(-1)).toMatchObject({ status: 'T' });
    c.send(serialize.query('SELECT * FROM nope'));
    expect((await c.until('readyForQuery')).at(-1)).toMatchObject({ status: 'E' });
    c.send(serialize.query('ROLLBACK'));
    expect((await c.until('readyForQuery')).at(-1)).toMatchObject({ status: 'I' });
  });

  it('closes the connection on an unknown message type with FATAL 08P01', async () => {
    const bad = await RawClient.connect(h.port, USER, PASSWORD);
    bad.send(Buffer.from([0x7a, 0, 0, 0, 4]));
    expect(await bad.next()).toMatchObject({ name: 'error', code: '08P01', severity: 'FATAL' });
    await new Promise<void>((resolve) => (bad.socket.closed ? resolve() : bad.socket.once('close', () => resolve())));
  });
});
