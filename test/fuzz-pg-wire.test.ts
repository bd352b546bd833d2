/**
 * Fuzz over the SQL endpoint's PostgreSQL wire protocol against real collector processes (MD5 and SCRAM): mutated
 * startup packets, authentication messages, Parse/Bind/Describe/Execute with garbage counts, lengths and types, and
 * random frames. Every byte the server sends must parse as backend messages (errors carry a SQLSTATE); every
 * well-framed input gets an answer or a closed connection within a deadline, never a hang; input whose lengths
 * no longer frame it must still be let go when the client hangs up; and the server keeps accepting logins
 * (no leaked sessions: maxConnections would run out). Replay a failure with SPYGLASS_FUZZ_SEED=<seed>.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../collector/src/simulate/random.js';
import { FUZZ_SQL_PASSWORD, startFuzzCollector } from './fuzz/child-collector.js';
import type { FuzzCollector } from './fuzz/child-collector.js';
import { errorCode, extendedFlow, mutateFrame, readBackend, sessionFrame, startupCase, startupPacket, typed } from './fuzz/pg-frames.js';
import type { BackendMessage, Mutated } from './fuzz/pg-frames.js';
import { tempDir } from './helpers/temp.js';

const SEED = Number(process.env.SPYGLASS_FUZZ_SEED ?? 5_432);
const USER = 'spyglass';
const ANSWER_MS = 5_000;
const CHECK_EVERY = 100;
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const cstr = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);

/** A raw client connection that records every byte the server sends. */
class Wire {
  received = Buffer.alloc(0);
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static open(port: number): Promise<Wire> {
    const socket = connect(port, '127.0.0.1');
    return new Promise((resolve, reject) => socket.once('connect', () => resolve(new Wire(socket))).once('error', reject));
  }

  send(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }

  /** Resolves true when `done` holds or the connection closed; false after `ms`. */
  async until(done: () => boolean, ms = ANSWER_MS): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done() && !this.closed) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** Waits for a first byte (or close), then for a quiet moment, so a whole answer has arrived. */
  async answer(ms = ANSWER_MS): Promise<boolean> {
    const before = this.received.length;
    if (!(await this.until(() => this.received.length > before, ms))) return false;
    let seen = -1;
    while (!this.closed && seen !== this.received.length) {
      seen = this.received.length;
      await new Promise((r) => setTimeout(r, 15));
    }
    return true;
  }

  /** Hangs up and requires the server to let go of the connection. */
  async hangUp(): Promise<boolean> {
    this.socket.end();
    return this.until(() => false, ANSWER_MS).then(() => this.closed);
  }

  messages(allowBareN = false): BackendMessage[] {
    return readBackend(this.received, allowBareN);
  }
}

async function loginMd5(port: number): Promise<Wire> {
  const w = await Wire.open(port);
  w.send(startupPacket({ user: USER, database: 'spyglass' }));
  await w.until(() => w.received.length >= 13);
  const salt = w.received.subarray(9, 13);
  w.received = Buffer.alloc(0);
  w.send(typed('p', cstr('md5' + md5(Buffer.concat([Buffer.from(md5(FUZZ_SQL_PASSWORD + USER)), salt])))));
  await w.until(() => w.received.includes(Buffer.from([0x5a, 0, 0, 0, 5])));
  const msgs = w.messages();
  if (msgs.at(-1)?.type !== 'Z') throw new Error(`login failed: ${msgs.map((m) => m.type).join('')} ${w.received.toString('latin1')}`);
  w.received = Buffer.alloc(0);
  return w;
}

async function assertServes(c: FuzzCollector, where: string): Promise<void> {
  c.assertAlive();
  const client = new pg.Client({ ...c.sql, user: USER, password: FUZZ_SQL_PASSWORD, database: 'spyglass', connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::INTEGER AS n FROM events');
    expect(rows[0].n, where).toBeGreaterThanOrEqual(0);
  } catch (err) {
    throw new Error(`${where}: the SQL endpoint no longer serves: ${String(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => {});
  }
}

/** Sends one mutated input on a fresh connection and checks the server answers, closes or lets go. */
async function oneShot(w: Wire, input: Mutated, where: string, allowBareN: boolean): Promise<BackendMessage[]> {
  w.send(input.bytes);
  const answered = await w.answer(input.mayWait ? 100 : ANSWER_MS);
  if (!answered && !input.mayWait) throw new Error(`${where}: no answer and connection still open after ${ANSWER_MS} ms`);
  let msgs: BackendMessage[];
  try {
    msgs = w.messages(allowBareN);
  } catch (err) {
    throw new Error(`${where}: server sent unparseable bytes: ${String(err)}: ${w.received.toString('latin1', 0, 200)}`, { cause: err });
  }
  if (!w.closed && !(await w.hangUp())) throw new Error(`${where}: server kept the connection after the client hung up`);
  return msgs;
}

const tmp = tempDir('spyglass-fuzz-pg-');
const collectors: Record<string, FuzzCollector> = {};

beforeAll(async () => {
  const [md5c, scram] = await Promise.all([
    startFuzzCollector(tmp.dir, { sql: { authMethod: 'md5', statementTimeoutMs: 2000, maxConnections: 8, authFailureDelayMs: 0 } }, 'md5'),
    startFuzzCollector(tmp.dir, { sql: { authMethod: 'scram-sha-256', maxConnections: 8, authFailureDelayMs: 0 } }, 'scram'),
  ]);
  collectors.md5 = md5c;
  collectors.scram = scram;
});

afterAll(async () => {
  await Promise.all(Object.values(collectors).map((c) => c.stop()));
  tmp.cleanup();
});

describe('fuzz: PostgreSQL wire protocol', () => {
  it('startup packets: mutated, truncated, oversized, random', async () => {
    const c = collectors.md5;
    const r = new Random(SEED);
    const seen: Record<string, number> = {};
    for (let id = 0; id < 500; id++) {
      const input = startupCase(r, USER);
      const where = `seed ${SEED} startup case ${id} (${input.what})`;
      const w = await Wire.open(c.sql.port);
      const msgs = await oneShot(w, input, where, true);
      const first = msgs[0] ? (msgs[0].type === 'E' ? `E${errorCode(msgs[0])}` : msgs[0].type) : w.closed ? 'closed' : 'none';
      seen[first] = (seen[first] ?? 0) + 1;
      if (id % CHECK_EVERY === CHECK_EVERY - 1) await assertServes(c, where);
    }
    // Refusals with a SQLSTATE, challenges and plain closes must all occur, or the generator has gone wrong.
    expect(Object.keys(seen).some((k) => k.startsWith('E08P01'))).toBe(true);
    expect(seen.R).toBeGreaterThan(10);
    console.log(`fuzz pg startup: ${JSON.stringify(seen)}`);
  });

  it.each(['md5', 'scram'] as const)('%s authentication messages: mutated, wrong type, garbage lengths', async (method) => {
    const c = collectors[method];
    const r = new Random(SEED + (method === 'md5' ? 1 : 2));
    const seen: Record<string, number> = {};
    for (let id = 0; id < 250; id++) {
      const w = await Wire.open(c.sql.port);
      w.send(startupPacket({ user: r.chance(0.9) ? USER : 'mallory', database: 'spyglass' }));
      await w.until(() => w.received.length >= 9);
      w.received = Buffer.alloc(0);
      let input: Mutated;
      let what: string;
      if (method === 'md5') {
        const valid = typed('p', cstr('md5' + md5(r.chance(0.5) ? 'guess' : FUZZ_SQL_PASSWORD)));
        input = r.chance(0.15) ? { bytes: typed(String.fromCharCode(r.int(0, 255)), Buffer.from('x\0')), what: 'wrong type', mayWait: false } : mutateFrame(r, valid, 5);
        what = input.what;
      } else {
        const nonce = 'fuzznonce' + r.int(0, 1e9);
        const clientFirst = `n,,n=,r=${nonce}`;
        const initial = typed('p', Buffer.concat([cstr(r.pick(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'PLAIN', ''])), (() => { const b = Buffer.alloc(4); b.writeInt32BE(clientFirst.length); return b; })(), Buffer.from(clientFirst)]));
        if (r.chance(0.5)) {
          input = mutateFrame(r, initial, 5);
          what = `initial response: ${input.what}`;
        } else {
          w.send(initial);
          await w.answer();
          // AuthenticationSASLContinue carries the server-first message with the combined nonce.
          const serverNonce = /r=([^,]+)/.exec(w.received.toString('latin1'))?.[1] ?? nonce;
          w.received = Buffer.alloc(0);
          const wrongProof = `c=biws,r=${serverNonce},p=${Buffer.alloc(32, r.int(0, 255)).toString('base64')}`;
          const final = typed('p', Buffer.from(r.chance(0.5) ? wrongProof : r.pick(['c=biws', '', 'p=,,,', 'c=eSws,r=,p=AAAA', 'x'.repeat(r.int(0, 5000))])));
          input = mutateFrame(r, final, 5);
          what = `final response: ${input.what}`;
        }
      }
      const where = `seed ${SEED} ${method} auth case ${id} (${what})`;
      const msgs = await oneShot(w, input, where, false);
      // Whatever came back, a session must never open without the password.
      expect(msgs.some((m) => m.type === 'R' && m.body.readInt32BE(0) === 0) && !/valid|unchanged/.test(what), where).toBe(false);
      const key = msgs.length ? msgs.map((m) => (m.type === 'E' ? `E${errorCode(m)}` : m.type)).join(',') : w.closed ? 'closed' : 'none';
      seen[key] = (seen[key] ?? 0) + 1;
      if (id % CHECK_EVERY === CHECK_EVERY - 1) await assertServes(c, where);
    }
    expect(Object.keys(seen).some((k) => k.includes('E28P01'))).toBe(true);
    console.log(`fuzz pg ${method} auth: ${JSON.stringify(seen)}`);
  });

  it('after login: Parse/Bind/Describe/Execute/Close/Query with garbage, random frames', async () => {
    const c = collectors.md5;
    const r = new Random(SEED + 3);
    let w = await loginMd5(c.sql.port);
    const seen: Record<string, number> = {};
    let reconnects = 0;
    for (let id = 0; id < 1200; id++) {
      let frames: Mutated[];
      if (r.chance(0.35)) {
        frames = extendedFlow(r).map((f) => ({ bytes: f, what: String.fromCharCode(f[0]), mayWait: false }));
        const i = r.int(0, frames.length - 1);
        frames[i] = mutateFrame(r, frames[i].bytes, 5);
      } else {
        frames = Array.from({ length: r.int(1, 5) }, () => {
          const f = sessionFrame(r);
          return r.chance(0.25) ? mutateFrame(r, f, 5) : { bytes: f, what: String.fromCharCode(f[0]), mayWait: false };
        });
      }
      const mayWait = frames.some((f) => f.mayWait);
      const where = `seed ${SEED} session case ${id} (${frames.map((f) => f.what).join(', ')})`;
      // Then: end any extended-protocol run, leave any transaction, and ask for a marker row.
      const marker = `probe-${id}`;
      w.send(Buffer.concat([...frames.map((f) => f.bytes), typed('S', Buffer.alloc(0)), typed('Q', cstr('ROLLBACK')), typed('Q', cstr(`SELECT '${marker}' AS probe`))]));
      const markerBytes = Buffer.from(marker);
      const settled = await w.until(() => {
        const at = w.received.indexOf(markerBytes);
        return at >= 0 && w.received.indexOf(Buffer.from([0x5a, 0, 0, 0, 5]), at) >= 0 && w.received.length >= w.received.indexOf(Buffer.from([0x5a, 0, 0, 0, 5]), at) + 6;
      }, mayWait ? 200 : ANSWER_MS);
      if (!settled && !mayWait) throw new Error(`${where}: no answer to the probe and connection still open after ${ANSWER_MS} ms`);
      if (settled && !w.closed) await new Promise((res) => setTimeout(res, 1)); // let the last bytes land
      let msgs: BackendMessage[];
      try {
        msgs = settled ? w.messages() : [];
      } catch (err) {
        throw new Error(`${where}: server sent unparseable bytes: ${String(err)}`, { cause: err });
      }
      for (const m of msgs) {
        const k = m.type === 'E' ? `E${errorCode(m)}` : m.type;
        seen[k] = (seen[k] ?? 0) + 1;
      }
      if (w.closed || !settled) {
        if (!w.closed && !(await w.hangUp())) throw new Error(`${where}: server kept the connection after the client hung up`);
        reconnects++;
        w = await loginMd5(c.sql.port);
      } else {
        w.received = Buffer.alloc(0);
      }
      if (id % CHECK_EVERY === CHECK_EVERY - 1) await assertServes(c, where);
    }
    await w.hangUp();
    await assertServes(c, 'after the session fuzz');
    expect(seen.E08P01).toBeGreaterThan(0);
    expect(seen['1']).toBeGreaterThan(10); // ParseComplete: some Parse messages were good
    expect(seen['2']).toBeGreaterThan(10); // BindComplete: portals existed for the garbage that followed
    expect(seen.D).toBeGreaterThan(100);
    console.log(`fuzz pg session: ${reconnects} reconnects, ${JSON.stringify(seen)}`);
  });
});
