import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUser } from '../src/identity.js';
import { SpyglassSpanProcessor } from '../src/span-processor.js';
import { send } from './util/http-client.js';
import { setupTracing } from './util/tracing.js';

// A stock HttpInstrumentation (as in an existing SDK setup) plus the Spyglass span processor.
const tracing = setupTracing([new SpyglassSpanProcessor({ trustedProxies: ['::1'] })]);
let server: Server;
let port = 0;

beforeAll(async () => {
  tracing.http.setConfig({ headersToSpanAttributes: { server: { requestHeaders: ['authorization'] } } });
  server = createServer((req, res) => {
    // A framework-style child span that copies the raw target, as @fastify/otel does.
    const child = trace.getTracer('test').startSpan('request', { attributes: { 'url.path': req.url ?? '' } });
    child.end();
    if (req.headers['x-user']) setTimeout(() => setUser(String(req.headers['x-user'])), 0);
    setTimeout(() => res.end('ok'), 5);
  });
  await new Promise<void>((r) => server.listen(0, '::', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await tracing.provider.shutdown();
});

describe('SpyglassSpanProcessor', () => {
  it('adds identity and event type to server spans the HTTP config did not handle', async () => {
    await send(`http://127.0.0.1:${port}/products`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    const span = await tracing.serverSpan('/products');
    // The peer 127.0.0.1 is not trusted, so the forwarded address the stock instrumentation put in client.address is ignored.
    expect(span.attributes).toMatchObject({ 'spyglass.identity': '127.0.0.*', 'spyglass.identity.kind': 'network', 'spyglass.event_type': 'page_view' });
  });

  it('believes client.address when the peer is a trusted proxy, and picks up setUser()', async () => {
    await send(`http://[::1]:${port}/search`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect((await tracing.serverSpan('/search')).attributes).toMatchObject({ 'spyglass.identity': '198.51.100.*', 'spyglass.event_type': 'page_search' });
    await send(`http://[::1]:${port}/me`, { headers: { 'x-user': 'erin' } });
    expect((await tracing.serverSpan('/me')).attributes).toMatchObject({ 'spyglass.identity': 'erin', 'user.id': 'erin' });
  });

  it('strips query strings from url.path on any span and blanks captured Authorization headers', async () => {
    await send(`http://127.0.0.1:${port}/reset?token=s3cr3t`, { headers: { authorization: 'Basic cGFzcw==' } });
    const server = await tracing.serverSpan('/reset');
    expect(server.attributes['http.request.header.authorization']).toBe('REDACTED');
    const internal = tracing.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.INTERNAL && s.name === 'request');
    expect(internal.length).toBeGreaterThan(0);
    for (const s of tracing.exporter.getFinishedSpans()) expect(JSON.stringify(s.attributes)).not.toMatch(/s3cr3t|cGFzcw/);
  });
});
