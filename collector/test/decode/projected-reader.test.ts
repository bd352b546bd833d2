import protobuf from 'protobufjs';
import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import { describe, expect, it } from 'vitest';
import { realisticBodies } from '../../bench/realistic-spans.js';
import type { TraceRequest } from '../../src/decode/otlp-types.js';
import { decodeProtobufRequest, ExportTraceServiceRequest } from '../../src/decode/protobuf.js';
import { mapSpansToEvents } from '../../src/events/map-spans.js';

const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);
const fullDecode = (body: Uint8Array) => ExportTraceServiceRequest.decode(body) as unknown as TraceRequest;

/** Hand-made wire bytes, field by field, so the tests can put fields in any order. */
const w = {
  str: (field: number, s: string | Uint8Array) => (wr: protobuf.Writer) =>
    typeof s === 'string' ? wr.uint32((field << 3) | 2).string(s) : wr.uint32((field << 3) | 2).bytes(s),
  msg: (field: number, ...parts: Array<(wr: protobuf.Writer) => unknown>) => (wr: protobuf.Writer) => {
    wr.uint32((field << 3) | 2).fork();
    for (const p of parts) p(wr);
    wr.ldelim();
  },
  varint: (field: number, n: number) => (wr: protobuf.Writer) => wr.uint32(field << 3).int32(n),
  fixed64: (field: number, n: number) => (wr: protobuf.Writer) => wr.uint32((field << 3) | 1).fixed64(n),
};
function bytes(...parts: Array<(wr: protobuf.Writer) => unknown>): Uint8Array {
  const wr = protobuf.Writer.create();
  for (const p of parts) p(wr);
  return wr.finish();
}
const kv = (key: string, value: (wr: protobuf.Writer) => unknown, valueFirst = false) =>
  valueFirst ? w.msg(9, w.msg(2, value), w.str(1, key)) : w.msg(9, w.str(1, key), w.msg(2, value));
const span = (...attrs: Array<(wr: protobuf.Writer) => unknown>) =>
  w.msg(
    1,
    w.msg(2, w.msg(2, w.str(1, Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')), w.str(2, Buffer.from('b7ad6b7169203331', 'hex')), w.varint(6, 2), w.fixed64(7, 1_795_585_833_888_123_000), ...attrs)),
  );

describe('projected protobuf reader', () => {
  it('makes exactly the events a full decode of the same realistic bodies makes', () => {
    for (const body of realisticBodies(4, 128)) {
      const projected = mapSpansToEvents(decodeProtobufRequest(body), classifier);
      const full = mapSpansToEvents(fullDecode(body), classifier);
      expect(projected.events.length).toBe(128);
      // The generic decoder reads 64-bit times through one double (~256 ns off); the projected reader exactly.
      const withoutTimes = (r: typeof full) => ({ ...r, events: r.events.map(({ timeUs, durationMs, ...rest }) => rest) });
      expect(withoutTimes(projected)).toEqual(withoutTimes(full));
      projected.events.forEach((e, i) => {
        expect(Math.abs(e.timeUs - full.events[i].timeUs)).toBeLessThanOrEqual(1);
        expect(Math.abs(e.durationMs! - full.events[i].durationMs!)).toBeLessThan(0.001);
      });
    }
  });

  it('keeps only the attributes events read, with values decoded', () => {
    const body = bytes(
      span(
        kv('http.request.method', w.str(1, 'GET')),
        kv('server.port', w.varint(3, 8080)),
        kv('url.scheme', w.str(1, 'https')),
        kv('http.response.status_code', w.varint(3, 404)),
      ),
    );
    const s = decodeProtobufRequest(body).resourceSpans![0].scopeSpans![0].spans![0];
    expect(s.attributes).toEqual([
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'http.response.status_code', value: { intValue: 404 } },
    ]);
    expect(s.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(s.spanId).toBe('b7ad6b7169203331');
    expect(s.kind).toBe(2);
  });

  it('reads a value written before its key, arrays by their first element, and skips values it has no use for', () => {
    const body = bytes(
      span(
        kv('http.request.method', w.str(1, 'POST'), true),
        kv('user_agent.original', w.msg(5, w.msg(1, w.str(1, 'curl/8.5.0')), w.msg(1, w.str(1, 'ignored')))),
        kv('client.address', w.msg(6, w.msg(1, w.str(1, 'k'), w.msg(2, w.str(1, 'v'))))),
      ),
    );
    const withAddress = bytes(span(kv('http.request.method', w.str(1, 'POST'), true), kv('client.address', w.str(1, '192.0.2.7'))));
    const [e] = mapSpansToEvents(decodeProtobufRequest(withAddress), classifier).events;
    const s = decodeProtobufRequest(body).resourceSpans![0].scopeSpans![0].spans![0];
    expect(s.attributes![0]).toEqual({ key: 'http.request.method', value: { stringValue: 'POST' } });
    expect(s.attributes![1]).toEqual({ key: 'user_agent.original', value: { arrayValue: { values: [{ stringValue: 'curl/8.5.0' }] } } });
    expect(s.attributes![2]).toEqual({ key: 'client.address', value: {} }); // a key-value list is no address
    expect(e.httpMethod).toBe('POST');
    expect(e.ip).toBe('192.0.2.7');
  });

  it('refuses a field that runs past the end of its message, and invalid UTF-8 in a value it reads', () => {
    // A span whose attribute claims more bytes than the span has left.
    const overrun = Buffer.from(bytes(span(kv('http.request.method', w.str(1, 'GET')))));
    const good = decodeProtobufRequest(overrun);
    expect(good.resourceSpans).toHaveLength(1);
    const attrTag = overrun.indexOf(Buffer.from([0x4a])); // field 9, wire type 2
    overrun[attrTag + 1] += 40;
    expect(() => decodeProtobufRequest(overrun)).toThrow(expect.objectContaining({ code: 'SPY_ERR_DECODE_PROTOBUF' }));

    const badUtf8 = bytes(span(kv('http.request.method', w.str(1, Uint8Array.from([0x47, 0xc3, 0x28])))));
    expect(() => decodeProtobufRequest(badUtf8)).toThrow(expect.objectContaining({ code: 'SPY_ERR_DECODE_PROTOBUF' }));
  });
});
