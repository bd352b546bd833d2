/**
 * Seeded generators of hostile OTLP trace bodies: valid ExportTraceServiceRequests (protobuf and JSON), then
 * mutated the ways a broken or hostile sender would (bit flips, truncation, wrong field numbers and wire types,
 * huge varints, deep nesting, wrong JSON types in every field, huge numbers, random bytes).
 * Every case is a pure function of (seed, case number), so a failure report names the case to replay.
 */
import { createHash } from 'node:crypto';
import { ExportTraceServiceRequest } from '../../collector/src/decode/protobuf.js';
import { Random } from '../../collector/src/simulate/random.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface FuzzCase {
  id: number;
  encoding: 'protobuf' | 'json';
  body: Buffer;
  /** What was done to the valid request (for failure messages). */
  mutation: string;
}

const HTTP_KEYS = [
  'http.request.method',
  'http.method',
  'http.response.status_code',
  'http.status_code',
  'http.route',
  'url.path',
  'url.query',
  'http.target',
  'url.full',
  'user_agent.original',
  'client.address',
  'network.peer.address',
  'http.request.header.referer',
  'user.id',
  'enduser.id',
  'spyglass.identity',
  'spyglass.identity.kind',
  'spyglass.event_type',
];

function randomString(r: Random, max: number): string {
  const n = r.int(0, max);
  const alphabets = ['abcdefghijklmnopqrstuvwxyz/-_.', '0123456789.:', '\u0000\u0001\u001f\u007f\ud800\udfff\u2028\ufffd€😀', '%2e%2f?&=#;\\"\''];
  const alphabet = r.pick(alphabets);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[r.int(0, alphabet.length - 1)];
  return s;
}

/** Ids derived from the case number (random-looking, as SDKs make them), so every case has its own. */
export function caseTraceId(id: number, salt = 0): Buffer {
  return createHash('sha256').update(`trace/${salt}/${id}`).digest().subarray(0, 16);
}

function spanIdFor(id: number, index: number): Buffer {
  return createHash('sha256').update(`span/${id}/${index}`).digest().subarray(0, 8);
}

type AnyValueObject = Record<string, unknown>;

function nestedArray(depth: number, leaf: AnyValueObject): AnyValueObject {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

function nestedKvlist(depth: number, leaf: AnyValueObject): AnyValueObject {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { kvlistValue: { values: [{ key: `k${i % 7}`, value: v }] } };
  return v;
}

/** A random AnyValue in the full (not lazy) protobufjs object form, also valid as OTLP/JSON once ids are hex. */
function randomAnyValue(r: Random, depth = 0): AnyValueObject {
  switch (r.int(0, depth > 2 ? 4 : 7)) {
    case 0:
      return { stringValue: randomString(r, 40) };
    case 1:
      return { intValue: r.pick([0, 1, -1, 200, 404, 599, 2 ** 31, -(2 ** 53), Number.MAX_SAFE_INTEGER]) };
    case 2:
      return { doubleValue: r.pick([0, -0.5, 1e308, 3.14, 200]) };
    case 3:
      return { boolValue: r.chance(0.5) };
    case 4:
      return { bytesValue: Buffer.from(randomString(r, 16)) };
    case 5:
      return { arrayValue: { values: Array.from({ length: r.int(0, 3) }, () => randomAnyValue(r, depth + 1)) } };
    case 6:
      return { kvlistValue: { values: Array.from({ length: r.int(0, 3) }, () => ({ key: randomString(r, 8), value: randomAnyValue(r, depth + 1) })) } };
    default:
      // protobufjs encodes at most 100 levels; deeper values are written by hand (deepAttributeBody)
      return r.chance(0.5) ? nestedArray(r.int(10, 40), { stringValue: 'deep' }) : nestedKvlist(r.int(5, 25), { intValue: 7 });
  }
}

function validHttpAttributes(r: Random, id: number, index: number): Array<{ key: string; value: AnyValueObject }> {
  const attrs: Array<{ key: string; value: AnyValueObject }> = [
    { key: 'http.request.method', value: { stringValue: r.pick(['GET', 'POST', 'PUT', 'DELETE', 'get']) } },
    { key: 'url.path', value: { stringValue: `/fuzz/${id}/${index}` } },
    { key: 'http.response.status_code', value: { intValue: r.pick([200, 201, 302, 401, 404, 500]) } },
    { key: 'client.address', value: { stringValue: r.pick(['192.0.2.1', '2001:db8::1', `198.51.100.${r.int(1, 254)}`]) } },
  ];
  if (r.chance(0.3)) attrs.push({ key: 'user.id', value: { stringValue: `user-${r.int(1, 50)}` } });
  if (r.chance(0.3)) attrs.push({ key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' } });
  if (r.chance(0.3)) attrs.push({ key: r.pick(HTTP_KEYS), value: randomAnyValue(r) });
  if (r.chance(0.3)) attrs.push({ key: randomString(r, 20), value: randomAnyValue(r) });
  return attrs;
}

/** A valid request in protobufjs object form: a few resources, scopes and spans, mostly HTTP server spans. */
export function validRequestObject(r: Random, id: number): Record<string, unknown> {
  let index = 0;
  const nowNs = Date.now() * 1e6;
  return {
    resourceSpans: Array.from({ length: r.int(1, 2) }, () => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${r.int(1, 3)}` } }] },
      scopeSpans: Array.from({ length: r.int(1, 2) }, () => ({
        spans: Array.from({ length: r.int(1, 4) }, () => {
          const i = index++;
          return {
            traceId: caseTraceId(id),
            spanId: spanIdFor(id, i),
            name: `GET /fuzz/${id}`,
            kind: r.chance(0.85) ? 2 : r.int(0, 5),
            startTimeUnixNano: nowNs - r.int(0, 3600) * 1e9,
            endTimeUnixNano: nowNs + r.int(0, 1000) * 1e6,
            attributes: validHttpAttributes(r, id, i),
          };
        }),
      })),
    })),
  };
}

export function encodeProtobuf(obj: Record<string, unknown>): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(obj)).finish());
}

/** The protobufjs object form turned into OTLP/JSON (hex ids, base64 bytes, int64 as strings or numbers). */
export function toOtlpJson(value: unknown, key = ''): Json {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return key === 'traceId' || key === 'spanId' ? Buffer.from(value).toString('hex') : Buffer.from(value).toString('base64');
  }
  if (Array.isArray(value)) return value.map((v) => toOtlpJson(v));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toOtlpJson(v, k);
    return out;
  }
  if (typeof value === 'number' && (key === 'startTimeUnixNano' || key === 'endTimeUnixNano' || key === 'intValue')) return String(value);
  return value as Json;
}

// ---- protobuf mutations ----------------------------------------------------------------------------------

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function field(tag: number, wireType: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((tag << 3) | wireType), wireType === 2 ? varint(payload.length) : Buffer.alloc(0), payload]);
}

const PROTOBUF_MUTATIONS: Array<[string, (r: Random, b: Buffer) => Buffer]> = [
  ['none', (_r, b) => b],
  [
    'bit flips',
    (r, b) => {
      const out = Buffer.from(b);
      for (let i = r.int(1, 8); i > 0 && out.length; i--) out[r.int(0, out.length - 1)] ^= 1 << r.int(0, 7);
      return out;
    },
  ],
  ['truncation', (r, b) => b.subarray(0, r.int(0, Math.max(0, b.length - 1)))],
  [
    'random bytes inserted',
    (r, b) => {
      const at = r.int(0, b.length);
      const junk = Buffer.from(Array.from({ length: r.int(1, 32) }, () => r.int(0, 255)));
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    },
  ],
  [
    'range deleted',
    (r, b) => {
      const at = r.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 40)))]);
    },
  ],
  [
    'range duplicated',
    (r, b) => {
      const at = r.int(0, b.length);
      const end = Math.min(b.length, at + r.int(1, 200));
      return Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
    },
  ],
  [
    'field number / wire type changed',
    (r, b) => {
      const out = Buffer.from(b);
      for (let i = r.int(1, 4); i > 0 && out.length; i--) out[r.int(0, out.length - 1)] = (r.int(0, 15) << 3) | r.int(0, 7);
      return out;
    },
  ],
  [
    'huge varint',
    (r, b) => {
      const at = r.int(0, b.length);
      const huge = Buffer.from([...Array.from({ length: r.int(5, 12) }, () => 0xff), r.pick([0x01, 0x7f, 0xff])]);
      return Buffer.concat([b.subarray(0, at), huge, b.subarray(at)]);
    },
  ],
  [
    'huge length prefix',
    (r, b) => Buffer.concat([b, field(1, 2, Buffer.alloc(0)).subarray(0, 1), varint(r.pick([2 ** 31 - 1, 2 ** 32 - 1, 2 ** 28, 1e15])), Buffer.from('xx')]),
  ],
  ['random bytes', (r) => Buffer.from(Array.from({ length: r.int(0, 2000) }, () => r.int(0, 255)))],
  [
    'nested groups',
    (r, b) => {
      const depth = r.int(100, 50_000);
      const start = varint((15 << 3) | 3);
      return Buffer.concat([b, ...Array.from({ length: depth }, () => start)]);
    },
  ],
  [
    'nested messages in unknown fields',
    (r, b) => {
      const depth = r.int(100, 5000);
      const heads: Buffer[] = [];
      let length = 1;
      for (let i = 0; i < depth; i++) {
        const head = Buffer.concat([varint((1 << 3) | 2), varint(length)]);
        heads.push(head);
        length += head.length;
      }
      return Buffer.concat([b, field(9, 2, Buffer.concat([...heads.reverse(), Buffer.from('x')]))]);
    },
  ],
];

function fixed64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(Math.round(n)));
  return b;
}

/**
 * One more ResourceSpans, written by hand, whose span has a deeply nested AnyValue (arrays or kvlists, far beyond
 * what protobufjs would encode) under an attribute the events stage decodes (method, path, user agent...).
 */
function deepAttributeBody(r: Random, id: number): Buffer {
  const depth = r.int(90, 4000);
  const kvlist = r.chance(0.5);
  // Built inside out as a list of prefixes (tag + length), so the cost is linear in the depth.
  const prefixes: Buffer[] = [];
  let length = 0;
  const wrap = (tag: number, extra?: Buffer) => {
    const head = Buffer.concat([varint((tag << 3) | 2), varint(length + (extra?.length ?? 0))]);
    if (extra) prefixes.push(extra);
    prefixes.push(head);
    length += head.length + (extra?.length ?? 0);
  };
  const leaf = field(1, 2, Buffer.from('x'));
  length = leaf.length;
  const keyField = field(1, 2, Buffer.from('k'));
  for (let i = 0; i < depth; i++) {
    if (kvlist) {
      wrap(2, undefined); // KeyValue.value
      prefixes.push(keyField); // KeyValue.key precedes it
      length += keyField.length;
      wrap(1); // KeyValueList.values
      wrap(6); // AnyValue.kvlistValue
    } else {
      wrap(1); // ArrayValue.values
      wrap(5); // AnyValue.arrayValue
    }
  }
  const value = Buffer.concat([...prefixes.reverse(), leaf]);
  const attr = (key: string, v: Buffer) => field(9, 2, Buffer.concat([field(1, 2, Buffer.from(key)), field(2, 2, v)]));
  const span = Buffer.concat([
    field(1, 2, caseTraceId(id)),
    field(2, 2, spanIdFor(id, 999)),
    Buffer.from([6 << 3, 2]),
    Buffer.concat([Buffer.from([(7 << 3) | 1]), fixed64(Date.now() * 1e6)]),
    attr(r.pick(HTTP_KEYS), value),
    attr('http.request.method', field(1, 2, Buffer.from('GET'))),
    attr('client.address', field(1, 2, Buffer.from('192.0.2.9'))),
  ]);
  return Buffer.concat([encodeProtobuf(validRequestObject(r, id)), field(1, 2, field(2, 2, field(2, 2, span)))]);
}

export function protobufCase(seed: number, id: number): FuzzCase {
  const r = new Random(seed * 1_000_003 + id);
  if (r.chance(0.05)) return { id, encoding: 'protobuf', body: deepAttributeBody(r, id), mutation: 'deeply nested attribute value' };
  let body = encodeProtobuf(validRequestObject(r, id));
  const names: string[] = [];
  for (let i = r.chance(0.2) ? r.int(2, 4) : 1; i > 0; i--) {
    const [name, mutate] = r.pick(PROTOBUF_MUTATIONS);
    names.push(name);
    body = mutate(r, body);
  }
  return { id, encoding: 'protobuf', body, mutation: names.join(' + ') };
}

// ---- JSON mutations --------------------------------------------------------------------------------------

/** Every path to a value in a JSON document. */
function paths(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(root: Json, path: Array<string | number>, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  let node = root as Record<string | number, Json>;
  for (const p of path.slice(0, -1)) node = node?.[p] as Record<string | number, Json>;
  if (!node || typeof node !== 'object') return root; // an earlier mutation replaced this branch
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return root;
}

function deepJson(depth: number, kind: 'array' | 'object' | 'anyvalue'): string {
  if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"x"}' + ']}}'.repeat(depth);
}

/** Values of every JSON type, including the awkward ones. */
function weirdJson(r: Random): Json {
  return r.pick<() => Json>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => -1e308,
    () => Number.MAX_SAFE_INTEGER,
    () => '99999999999999999999999999',
    () => '1e30',
    () => '-5',
    () => '',
    () => 'x'.repeat(r.int(1000, 100_000)),
    () => '\u0000\ud800',
    () => [],
    () => [1, 'a', null, {}],
    () => ({}),
    () => ({ stringValue: 5 }),
    () => ({ intValue: { toNumber: 1 } }),
    () => ({ arrayValue: { values: 'abc' } }),
    () => ({ kvlistValue: { values: [1, 2] } }),
    () => JSON.parse('{"toString":"x","valueOf":1,"__proto__":{"polluted":true},"constructor":"y","hasOwnProperty":1}') as Json,
    () => JSON.parse(deepJson(r.int(10, 200), 'anyvalue')) as Json,
  ])();
}

const JSON_STRUCTURAL: Array<[string, (r: Random, doc: Json) => Json]> = [
  [
    'wrong type at a random field',
    (r, doc) => {
      const all = paths(doc);
      for (let i = r.int(1, 3); i > 0; i--) doc = setAt(doc, r.pick(all), weirdJson(r));
      return doc;
    },
  ],
  [
    'field removed',
    (r, doc) => {
      const all = paths(doc).filter((p) => p.length > 0);
      return all.length ? setAt(doc, r.pick(all), undefined) : doc;
    },
  ],
  [
    'huge numbers in time and int fields',
    (r, doc) => {
      for (const p of paths(doc)) {
        const last = p[p.length - 1];
        if (last === 'startTimeUnixNano' || last === 'endTimeUnixNano' || last === 'intValue' || last === 'kind') {
          doc = setAt(doc, p, r.pick<Json>([1e308, -1e308, '1e400', '18446744073709551616', 9.3e18, -1, 0, 'NaN', 'Infinity', 1e20, '1e19']));
        }
      }
      return doc;
    },
  ],
  [
    'wrong id formats',
    (r, doc) => {
      for (const p of paths(doc)) {
        const last = p[p.length - 1];
        if (last === 'traceId' || last === 'spanId') doc = setAt(doc, p, r.pick<Json>([123, [1, 2], {}, 'zz', 'AAAAAAAAAAAAAAAAAAAAAA==', '0'.repeat(32), true]));
      }
      return doc;
    },
  ],
];

const JSON_TEXTUAL: Array<[string, (r: Random, text: string) => string | Buffer]> = [
  ['truncated text', (r, t) => t.slice(0, r.int(0, t.length - 1))],
  [
    'characters changed',
    (r, t) => {
      const chars = [...t];
      for (let i = r.int(1, 6); i > 0; i--) chars[r.int(0, chars.length - 1)] = r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '0', 'e', '\u0000', 'x']);
      return chars.join('');
    },
  ],
  ['invalid UTF-8 bytes', (r, t) => { const b = Buffer.from(t); b[r.int(0, b.length - 1)] = r.pick([0xff, 0xc0, 0x80, 0xed]); return b; }],
  ['deeply nested arrays as the body', (r) => deepJson(r.int(1000, 50_000), 'array')],
  ['deeply nested objects as the body', (r) => deepJson(r.int(1000, 30_000), 'object')],
  [
    'deeply nested AnyValue as an attribute',
    (r, t) => t.replace(/\{"key":"url\.path","value":\{[^}]*\}\}/, `{"key":"url.path","value":${deepJson(r.int(1000, 20_000), 'anyvalue')}}`),
  ],
  ['random bytes', (r) => Buffer.from(Array.from({ length: r.int(0, 2000) }, () => r.int(0, 255)))],
  ['not an object', (r) => r.pick(['null', '1', '"s"', 'true', '[]', '[{}]', ''])],
];

export function jsonCase(seed: number, id: number): FuzzCase {
  const r = new Random(seed * 1_000_033 + id);
  let doc = toOtlpJson(validRequestObject(r, id));
  const names: string[] = [];
  if (r.chance(0.7)) {
    for (let i = r.chance(0.3) ? 2 : 1; i > 0; i--) {
      const [name, mutate] = r.pick(JSON_STRUCTURAL);
      names.push(name);
      doc = mutate(r, doc);
    }
  }
  let body: string | Buffer = JSON.stringify(doc);
  if (names.length === 0 || r.chance(0.3)) {
    const [name, mutate] = r.pick(JSON_TEXTUAL);
    names.push(name);
    body = mutate(r, body);
  }
  if (r.chance(0.05)) names.push('none');
  return { id, encoding: 'json', body: Buffer.isBuffer(body) ? body : Buffer.from(body), mutation: names.join(' + ') || 'none' };
}

/** A request that must be accepted, with one span whose key is known: used as a liveness probe. */
export function probeRequest(n: number): { body: Buffer; traceId: string; spanId: string } {
  const traceId = caseTraceId(n, 0x77);
  const spanId = spanIdFor(-n, 0);
  const obj = {
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId,
                kind: 2,
                startTimeUnixNano: Date.now() * 1e6,
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'url.path', value: { stringValue: `/probe/${n}` } },
                  { key: 'client.address', value: { stringValue: '192.0.2.200' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
  return { body: encodeProtobuf(obj), traceId: traceId.toString('hex'), spanId: spanId.toString('hex') };
}
