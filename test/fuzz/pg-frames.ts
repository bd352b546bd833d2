/**
 * PostgreSQL wire-protocol pieces for the fuzz test: frontend frames (well-formed, mutated or garbage) built from a
 * seeded PRNG, and a strict reader of what the server sends back.
 */
import type { Random } from '../../collector/src/simulate/random.js';

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

const cstr = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(((n + 0x8000) & 0xffff) - 0x8000);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
};

/** An untyped startup-phase packet (length includes itself). */
export function untyped(body: Buffer): Buffer {
  return Buffer.concat([i32(body.length + 4), body]);
}

/** A typed frame. */
export function typed(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), i32(body.length + 4), body]);
}

export function startupPacket(params: Record<string, string>, protocol = PROTOCOL_3): Buffer {
  return untyped(Buffer.concat([i32(protocol), ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])]));
}

export function randomBytes(r: Random, max: number): Buffer {
  return Buffer.from(Array.from({ length: r.int(0, max) }, () => r.int(0, 255)));
}

function randomText(r: Random, max: number): string {
  return r.pick(['', 'spyglass', 'x'.repeat(r.int(0, max)), randomBytes(r, 20).toString('latin1').replace(/\0/g, ''), '\u00e9\u{1f600}', 'a=b,c']);
}

/** A frame with what the mutation did to it, and whether the server may fairly wait for more bytes after it. */
export interface Mutated {
  bytes: Buffer;
  what: string;
  /** The declared lengths no longer frame the bytes: the server may wait for data that never comes. */
  mayWait: boolean;
}

/** Flips bits, truncates or rewrites a frame; `headerBytes` is the size of type + length. */
export function mutateFrame(r: Random, frame: Buffer, headerBytes: number): Mutated {
  const out = Buffer.from(frame);
  switch (r.int(0, 7)) {
    case 0:
    case 1: {
      if (out.length > headerBytes) for (let i = r.int(1, 6); i > 0; i--) out[r.int(headerBytes, out.length - 1)] ^= 1 << r.int(0, 7);
      return { bytes: out, what: 'body bits flipped', mayWait: false };
    }
    case 2: {
      // Cut the body but fix the length: a well-framed message with missing fields.
      const body = out.subarray(headerBytes, headerBytes + r.int(0, Math.max(0, out.length - headerBytes - 1)));
      return { bytes: headerBytes === 5 ? typed(String.fromCharCode(out[0]), body) : untyped(body), what: 'body truncated', mayWait: false };
    }
    case 3:
      return { bytes: out.subarray(0, r.int(1, Math.max(1, out.length - 1))), what: 'frame truncated', mayWait: true };
    case 4: {
      const len = r.pick([0, 1, 3, -1, -2_147_483_648, 2_147_483_647, 64 * 1024 * 1024 + 1, 10_001, r.int(4, 200)]);
      out.writeInt32BE(len, headerBytes - 4);
      return { bytes: out, what: `length set to ${len}`, mayWait: true };
    }
    case 5: {
      const junk = randomBytes(r, 64);
      const at = r.int(headerBytes, out.length);
      const body = Buffer.concat([out.subarray(headerBytes, at), junk, out.subarray(at)]);
      return { bytes: headerBytes === 5 ? typed(String.fromCharCode(out[0]), body) : untyped(body), what: 'junk inserted in body', mayWait: false };
    }
    case 6:
      if (headerBytes === 5) {
        out[0] = r.int(0, 255);
        return { bytes: out, what: `type byte set to ${out[0]}`, mayWait: false };
      }
      return { bytes: out, what: 'unchanged', mayWait: false };
    default:
      return { bytes: out, what: 'unchanged', mayWait: false };
  }
}

// ---- startup phase ---------------------------------------------------------------------------------------

export function startupCase(r: Random, user: string): Mutated {
  const choice = r.int(0, 9);
  if (choice === 0) return { bytes: randomBytes(r, 300), what: 'random bytes', mayWait: true };
  if (choice === 1) return mutateFrame(r, untyped(Buffer.concat([i32(r.pick([SSL_REQUEST, GSSENC_REQUEST])), randomBytes(r, 3)])), 4);
  if (choice === 2) return mutateFrame(r, untyped(Buffer.concat([i32(CANCEL_REQUEST), i32(r.int(0, 2 ** 31 - 1)), i32(r.int(0, 2 ** 31 - 1))])), 4);
  if (choice === 3) {
    const params: Record<string, string> = {};
    for (let i = r.int(0, 2000); i > 0; i--) params[`k${i}`] = randomText(r, 10);
    return { bytes: startupPacket({ user, database: 'spyglass', ...params }), what: 'many parameters', mayWait: false };
  }
  if (choice === 4) {
    const protocol = r.pick([0, 1, PROTOCOL_3 + 1, PROTOCOL_3 + 0x10000, 0x00020000, -1, 1234]);
    return { bytes: startupPacket({ user, database: 'spyglass' }, protocol), what: `protocol ${protocol}`, mayWait: false };
  }
  if (choice === 5) {
    const params = r.pick<Record<string, string>>([{}, { user: '' }, { database: 'spyglass' }, { user, replication: 'true' }, { user, _pq_: 'x', '_pq_.x': 'y' }, { user, options: '-c statement_timeout=1', TimeZone: 'Mars/Olympus' }]);
    return { bytes: startupPacket(params), what: `parameters ${JSON.stringify(params)}`, mayWait: false };
  }
  if (choice === 6) {
    // Missing final terminator / unterminated strings, with a correct length.
    return { bytes: untyped(Buffer.concat([i32(PROTOCOL_3), Buffer.from('user\0spyglass')])), what: 'unterminated parameters', mayWait: false };
  }
  return mutateFrame(r, startupPacket({ user, database: 'spyglass', application_name: randomText(r, 40) }), 4);
}

// ---- after login -----------------------------------------------------------------------------------------

const SQL = [
  'SELECT 1',
  'SELECT count(*) FROM events',
  'SELECT * FROM events LIMIT 3',
  'SELECT $1::INTEGER + 1',
  'SELECT $1::VARCHAR, $2::BIGINT',
  "SELECT repeat('x', 100000)",
  'SELECT 1; SELECT 2',
  '',
  ';;;',
  'BEGIN',
  'ROLLBACK',
  'COMMIT',
  'SET statement_timeout = 100',
  'SHOW ALL',
  "COPY events TO '/tmp/x.csv'",
  'DROP TABLE events',
  "SELECT * FROM read_csv('/etc/passwd')",
  'SELEC garbage',
  "SELECT '\u0000'",
  'EXPLAIN SELECT 1',
  'SELECT * FROM pg_catalog.pg_type LIMIT 1',
];

function parseBody(r: Random): Buffer {
  const n = r.chance(0.8) ? r.int(0, 3) : r.pick([-1, 32767, 65535, 1000]);
  return Buffer.concat([cstr(r.pick(['', 's1', 's2', randomText(r, 20)])), cstr(r.pick(SQL)), i16(n), ...Array.from({ length: Math.min(Math.max(n, 0), 4) }, () => i32(r.pick([0, 23, 25, 20, -1, 999999])))]);
}

function bindBody(r: Random): Buffer {
  // Often a plain valid Bind of the unnamed statement, so Execute runs and later garbage meets live portals.
  if (r.chance(0.4)) return Buffer.concat([cstr(''), cstr(''), i16(0), i16(0), i16(r.int(0, 1))]);
  const formats = r.chance(0.8) ? r.int(0, 2) : r.pick([-1, 32767]);
  const params = r.chance(0.8) ? r.int(0, 2) : r.pick([-5, 32767]);
  const parts: Buffer[] = [cstr(r.pick(['', 'p1'])), cstr(r.pick(['', '', '', 's1', 'nope'])), i16(formats)];
  for (let i = 0; i < Math.min(Math.max(formats, 0), 3); i++) parts.push(i16(r.pick([0, 1, 2, -1])));
  parts.push(i16(params));
  for (let i = 0; i < Math.min(Math.max(params, 0), 3); i++) {
    const value: Buffer = r.pick<Buffer>([Buffer.from('42'), Buffer.from('abc'), Buffer.alloc(4), Buffer.alloc(8, 0xff), randomBytes(r, 30)]);
    const declared = r.chance(0.85) ? value.length : r.pick([-1, -2, 2_000_000_000, value.length + 10]);
    parts.push(i32(declared), value);
  }
  const results = r.chance(0.8) ? r.int(0, 2) : r.pick([-1, 32767]);
  parts.push(i16(results));
  for (let i = 0; i < Math.min(Math.max(results, 0), 3); i++) parts.push(i16(r.pick([0, 1, 7])));
  return Buffer.concat(parts);
}

/** One frontend frame after login: mostly extended-protocol messages with garbage inside, sometimes anything. */
export function sessionFrame(r: Random): Buffer {
  switch (r.int(0, 11)) {
    case 0:
    case 1:
      return typed('P', parseBody(r));
    case 2:
    case 3:
      return typed('B', bindBody(r));
    case 4:
      return typed('D', Buffer.concat([Buffer.from(r.pick(['S', 'P', 'X', '\0'])), cstr(r.pick(['', 's1', 'p1', 'nope']))]));
    case 5:
      return typed('E', Buffer.concat([cstr(r.pick(['', 'p1', 'nope'])), i32(r.pick([0, 1, -1, 2_147_483_647]))]));
    case 6:
      return typed('C', Buffer.concat([Buffer.from(r.pick(['S', 'P', 'Q'])), cstr(r.pick(['', 's1', 'p1']))]));
    case 7:
      return typed('Q', cstr(r.pick(SQL)));
    case 8:
      return typed(r.pick(['H', 'S', 'd', 'c', 'f', 'F', 'p']), randomBytes(r, 20));
    case 9:
      return typed(String.fromCharCode(r.int(0, 255)), randomBytes(r, 40));
    default:
      return typed('S', Buffer.alloc(0));
  }
}

/** Parse, Bind, Describe, Execute of a good statement: the flow drivers use, for one of its frames to be mutated. */
export function extendedFlow(r: Random): Buffer[] {
  const sql = r.pick(['SELECT 1 AS one', 'SELECT count(*) FROM events', 'SELECT * FROM events LIMIT 2', "SELECT 'a' AS x, 2.5 AS y"]);
  return [
    typed('P', Buffer.concat([cstr(''), cstr(sql), i16(0)])),
    typed('B', Buffer.concat([cstr(''), cstr(''), i16(0), i16(0), i16(r.int(0, 1))])),
    typed('D', Buffer.concat([Buffer.from('P'), cstr('')])),
    typed('E', Buffer.concat([cstr(''), i32(r.pick([0, 1]))])),
  ];
}

// ---- what the server sends -------------------------------------------------------------------------------

const BACKEND_TYPES = new Set(['R', 'S', 'K', 'Z', 'T', 'D', 'C', 'E', 'N', 'I', '1', '2', '3', 'n', 't', 's', 'v', 'A', 'G', 'H', 'W', 'c', 'd']);

export interface BackendMessage {
  type: string;
  body: Buffer;
}

function errorFields(body: Buffer): Record<string, string> | null {
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at]);
    const end = body.indexOf(0, at + 1);
    if (end < 0) return null;
    fields[code] = body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return at === body.length - 1 ? fields : null;
}

/**
 * Splits the server's bytes into messages and checks each one's framing; a bare 'N' (no SSL / no GSSAPI) is
 * allowed where the client asked for it. Throws on anything a PostgreSQL client could not parse.
 */
export function readBackend(bytes: Buffer, allowBareN: boolean): BackendMessage[] {
  const out: BackendMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const type = String.fromCharCode(bytes[at]);
    if (allowBareN && type === 'N') {
      const len = at + 5 <= bytes.length ? bytes.readInt32BE(at + 1) : -1;
      const plausible = len >= 5 && at + 1 + len <= bytes.length && errorFields(bytes.subarray(at + 5, at + 1 + len)) !== null;
      if (!plausible) {
        out.push({ type: 'N', body: Buffer.alloc(0) });
        at += 1;
        continue;
      }
    }
    if (!BACKEND_TYPES.has(type)) throw new Error(`unknown backend message type ${JSON.stringify(type)} at byte ${at}`);
    if (at + 5 > bytes.length) throw new Error(`incomplete message header at byte ${at}`);
    const len = bytes.readInt32BE(at + 1);
    if (len < 4 || at + 1 + len > bytes.length) throw new Error(`bad length ${len} for '${type}' at byte ${at} of ${bytes.length}`);
    const body = bytes.subarray(at + 5, at + 1 + len);
    if (type === 'E' || type === 'N') {
      const fields = errorFields(body);
      if (!fields) throw new Error(`malformed ${type === 'E' ? 'ErrorResponse' : 'NoticeResponse'} at byte ${at}`);
      if (!/^[0-9A-Z]{5}$/.test(fields.C ?? '') || !fields.S || !fields.M) throw new Error(`error fields missing: ${JSON.stringify(fields)}`);
    }
    if (type === 'Z' && (len !== 5 || !['I', 'T', 'E'].includes(String.fromCharCode(body[0])))) throw new Error('malformed ReadyForQuery');
    out.push({ type, body });
    at += 1 + len;
  }
  return out;
}

export function errorCode(m: BackendMessage): string | undefined {
  return m.type === 'E' ? (errorFields(m.body) ?? {}).C : undefined;
}
