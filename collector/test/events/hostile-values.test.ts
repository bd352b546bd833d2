/**
 * Regressions found by the fuzz tests (test/fuzz-*.test.ts): values a hostile OTLP/JSON sender controls used to
 * throw inside the events stage (a 500, or a retryable gRPC UNAVAILABLE an exporter would retry forever) or to
 * reach the store in a form DuckDB refuses (failing the whole group commit it shared with other senders).
 */
import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest } from '../../src/decode/json.js';
import { decodeProtobufRequest } from '../../src/decode/protobuf.js';
import { mapSpansToEvents } from '../../src/events/map-spans.js';
import { anyToString } from '../../src/events/otlp-values.js';

const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);

function jsonBody(span: Record<string, unknown>, attributes: unknown[] = []): string {
  return JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                kind: 2,
                startTimeUnixNano: '1795585833888123456',
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'client.address', value: { stringValue: '192.0.2.1' } },
                  ...attributes,
                ],
                ...span,
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('hostile OTLP values', () => {
  it('reads a deeply nested JSON array value as absent instead of overflowing the stack', () => {
    const depth = 100_000;
    const deep = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"x"}' + ']}}'.repeat(depth);
    const body = jsonBody({}, []).replace('{"key":"client.address"', `{"key":"url.path","value":${deep}},{"key":"client.address"`);
    const { events } = mapSpansToEvents(decodeJsonRequest(body), classifier);
    expect(events).toHaveLength(1);
    expect(events[0].urlPath).toBeNull();
    // header attributes (string arrays) still read their first element
    expect(anyToString({ arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } })).toBe('a');
  });

  it('rejects ids of the wrong JSON type instead of throwing', () => {
    for (const traceId of [123, [1, 2], {}, true]) {
      const r = mapSpansToEvents(decodeJsonRequest(jsonBody({ traceId })), classifier);
      expect(r.events).toHaveLength(0);
      expect(r.rejected).toBe(1);
      expect(r.rejectReasons[0]).toMatch(/invalid trace or span id/);
    }
  });

  it('rejects start times DuckDB could not store (one such row would fail a whole shared commit)', () => {
    for (const startTimeUnixNano of ['1e30', 1e308, '99999999999999999999999']) {
      const r = mapSpansToEvents(decodeJsonRequest(jsonBody({ startTimeUnixNano })), classifier);
      expect(r.events).toHaveLength(0);
      expect(r.rejectReasons[0]).toMatch(/start time after the year 9999/);
    }
    const ok = mapSpansToEvents(decodeJsonRequest(jsonBody({ startTimeUnixNano: String(Date.UTC(9999, 0, 1) * 1e6) })), classifier);
    expect(ok.events).toHaveLength(1);
  });

  it('reads intValue objects as absent, not "[object Object]"', () => {
    expect(anyToString({ intValue: {} as never })).toBeUndefined();
    expect(anyToString({ intValue: '42' })).toBe('42');
  });

  it('refuses protobuf AnyValue nesting beyond protobufjs\' limit as a broken value, not a crash', () => {
    // arrayValue(5) { values(1) { ... } } nested 10 000 deep under url.path, built by hand
    const varint = (n: number) => {
      const out: number[] = [];
      for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128);
      out.push(n);
      return Buffer.from(out);
    };
    const field = (tag: number, payload: Buffer) => Buffer.concat([varint((tag << 3) | 2), varint(payload.length), payload]);
    const heads: Buffer[] = [];
    let length = 3;
    for (let i = 0; i < 20_000; i++) {
      const head = Buffer.concat([varint(((i % 2 ? 5 : 1) << 3) | 2), varint(length)]);
      heads.push(head);
      length += head.length;
    }
    const deep = Buffer.concat([...heads.reverse(), field(1, Buffer.from('x'))]);
    const attr = (key: string, value: Buffer) => field(9, Buffer.concat([field(1, Buffer.from(key)), field(2, value)]));
    const fixed64 = Buffer.alloc(9);
    fixed64[0] = (7 << 3) | 1;
    fixed64.writeBigUInt64LE(1795585833888123456n, 1);
    const span = Buffer.concat([
      field(1, Buffer.alloc(16, 7)),
      field(2, Buffer.alloc(8, 9)),
      Buffer.from([6 << 3, 2]),
      fixed64,
      attr('url.path', deep),
      attr('http.request.method', field(1, Buffer.from('GET'))),
      attr('client.address', field(1, Buffer.from('192.0.2.1'))),
    ]);
    const body = field(1, field(2, field(2, span)));
    const { events } = mapSpansToEvents(decodeProtobufRequest(body), classifier);
    expect(events).toHaveLength(1);
    expect(events[0].urlPath).toBeNull();
  });
});
