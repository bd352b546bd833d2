import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHttpInstrumentationConfig } from '../src/http-config.js';
import { setEventType, setUser } from '../src/identity.js';
import type { SpyglassOptions } from '../src/types.js';
import { send } from './util/http-client.js';
import { setupTracing } from './util/tracing.js';

const tracing = setupTracing();
let server: Server;
let port = 0;
const baseHookCalls: string[] = [];

const tick = () => new Promise((r) => setTimeout(r, 1));

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    await tick(); // identity is set after an async hop, as real auth middleware does
    if (path.startsWith('/as/')) setUser(decodeURIComponent(path.slice(4)));
    if (path === '/login') {
      if (req.headers['x-pass'] === 'ok') setUser('alice');
      res.statusCode = req.headers['x-pass'] === 'ok' ? 200 : 401;
    }
    if (path === '/email') {
      await Promise.resolve().then(() => setEventType('account_email_change'));
    }
    res.end('done');
  });
  await new Promise<void>((r) => server.listen(0, '::', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await tracing.provider.shutdown();
});

function use(options: SpyglassOptions, base = {}) {
  tracing.http.setConfig(securityHttpInstrumentationConfig(options, base));
}

const v4 = (path: string) => `http://127.0.0.1:${port}${path}`;
const v6 = (path: string) => `http://[::1]:${port}${path}`;

describe('securityHttpInstrumentationConfig()', () => {
  it('identifies an anonymous IPv4 client by its masked network', async () => {
    use({});
    await send(v4('/anon4'), { headers: { 'user-agent': 'test-agent/1' } });
    const span = await tracing.serverSpan('/anon4');
    expect(span.attributes).toMatchObject({
      'spyglass.identity': '127.0.0.*',
      'spyglass.identity.kind': 'network',
      'spyglass.event_type': 'page_view',
      'client.address': '127.0.0.1',
      'user_agent.original': 'test-agent/1',
    });
    expect(span.attributes['user.id']).toBeUndefined();
  });

  it('identifies an anonymous IPv6 client by its /64', async () => {
    use({});
    await send(v6('/anon6'));
    expect((await tracing.serverSpan('/anon6')).attributes).toMatchObject({ 'spyglass.identity': '::/64', 'spyglass.identity.kind': 'network' });
  });

  it('records the user set with setUser() after an async hop, as user.id and identity', async () => {
    use({});
    await send(v4('/as/bob'));
    expect((await tracing.serverSpan('/as/bob')).attributes).toMatchObject({
      'user.id': 'bob',
      'spyglass.identity': 'bob',
      'spyglass.identity.kind': 'user',
    });
  });

  it('classifies login success and failure with the default route rules', async () => {
    use({});
    await send(v4('/login'), { method: 'POST', headers: { 'x-pass': 'ok' } });
    expect((await tracing.serverSpan('/login')).attributes).toMatchObject({ 'spyglass.event_type': 'account_login', 'user.id': 'alice' });
    tracing.exporter.reset();
    await send(v4('/login'), { method: 'POST', headers: { 'x-pass': 'bad' } });
    const failed = await tracing.serverSpan('/login');
    expect(failed.attributes).toMatchObject({ 'spyglass.event_type': 'account_login_fail', 'http.response.status_code': 401 });
    expect(failed.attributes['user.id']).toBeUndefined();
  });

  it('lets setEventType() override the route rules', async () => {
    use({});
    await send(v4('/email'));
    expect((await tracing.serverSpan('/email')).attributes['spyglass.event_type']).toBe('account_email_change');
  });

  it('applies custom route rules before the defaults', async () => {
    use({ routeRules: [{ method: 'GET', path: '/reports/**', eventType: 'page_export' }] });
    await send(v4('/reports/2026/q3'));
    expect((await tracing.serverSpan('/reports/2026/q3')).attributes['spyglass.event_type']).toBe('page_export');
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    use({ trustedProxies: ['::1'] });
    await send(v6('/via-trusted'), { headers: { 'x-forwarded-for': '198.51.100.7' } });
    await send(v4('/via-untrusted'), { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect((await tracing.serverSpan('/via-trusted')).attributes).toMatchObject({
      'client.address': '198.51.100.7',
      'spyglass.identity': '198.51.100.*',
    });
    expect((await tracing.serverSpan('/via-untrusted')).attributes).toMatchObject({
      'client.address': '127.0.0.1',
      'spyglass.identity': '127.0.0.*',
    });
  });

  it('gives each request on one keep-alive connection its own identity', async () => {
    use({});
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const paths = ['/as/erin', '/keep-alive-anon', '/as/frank'];
    for (const path of paths) await send(v4(path), { agent });
    agent.destroy();
    const spans = await Promise.all(paths.map((p) => tracing.serverSpan(p)));
    expect(new Set(spans.map((s) => s.attributes['network.peer.port'])).size).toBe(1); // one connection
    expect(spans.map((s) => s.attributes['spyglass.identity'])).toEqual(['erin', '127.0.0.*', 'frank']);
    expect(spans.map((s) => s.attributes['spyglass.identity.kind'])).toEqual(['user', 'network', 'user']);
  });

  it('tells apart clients on different networks, each on its own keep-alive connection', async () => {
    use({});
    const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    for (let i = 0; i < 2; i++) {
      await send(v4(`/net4-${i}`), { agent: agents[0] });
      await send(v6(`/net6-${i}`), { agent: agents[1] });
    }
    agents.forEach((a) => a.destroy());
    for (let i = 0; i < 2; i++) {
      expect((await tracing.serverSpan(`/net4-${i}`)).attributes).toMatchObject({ 'client.address': '127.0.0.1', 'spyglass.identity': '127.0.0.*' });
      expect((await tracing.serverSpan(`/net6-${i}`)).attributes).toMatchObject({ 'client.address': '::1', 'spyglass.identity': '::/64' });
    }
  });

  it('resolves each request through a trusted proxy from its own headers, on one keep-alive connection', async () => {
    use({ trustedProxies: ['::1'] });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await send(v6('/proxied-1'), { agent, headers: { 'x-forwarded-for': '198.51.100.7' } });
    await send(v6('/proxied-2'), { agent, headers: { 'x-forwarded-for': '203.0.113.9' } });
    await send(v6('/proxied-3'), { agent });
    agent.destroy();
    const spans = await Promise.all(['/proxied-1', '/proxied-2', '/proxied-3'].map((p) => tracing.serverSpan(p)));
    expect(new Set(spans.map((s) => s.attributes['network.peer.port'])).size).toBe(1);
    expect(spans.map((s) => s.attributes['client.address'])).toEqual(['198.51.100.7', '203.0.113.9', '::1']);
    expect(spans.map((s) => s.attributes['spyglass.identity'])).toEqual(['198.51.100.*', '203.0.113.*', '::/64']);
  });

  it('takes the user from the gateway header only when the peer is a trusted proxy', async () => {
    use({ userHeader: 'X-Auth-User', trustedProxies: ['::1'] });
    await send(v6('/gw-trusted'), { headers: { 'x-auth-user': 'carol' } });
    await send(v4('/gw-spoofed'), { headers: { 'x-auth-user': 'carol' } });
    expect((await tracing.serverSpan('/gw-trusted')).attributes).toMatchObject({ 'spyglass.identity': 'carol', 'user.id': 'carol' });
    expect((await tracing.serverSpan('/gw-spoofed')).attributes).toMatchObject({ 'spyglass.identity': '127.0.0.*', 'spyglass.identity.kind': 'network' });
  });

  it('uses identify(request) when the app did not call setUser()', async () => {
    use({ identify: (req) => (req.headers['x-session'] === 's1' ? 'dave' : undefined) });
    await send(v4('/identified'), { headers: { 'x-session': 's1' } });
    expect((await tracing.serverSpan('/identified')).attributes['user.id']).toBe('dave');
    tracing.exporter.reset();
    use({ identify: () => { throw new Error('boom'); } });
    await send(v4('/identified'));
    expect((await tracing.serverSpan('/identified')).attributes['spyglass.identity.kind']).toBe('network');
  });

  it('redacts secret query parameters (any case) and referer secrets', async () => {
    use({});
    await send(v4('/search?q=shoes&Token=s3cr3t&password=hunter2&sig=abc'), { headers: { referer: 'https://shop.example/r?api_key=k3y&page=2' } });
    const span = await tracing.serverSpan('/search');
    expect(span.attributes['url.query']).toBe('q=shoes&Token=REDACTED&password=REDACTED&sig=REDACTED');
    expect(span.attributes['http.request.header.referer']).toEqual(['https://shop.example/r?api_key=REDACTED&page=2']);
    expect(JSON.stringify(span.attributes)).not.toMatch(/s3cr3t|hunter2|k3y/);
  });

  it('never captures Authorization or cookies even if the base config asks, and still runs the base hooks', async () => {
    use(
      {},
      {
        headersToSpanAttributes: { server: { requestHeaders: ['authorization', 'Cookie', 'x-request-id'] } },
        startIncomingSpanHook: () => ({ 'app.tenant': 'acme' }),
        applyCustomAttributesOnSpan: () => baseHookCalls.push('apply'),
      },
    );
    await send(v4('/private'), { headers: { authorization: 'Bearer t0ken', cookie: 'sid=c00kie', 'x-request-id': 'r1' } });
    const span = await tracing.serverSpan('/private');
    expect(span.attributes['http.request.header.x-request-id']).toEqual(['r1']);
    expect(span.attributes['app.tenant']).toBe('acme');
    expect(baseHookCalls).toContain('apply');
    expect(JSON.stringify(span.attributes)).not.toMatch(/t0ken|c00kie/);
  });

  it('rejects invalid options at construction with the option name', () => {
    expect(() => securityHttpInstrumentationConfig({ trustedProxies: ['nope'] })).toThrow(/^trustedProxies: /);
  });
});

describe('setUser() / setEventType()', () => {
  it('return false outside a traced request', () => {
    expect(setUser('x')).toBe(false);
    expect(setEventType('page_view')).toBe(false);
  });

  it('ignore an empty or missing username, so setUser(req.user?.name) is safe', async () => {
    use({});
    await send(v4('/as/%20'));
    expect((await tracing.serverSpan('/as/%20')).attributes['spyglass.identity.kind']).toBe('network');
    expect(setUser(undefined)).toBe(false);
  });
});
