/**
 * HTTP/2 framing fuzz against the gRPC receiver of a real collector process: raw TCP connections carrying a gRPC
 * Export call built frame by frame (connection preface, SETTINGS, HEADERS with a literal HPACK block, DATA with a
 * length-prefixed message), well-formed or broken in seeded ways (cut anywhere, flipped frame headers, bad HPACK,
 * invalid SETTINGS, PING/WINDOW_UPDATE/PRIORITY/RST_STREAM misuse, frames on the wrong stream, a CONTINUATION flood,
 * rapid resets, a gRPC length prefix that lies, compression claimed but not there). The process must stay up and keep
 * serving, must close or answer every connection instead of holding it, every well-formed call must be stored, and
 * nothing that was not sent may be stored. Replay a failure with SPYGLASS_FUZZ_SEED=<seed>.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../collector/src/simulate/random.js';
import { FUZZ_TOKEN, startFuzzCollector } from './fuzz/child-collector.js';
import type { FuzzCollector } from './fuzz/child-collector.js';
import { rawExportClient } from './helpers/grpc-export.js';
import { otlpBody } from './helpers/otlp-body.js';
import { writeInPieces } from './fuzz/write-in-pieces.js';
import { tempDir } from './helpers/temp.js';

const SEED = Number(process.env.SPYGLASS_FUZZ_SEED ?? 25_11_2026);
const CASES = 120;
const CHECK_EVERY = 30;
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const tmp = tempDir('spyglass-fuzz-h2-');
let collector: FuzzCollector;
let host: string;
let port: number;

beforeAll(async () => {
  // Short idle and ping limits, so connections a broken peer leaves open are closed within the test's 20 s allowance.
  collector = await startFuzzCollector(tmp.dir, { receive: { maxBodyBytes: 1024 * 1024, grpcIdleSeconds: 1, grpcKeepaliveSeconds: 1 } }, 'h2');
  [host, port] = ((a) => [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))] as const)(collector.grpc!);
});

afterAll(async () => {
  await collector?.stop();
  tmp.cleanup();
});

// Frame types and flags (RFC 9113 §6).
const DATA = 0x0;
const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  for (value -= max; value >= 128; value >>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}

/** Header fields as "literal without indexing, new name", no Huffman: valid HPACK any decoder accepts. */
function hpack(fields: Array<[string, string]>): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    bytes.push(0x00, ...hpackInt(name.length, 7, 0), ...Buffer.from(name, 'latin1'));
    bytes.push(...hpackInt(Buffer.byteLength(value), 7, 0), ...Buffer.from(value));
  }
  return Buffer.from(bytes);
}

const REQUEST_HEADERS: Array<[string, string]> = [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', EXPORT_PATH],
  [':authority', '127.0.0.1'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
  ['authorization', `Bearer ${FUZZ_TOKEN}`],
];

/** A gRPC message: compressed flag, 4-byte length, the protobuf bytes. */
function grpcMessage(body: Buffer, compressed = 0, claimedLength = body.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed;
  prefix.writeUInt32BE(claimedLength >>> 0, 1);
  return Buffer.concat([prefix, body]);
}

interface Case {
  bytes: Buffer;
  /** url.path of the span inside the call. */
  path: string;
  /** A well-formed call: it must be answered and its span stored. */
  wellFormed: boolean;
  /** Which kind of case (index into the variants), for the failure message. */
  kind?: number;
}

function exportCall(path: string): Buffer {
  return otlpBody(1, () => ({ 'http.request.method': 'GET', 'url.path': path, 'client.address': '198.51.100.23', 'http.response.status_code': 200 })).body;
}

/** One connection's bytes: the preface, SETTINGS, then the call on stream 1, well-formed or broken in one way. */
function fuzzCase(r: Random, n: number): Case {
  const path = `/h2/${n}`;
  const body = exportCall(path);
  const start = Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]);
  const headers = frame(HEADERS, END_HEADERS, 1, hpack(REQUEST_HEADERS));
  const data = frame(DATA, END_STREAM, 1, grpcMessage(body));
  const call = Buffer.concat([start, headers, data]);
  const broken = (bytes: Buffer): Case => ({ bytes, path, wellFormed: false });
  const variants: Array<() => Case> = [
    () => ({ bytes: call, path, wellFormed: true }),
    // The same call with the header block split over CONTINUATION frames and the message over two DATA frames.
    () => {
      const block = hpack(REQUEST_HEADERS);
      const cut = r.int(1, block.length - 1);
      const msg = grpcMessage(body);
      const at = r.int(1, msg.length - 1);
      const bytes = Buffer.concat([start, frame(HEADERS, 0, 1, block.subarray(0, cut)), frame(CONTINUATION, END_HEADERS, 1, block.subarray(cut)), frame(DATA, 0, 1, msg.subarray(0, at)), frame(DATA, END_STREAM, 1, msg.subarray(at))]);
      return { bytes, path, wellFormed: true };
    },
    () => broken(call.subarray(0, r.int(1, call.length - 1))),
    () => {
      const bytes = Buffer.from(call);
      // Flip bytes in the frame headers after the preface (length, type, flags, stream id).
      const heads = [PREFACE.length, start.length, start.length + headers.length];
      for (let k = r.int(1, 3); k > 0; k--) bytes[r.pick(heads) + r.int(0, 8)] = r.int(0, 255);
      return broken(bytes);
    },
    () => broken(Buffer.concat([start, frame(HEADERS, END_HEADERS, 1, Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255)))), data])),
    () => broken(Buffer.concat([start, frame(HEADERS, END_HEADERS, 1, hpack(REQUEST_HEADERS.filter(() => r.chance(0.6)))), data])),
    () => broken(Buffer.concat([start, frame(HEADERS, END_HEADERS, 1, hpack([...REQUEST_HEADERS, [r.pick(['Upper-Case', 'connection', 'te', ':fake']), r.pick(['x', 'keep-alive', 'gzip'])]])), data])),
    () => {
      const setting = Buffer.alloc(6);
      setting.writeUInt16BE(r.pick([0x2, 0x4, 0x5, 0x3, 0x99]), 0);
      setting.writeUInt32BE(r.pick([2, 2 ** 31, 100, 0, 2 ** 32 - 1]), 2);
      return broken(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, setting), headers, data]));
    },
    () => broken(Buffer.concat([PREFACE, frame(SETTINGS, r.pick([0, 1]), r.pick([0, 1]), Buffer.alloc(r.pick([1, 5, 7, 12]))), headers, data])),
    () => broken(Buffer.concat([start, frame(PING, 0, r.pick([0, 1]), Buffer.alloc(r.pick([0, 7, 8, 9]))), headers, data])),
    () => {
      const inc = Buffer.alloc(4);
      inc.writeUInt32BE(r.pick([0, 2 ** 31 - 1, 2 ** 31 - 1]) >>> 0, 0);
      return broken(Buffer.concat([start, frame(WINDOW_UPDATE, 0, r.pick([0, 1]), inc), frame(WINDOW_UPDATE, 0, 0, inc), headers, data]));
    },
    () => {
      const self = Buffer.alloc(5);
      self.writeUInt32BE(1, 0); // stream 1 depends on itself
      return broken(Buffer.concat([start, frame(PRIORITY, 0, 1, self), headers, data]));
    },
    () => broken(Buffer.concat([start, frame(DATA, END_STREAM, r.pick([0, 3, 2]), grpcMessage(body)), headers, data])),
    () => broken(Buffer.concat([start, headers, frame(RST_STREAM, 0, 1, Buffer.alloc(4)), data])),
    () => broken(Buffer.concat([start, frame(0x42, r.int(0, 255), 1, Buffer.alloc(r.int(0, 50))), headers, data])),
    () => broken(Buffer.concat([start, headers, frame(DATA, END_STREAM, 1, grpcMessage(body, 0, body.length + r.int(1, 1000)))])),
    () => broken(Buffer.concat([start, headers, frame(DATA, END_STREAM, 1, grpcMessage(body, r.pick([1, 2, 255])))])),
    () => broken(Buffer.concat([start, headers, frame(DATA, END_STREAM, 1, Buffer.from(Array.from({ length: r.int(0, 300) }, () => r.int(0, 255))))])),
    // A CONTINUATION flood: header fragments that never end (Node's http2 must cap them, CVE-2024-27983).
    () => {
      const fragment = hpack([['x-filler', 'a'.repeat(1000)]]);
      const frames = [frame(HEADERS, 0, 1, hpack(REQUEST_HEADERS))];
      for (let k = r.int(50, 200); k > 0; k--) frames.push(frame(CONTINUATION, 0, 1, fragment));
      return broken(Buffer.concat([start, ...frames]));
    },
    // Rapid reset: many streams opened and cancelled at once (CVE-2023-44487).
    () => {
      const frames: Buffer[] = [];
      for (let s = 1; s < 2 * r.int(50, 300); s += 2) frames.push(frame(HEADERS, END_HEADERS, s, hpack(REQUEST_HEADERS)), frame(RST_STREAM, 0, s, Buffer.from([0, 0, 0, 8])));
      return broken(Buffer.concat([start, ...frames]));
    },
    () => broken(Buffer.concat([start, frame(GOAWAY, 0, 0, Buffer.alloc(8)), headers, data])),
    () => broken(Buffer.concat([PREFACE.subarray(0, r.int(1, PREFACE.length - 1)), Buffer.from(Array.from({ length: r.int(0, 100) }, () => r.int(0, 255)))])),
  ];
  // The first two variants are well-formed: pick them more often, so every seed checks enough stored calls.
  const kind = r.chance(0.15) ? r.int(0, 1) : r.int(0, variants.length - 1);
  return { ...variants[kind](), kind };
}

interface Outcome {
  /** A HEADERS frame with END_STREAM arrived on stream 1: the call got its trailers (an answer). */
  answered: boolean;
  closedByServer: boolean;
}

/** Reads the server's frames (type and stream only; no HPACK needed) until stream 1 ends or the server closes. */
function exchange(bytes: Buffer, r: Random, label: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    let answered = false;
    let quiet: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean) => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ answered, closedByServer });
    };
    const endOurSide = () => {
      socket.end();
      deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${label}: the server neither answered nor closed within 20 s of the client's end`));
      }, 20_000);
    };
    const armQuiet = () => {
      clearTimeout(quiet);
      if (!deadline) quiet = setTimeout(endOurSide, 400);
    };
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const type = buffered[3];
        const flags = buffered[4];
        const stream = buffered.readUInt32BE(5) & 0x7fffffff;
        if (type === HEADERS && stream === 1 && flags & END_STREAM) answered = true;
        buffered = buffered.subarray(9 + length);
      }
      if (answered) finish(false);
      else armQuiet();
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(true) : reject(err)));
    socket.on('connect', () => writeInPieces(socket, bytes, r, () => deadline !== undefined, armQuiet));
  });
}

async function checkServing(n: number): Promise<void> {
  collector.assertAlive();
  const client = rawExportClient(collector.grpc!);
  try {
    const { err } = await client.export(exportCall(`/h2-probe/${n}`), FUZZ_TOKEN);
    expect(err, `probe after case ${n}`).toBeNull();
  } finally {
    client.close();
  }
  const health = await fetch(`${collector.http}/healthz`, { signal: AbortSignal.timeout(10_000) });
  expect(health.status).toBe(200);
}

describe('gRPC receiver under malformed HTTP/2 framing', () => {
  it(`survives ${CASES} seeded cases, answers every well-formed call and stores only what was sent`, async () => {
    const r = new Random(SEED);
    const sent = new Set<string>();
    const wellFormed: string[] = [];
    let answered = 0;
    let closed = 0;
    for (let n = 0; n < CASES; n++) {
      const c = fuzzCase(r, n);
      sent.add(c.path);
      const outcome = await exchange(c.bytes, r, `seed ${SEED} case ${n} (kind ${c.kind})`);
      if (c.wellFormed) {
        expect(outcome.answered, `seed ${SEED} case ${n}: a well-formed call got no answer`).toBe(true);
        wellFormed.push(c.path);
      }
      if (outcome.answered) answered++;
      if (outcome.closedByServer) closed++;
      if ((n + 1) % CHECK_EVERY === 0) await checkServing(n);
    }
    await checkServing(CASES);
    const stored = (await collector.query<{ url_path: string }>("SELECT url_path FROM events WHERE url_path LIKE '/h2/%'")).map((row) => row.url_path);
    for (const p of stored) expect(sent.has(p), `stored ${p}, which no case sent`).toBe(true);
    for (const p of wellFormed) expect(stored, `well-formed call ${p} not stored`).toContain(p);
    expect(wellFormed.length).toBeGreaterThan(CASES * 0.05);
    expect(closed).toBeGreaterThan(CASES * 0.3);
    console.log(`fuzz h2 framing seed ${SEED}: ${answered} answered, ${closed} closed by the server, ${wellFormed.length} well-formed, ${stored.length} stored`);
  }, 300_000);
});
