import { compileRouteRules, DEFAULT_ROUTE_RULES } from '@spyglass/core';
import { describe, expect, it } from 'vitest';
import type { OtlpSpan, TraceRequest } from '../../src/decode/otlp-types.js';
import { decodeJsonRequest } from '../../src/decode/json.js';
import { decodeProtobufRequest, ExportTraceServiceRequest } from '../../src/decode/protobuf.js';
import { mapSpansToEvents } from '../../src/events/map-spans.js';
import { FIELD_LIMITS } from '../../src/events/limits.js';

const classifier = compileRouteRules(DEFAULT_ROUTE_RULES);

function span(attrs: Record<string, string | number>, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'span',
    kind: 2,
    startTimeUnixNano: '1795585833888123456',
    endTimeUnixNano: '1795585833890123456',
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: v } })),
    ...extra,
  };
}

/** A 64-bit value as protobufjs' writer takes it exactly ({ low, high }; fromObject would go through a double). */
function halves(decimal: string): { low: number; high: number } {
  const v = BigInt(decimal);
  return { low: Number(v & 0xffffffffn), high: Number(v >> 32n) };
}

/** The span as protobuf bytes, times exact, with the service resource req() gives. */
function exactProtobuf(s: OtlpSpan): Uint8Array {
  const spanMessage = {
    ...s,
    traceId: Buffer.from(s.traceId as string, 'hex'),
    spanId: Buffer.from(s.spanId as string, 'hex'),
    startTimeUnixNano: halves(String(s.startTimeUnixNano)),
    endTimeUnixNano: halves(String(s.endTimeUnixNano)),
  };
  const message = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans: [spanMessage] }] }] };
  return ExportTraceServiceRequest.encode(message as never).finish();
}

function req(...spans: OtlpSpan[]): TraceRequest {
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }] };
}

describe('map-spans.ts', () => {
  it('keeps microseconds and the duration', () => {
    const [e] = mapSpansToEvents(req(span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' })), classifier).events;
    expect(e.timeUs).toBe(1795585833888123);
    expect(e.durationMs).toBe(2);
    expect(e.serviceName).toBe('svc');
  });

  it('keeps nanosecond timestamps exact from protobuf and from JSON (one double holds only ~256 ns of them)', () => {
    const start = 1795585833888123456n;
    const s = span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n) });
    const [fromJson] = mapSpansToEvents(req(s), classifier).events;
    const [fromPb] = mapSpansToEvents(decodeProtobufRequest(exactProtobuf(s)), classifier).events;
    for (const e of [fromJson, fromPb]) {
      expect(e.timeUs).toBe(1795585833888123);
      expect(e.durationMs).toBe(5);
    }
    const short = span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1_234_567n) });
    expect(mapSpansToEvents(decodeProtobufRequest(exactProtobuf(short)), classifier).events[0].durationMs).toBe(1.234567);
    const backwards = span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { startTimeUnixNano: String(start), endTimeUnixNano: String(start - 1n) });
    expect(mapSpansToEvents(decodeProtobufRequest(exactProtobuf(backwards)), classifier).events[0].durationMs).toBeNull();
  });

  it('keeps span times written as bare JSON numbers exact, and leaves look-alikes inside strings alone', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331",
      "kind":2,"startTimeUnixNano":1796320681746000123, "endTimeUnixNano" : 1796320681751000123,
      "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"client.address","value":{"stringValue":"192.0.2.1"}},
      {"key":"url.path","value":{"stringValue":"/x\\"startTimeUnixNano\\":1}"}}]}]}]}]}`;
    const [e] = mapSpansToEvents(decodeJsonRequest(body), classifier).events;
    expect(e.timeUs).toBe(1796320681746000);
    expect(e.durationMs).toBe(5);
    expect(e.urlPath).toBe('/x"startTimeUnixNano":1}');
  });

  it('upper-cases known HTTP methods and stores any other value as _OTHER, as the semantic conventions say', () => {
    const methodOf = (m: string) => mapSpansToEvents(req(span({ 'http.request.method': m, 'client.address': '192.0.2.1' })), classifier).events[0].httpMethod;
    expect(['get', 'Post', 'PATCH', 'query', 'OPTIONS'].map(methodOf)).toEqual(['GET', 'POST', 'PATCH', 'QUERY', 'OPTIONS']);
    expect(['FOO', 'PROPFIND', '_OTHER', 'GET ', 'x'.repeat(100)].map(methodOf)).toEqual(Array(5).fill('_OTHER'));
  });

  it('prefers the stable name when a span carries both old and new', () => {
    const [e] = mapSpansToEvents(
      req(span({ 'http.status_code': 500, 'http.response.status_code': 200, 'http.method': 'PUT', 'http.request.method': 'GET', 'client.address': '192.0.2.1' })),
      classifier,
    ).events;
    expect(e.statusCode).toBe(200);
    expect(e.httpMethod).toBe('GET');
  });

  it('takes client.address over the socket peer (a proxy) for the identity', () => {
    const [e] = mapSpansToEvents(req(span({ 'http.request.method': 'GET', 'network.peer.address': '10.0.0.5', 'client.address': '198.51.100.7' })), classifier).events;
    expect(e.identity).toBe('198.51.100.*');
  });

  it('truncates hostile strings to documented limits', () => {
    const [e] = mapSpansToEvents(
      req(span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1', 'url.path': '/' + 'a'.repeat(10_000), 'user_agent.original': 'x'.repeat(5000) })),
      classifier,
    ).events;
    expect(e.urlPath!.length).toBe(FIELD_LIMITS.urlPath);
    expect(e.userAgent!.length).toBe(FIELD_LIMITS.userAgent);
    expect(e.urlPath!.endsWith('…')).toBe(true);
  });

  it('rejects impossible status codes and missing start times with reasons', () => {
    const r = mapSpansToEvents(
      req(
        span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1', 'http.response.status_code': 999 }, { name: 'weird-status' }),
        span({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { name: 'no-time', startTimeUnixNano: '0' }),
      ),
      classifier,
    );
    expect(r.events).toEqual([]);
    expect(r.rejected).toBe(2);
    expect(r.rejectReasons.join(' ')).toMatch(/"weird-status" has an impossible HTTP status code 999.*"no-time" has no start time/);
  });

  it('reads the same span identically from protobuf bytes and from JSON', () => {
    const s = span({ 'http.request.method': 'POST', 'url.path': '/login', 'http.response.status_code': 401, 'client.address': '2001:db8::9', 'user_agent.original': 'ua' });
    const fromJson = mapSpansToEvents(req(s), classifier).events;
    const fromPb = mapSpansToEvents(decodeProtobufRequest(exactProtobuf(s)), classifier).events;
    expect(fromPb).toEqual(fromJson);
    expect(fromPb[0]).toMatchObject({ identity: '2001:db8::/64', eventType: 'account_login_fail' });
  });
});
