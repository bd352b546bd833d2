import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { MAX_PENDING_PER_ADDRESS } from '../../../src/serve/pg/pending-logins.js';
import { PASSWORD, USER, startHarness, type Harness } from './harness.js';

async function connectError(h: Harness, overrides: Partial<pg.ClientConfig>): Promise<unknown> {
  try {
    await h.client(overrides);
  } catch (err) {
    return err;
  }
  throw new Error('connection unexpectedly succeeded');
}

describe.each(['scram-sha-256', 'md5'] as const)('%s authentication', (authMethod) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { authMethod } });
  });
  afterAll(async () => h?.close());

  it('accepts the right password', async () => {
    const c = await h.client();
    expect((await c.query('SELECT current_user IS NOT NULL AS ok')).rows).toEqual([{ ok: true }]);
  });

  it('refuses a wrong password with 28P01', async () => {
    expect(await connectError(h, { password: 'wrong' })).toMatchObject({ code: '28P01', message: `password authentication failed for user "${USER}"` });
  });

  it('refuses an unknown user with the same message', async () => {
    expect(await connectError(h, { user: 'mallory' })).toMatchObject({ code: '28P01', message: 'password authentication failed for user "mallory"' });
  });

  it('refuses another database name with 3D000', async () => {
    expect(await connectError(h, { database: 'postgres' })).toMatchObject({ code: '3D000' });
  });
});

describe('connection handling', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { maxConnections: 2 } });
  });
  afterAll(async () => h?.close());

  it('refuses connections beyond maxConnections with 53300 and frees slots on disconnect', async () => {
    const a = await h.client();
    const b = await h.client();
    expect(await connectError(h, {})).toMatchObject({ code: '53300' });
    await a.end();
    await new Promise((r) => setTimeout(r, 100));
    const c = await h.client();
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await b.end();
    await c.end();
  });

  it('applies startup options (-c statement_timeout) and ignores startup settings it cannot honour', async () => {
    const c = await h.client({ options: '-c statement_timeout=1234 -c TimeZone=Europe/Berlin -c threads=64' });
    expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '1234ms' }]);
    expect((await c.query('SHOW TimeZone')).rows).toEqual([{ timezone: 'UTC' }]);
    await c.end();
  });

  it('answers an SSLRequest with N when no certificate is configured (sslmode=prefer falls back)', async () => {
    const { stdout: out } = await promisify(execFile)('psql', ['-X', '-A', '-t', '-c', 'SELECT 42'], {
      env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(h.port), PGUSER: USER, PGPASSWORD: PASSWORD, PGDATABASE: 'spyglass', PGSSLMODE: 'prefer' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('42');
    expect(await connectError(h, { ssl: { rejectUnauthorized: false } })).toMatchObject({ message: expect.stringMatching(/does not support SSL/) });
  });
});

describe('TLS', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    h = await startHarness({ config: { tls: { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') } } });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades to TLS on SSLRequest (node-postgres verifying the certificate)', async () => {
    const c = await h.client({ ssl: { ca: readFileSync(join(dir, 'cert.pem'), 'utf8'), servername: 'localhost' } });
    expect((await c.query('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
  });

  it('serves psql with sslmode=require', async () => {
    const { stdout: out } = await promisify(execFile)('psql', ['-X', '-A', '-t', '-c', 'SELECT ssl_probe FROM (SELECT 1 AS ssl_probe)'], {
      env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(h.port), PGUSER: USER, PGPASSWORD: PASSWORD, PGDATABASE: 'spyglass', PGSSLMODE: 'require' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('1');
  });
});

/** A raw connection that never authenticates; records what the server sends and whether it closed. */
class Unauthenticated {
  readonly messages: BackendMessage[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    void parse(socket, (m) => this.messages.push(m));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(port: number, startup = true): Promise<Unauthenticated> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new Unauthenticated(socket);
    if (startup) {
      socket.write(serialize.startup({ user: USER, database: 'spyglass' }));
      await c.until(() => c.messages.length > 0); // asked for a password
    }
    return c;
  }

  /** Resolves once `done` holds; false after `ms`. */
  async until(done: () => boolean, ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }
}

describe('connections that have not authenticated', () => {
  let h: Harness;
  const idle: Unauthenticated[] = [];
  beforeAll(async () => {
    h = await startHarness({ config: { maxConnections: 2 } });
  });
  afterAll(async () => {
    for (const c of idle) c.socket.destroy();
    await h?.close();
  });

  it('do not count against maxConnections: idle sockets without a password keep no one out', async () => {
    for (let i = 0; i < 5; i++) idle.push(await Unauthenticated.open(h.port));
    const a = await h.client();
    const b = await h.client();
    expect((await a.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    expect(await connectError(h, {})).toMatchObject({ code: '53300' }); // authenticated sessions still are
    await a.end();
    await b.end();
    expect(idle.every((c) => !c.closed)).toBe(true);
  });

  it('are bounded per client address: beyond the bound the oldest is closed with 53300', async () => {
    const extra = MAX_PENDING_PER_ADDRESS - idle.length + 2;
    for (let i = 0; i < extra; i++) idle.push(await Unauthenticated.open(h.port, i % 2 === 0));
    const [first, second] = idle;
    expect(await first.until(() => first.closed && second.closed)).toBe(true);
    expect(first.messages.at(-1)).toMatchObject({ name: 'error', code: '53300' });
    expect(idle.slice(2).every((c) => !c.closed)).toBe(true);
    const c = await h.client();
    expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await c.end();
  });

  it('may send only small messages: a huge password message is refused as soon as its length arrives', async () => {
    const c = await Unauthenticated.open(h.port);
    const header = Buffer.alloc(5);
    header.write('p', 0);
    header.writeInt32BE(64 * 1024 * 1024, 1);
    c.socket.write(header);
    expect(await c.until(() => c.closed)).toBe(true);
    expect(c.messages.at(-1)).toMatchObject({ name: 'error', code: '08P01', message: `invalid message length ${64 * 1024 * 1024}` });
  });
});

describe('session cleanup', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('frees each session (and its DuckDB connection) when the client terminates or vanishes', async () => {
    expect(h.server.sessions).toBe(0);
    const clients = await Promise.all([h.client(), h.client(), h.client()]);
    for (const c of clients) await c.query('SELECT 1');
    expect(h.server.sessions).toBe(3);
    await clients[0].end(); // Terminate message
    await clients[1].end();
    (clients[2] as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(); // socket dropped
    const deadline = Date.now() + 5000;
    while (h.server.sessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(h.server.sessions).toBe(0);
  });
});
