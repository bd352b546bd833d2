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

  it('keeps 64-bit integer user ids exact from protobuf, JSON strings and bare JSON numbers', () => {
    const ids = ['1541815603606036481', '1541815603606036482', '-9223372036854775808', '9007199254740993'];
    for (const id of ids) {
      const pb = ExportTraceServiceRequest.encode({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), kind: 2, startTimeUnixNano: halves('1795585833888123456'),
          attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }, { key: 'user.id', value: { intValue: halves(BigInt.asUintN(64, BigInt(id)).toString()) } }] }] }] }],
      } as never).finish();
      expect(mapSpansToEvents(decodeProtobufRequest(pb), classifier).events[0]).toMatchObject({ identity: id, userId: id, identityKind: 'user' });
      const json = (value: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","kind":2,
        "startTimeUnixNano":"1795585833888123456","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"user.id","value":{"intValue":${value}}}]}]}]}]}`;
      expect(mapSpansToEvents(decodeJsonRequest(json(`"${id}"`)), classifier).events[0].userId).toBe(id);
      expect(mapSpansToEvents(decodeJsonRequest(json(id)), classifier).events[0].userId).toBe(id);
    }
    expect(mapSpansToEvents(req(span({ 'http.request.method': 'GET' }, { attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }, { key: 'user.id', value: { intValue: '007' } }] })), classifier).events[0].userId).toBe('7');
  });

  it('stores an anonymous request without a client address under the identity "unknown" instead of refusing it', () => {
    // What ASP.NET Core and Ruby Rack record by default: no client or peer address.
    const r = mapSpansToEvents(req(span({ 'http.request.method': 'GET', 'url.path': '/products', 'http.response.status_code': 200 })), classifier);
    expect(r.rejected).toBe(0);
    expect(r.events[0]).toMatchObject({ identity: 'unknown', identityKind: 'network', ip: null, network: null, urlPath: '/products' });
    const withUser = mapSpansToEvents(req(span({ 'http.request.method': 'GET', 'user.id': 'ivan' })), classifier).events[0];
    expect(withUser).toMatchObject({ identity: 'ivan', identityKind: 'user', network: null });
  });

  it('reads the other SDKs\' names: empty values fall through, doubles as strings, absolute and relative targets, status 0', () => {
    const one = (attrs: Record<string, string | number>, values: Record<string, object> = {}) =>
      mapSpansToEvents(req(span(attrs, { attributes: [...span(attrs).attributes!, ...Object.entries(values).map(([key, value]) => ({ key, value }))] })), classifier).events[0];
    expect(one({ 'http.request.method': 'GET', 'user.id': '', 'enduser.id': 'dave' })).toMatchObject({ identity: 'dave', identityKind: 'user' });
    expect(one({ 'http.request.method': 'GET', 'user.name': 'erin', 'client.address': '192.0.2.1' })).toMatchObject({ identity: 'erin', userId: 'erin' });
    expect(one({ 'http.request.method': 'GET', 'client.socket.address': '198.51.100.7' })).toMatchObject({ identity: '198.51.100.*', ip: '198.51.100.7' });
    expect(one({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { 'http.request.header.user-agent': { arrayValue: { values: [{ stringValue: 'curl/8.5' }] } } }).userAgent).toBe('curl/8.5');
    expect(one({ 'http.request.method': 'GET', 'client.address': '192.0.2.1' }, { 'http.response.status_code': { doubleValue: '404' } })).toMatchObject({ statusCode: 404, eventType: 'page_error' });
    expect(one({ 'http.method': 'GET', 'http.target': 'http://evil.example/abs?x=1', 'client.address': '192.0.2.1' })).toMatchObject({ urlPath: '/abs', urlQuery: 'x=1' });
    expect(one({ 'http.method': 'GET', 'http.url': '/rel/path?y=2', 'client.address': '192.0.2.1' })).toMatchObject({ urlPath: '/rel/path', urlQuery: 'y=2' });
    expect(one({ 'http.method': 'GET', 'http.url': 'https://shop.example/p?z=3', 'client.address': '192.0.2.1' })).toMatchObject({ urlPath: '/p', urlQuery: 'z=3' });
    expect(one({ 'http.request.method': 'GET', 'http.response.status_code': 0, 'client.address': '192.0.2.1' })).toMatchObject({ statusCode: null, eventType: 'page_view' });
  });

  it('classifies login routes whatever their case (ASP.NET\'s /Account/Login) and Devise\'s /users/sign_in', () => {
    const type = (path: string, status: number, route?: string) =>
      mapSpansToEvents(req(span({ 'http.request.method': 'POST', 'url.path': path, 'http.response.status_code': status, 'client.address': '192.0.2.1', ...(route ? { 'http.route': route } : {}) })), classifier).events[0].eventType;
    expect(type('/Identity/Account/Login', 302)).toBe('account_login');
    expect(type('/Account/Login', 401, 'Account/Login')).toBe('account_login_fail');
    expect(type('/api/LOGIN', 401)).toBe('account_login_fail');
    expect(type('/users/sign_in', 422)).toBe('account_login_fail');
    expect(type('/users/sign_in', 303)).toBe('account_login');
  });

  it('reads OTLP/JSON written with the proto field names (snake_case), as the OTel Collector does', () => {
    const body = `{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"py"}}]},"scope_spans":[{"spans":[{
      "trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","kind":2,"start_time_unix_nano":1796320681746000123,
      "end_time_unix_nano":"1796320681751000123","attributes":[{"key":"http.request.method","value":{"string_value":"GET"}},
      {"key":"user.id","value":{"int_value":1541815603606036481}},{"key":"url.path","value":{"string_value":"/snake_case_path"}}]}]}]}]}`;
    const [e] = mapSpansToEvents(decodeJsonRequest(body), classifier).events;
    expect(e).toMatchObject({ serviceName: 'py', userId: '1541815603606036481', urlPath: '/snake_case_path', timeUs: 1796320681746000, durationMs: 5 });
  });
});
