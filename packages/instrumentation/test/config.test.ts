import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSpyglassConfig } from '../src/config.js';
import { SpyglassConfigError } from '../src/config-error.js';
import { spyglassOptionsFromEnv } from '../src/env-options.js';
import { DEFAULT_OTLP_TRACES_URL, exporterOptionsFromEnv } from '../src/exporter-options.js';

const dir = mkdtempSync(join(tmpdir(), 'spyglass-inst-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): SpyglassConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpyglassConfigError) return err;
    throw err;
  }
  throw new Error('expected a SpyglassConfigError');
}

describe('resolveSpyglassConfig()', () => {
  it('applies defaults: no trusted proxy, default redaction list plus OpenTelemetry list, default route rules', () => {
    const cfg = resolveSpyglassConfig();
    expect(cfg.isTrustedProxy('127.0.0.1')).toBe(false);
    expect(cfg.redactQueryParams.has('token')).toBe(true);
    expect(cfg.redactQueryParams.has('x-amz-signature')).toBe(true);
    expect(cfg.classifier.classify({ method: 'POST', route: '/login', statusCode: 200 })).toBe('account_login');
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('puts custom route rules before the defaults, and can drop the defaults', () => {
    const routeRules = [{ method: 'POST', path: '/login', eventType: 'custom_login' }];
    expect(resolveSpyglassConfig({ routeRules }).classifier.classify({ method: 'POST', route: '/login', statusCode: 200 })).toBe('custom_login');
    const only = resolveSpyglassConfig({ routeRules: [], defaultRouteRules: false });
    expect(only.classifier.classify({ method: 'POST', route: '/login', statusCode: 200 })).toBeUndefined();
  });

  it('names the option in every error', () => {
    expect(errorOf(() => resolveSpyglassConfig({ trustedProxies: ['10.0.0.0/33'] })).key).toBe('trustedProxies');
    expect(errorOf(() => resolveSpyglassConfig({ routeRules: [{ path: 'login', eventType: 'x' }] })).key).toBe('routeRules');
    expect(errorOf(() => resolveSpyglassConfig({ redactQueryParams: [''] })).key).toBe('redactQueryParams');
    expect(errorOf(() => resolveSpyglassConfig({ userHeader: 'bad header' })).key).toBe('userHeader');
    expect(errorOf(() => resolveSpyglassConfig({ trustedProx: [] } as never)).message).toMatch(/trustedProx: unknown option/);
  });

  it("uses Spyglass's fastify route hook unless @fastify/otel is asked for, and refuses other values", () => {
    expect(resolveSpyglassConfig().fastifyInstrumentation).toBe('route');
    expect(resolveSpyglassConfig({ fastifyInstrumentation: 'otel' }).fastifyInstrumentation).toBe('otel');
    const err = errorOf(() => resolveSpyglassConfig({ fastifyInstrumentation: 'fastify-otel' as never }));
    expect(err.key).toBe('fastifyInstrumentation');
    expect(err.message).toMatch(/"fastify-otel" is not one of "route", "otel"/);
    expect(spyglassOptionsFromEnv({ SPYGLASS_FASTIFY_INSTRUMENTATION: ' otel ' }).fastifyInstrumentation).toBe('otel');
    expect(spyglassOptionsFromEnv({ SPYGLASS_FASTIFY_INSTRUMENTATION: '' }).fastifyInstrumentation).toBeUndefined();
  });

  it('refuses a user header without trusted proxies, and the cookie or authorization header', () => {
    expect(errorOf(() => resolveSpyglassConfig({ userHeader: 'x-user' })).message).toMatch(/needs trustedProxies/);
    expect(errorOf(() => resolveSpyglassConfig({ userHeader: 'Authorization', trustedProxies: ['::1'] })).message).toMatch(/cannot carry/);
    expect(resolveSpyglassConfig({ userHeader: 'X-User', trustedProxies: ['::1'] }).userHeader).toBe('x-user');
  });
});

describe('spyglassOptionsFromEnv()', () => {
  it('reads comma-separated lists, so the demo can trust 127.0.0.1/8 and ::1', () => {
    const options = spyglassOptionsFromEnv({ SPYGLASS_TRUSTED_PROXIES: '127.0.0.1/8, ::1', SPYGLASS_REDACT_QUERY_PARAMS: 'otp,pin' });
    expect(options).toEqual({ trustedProxies: ['127.0.0.1/8', '::1'], redactQueryParams: ['otp', 'pin'] });
    const cfg = resolveSpyglassConfig(options);
    expect(cfg.isTrustedProxy('127.3.4.5')).toBe(true);
    expect(cfg.isTrustedProxy('::1')).toBe(true);
    expect(cfg.redactQueryParams.has('otp')).toBe(true);
    expect(cfg.redactQueryParams.has('token')).toBe(false);
  });

  it('loads route rules from a YAML list, a JSON object, or a collector config file', () => {
    const yamlPath = file('rules.yaml', '- method: POST\n  path: /api/session\n  status: 2xx\n  eventType: account_login\n');
    expect(spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: yamlPath }).routeRules).toEqual([
      { method: 'POST', path: '/api/session', status: '2xx', eventType: 'account_login' },
    ]);
    const jsonPath = file('rules.json', JSON.stringify({ routeRules: [{ path: '/a', eventType: 'x' }] }));
    expect(spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: jsonPath }).routeRules).toEqual([{ path: '/a', eventType: 'x' }]);
    const collectorPath = file('spyglass.yaml', 'db: x.duckdb\nevents:\n  routeRules:\n    - path: /b\n      eventType: y\n');
    expect(spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: collectorPath }).routeRules).toEqual([{ path: '/b', eventType: 'y' }]);
  });

  it('names the variable when the rules file is missing or malformed', () => {
    expect(errorOf(() => spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: join(dir, 'nope.yaml') })).message).toMatch(/^SPYGLASS_ROUTE_RULES: cannot read/);
    const bad = file('bad.yaml', 'a: [1, 2\n');
    expect(errorOf(() => spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: bad })).message).toMatch(/not valid YAML or JSON/);
    const wrongShape = file('shape.yaml', 'rules: 3\n');
    expect(errorOf(() => spyglassOptionsFromEnv({ SPYGLASS_ROUTE_RULES: wrongShape })).message).toMatch(/must hold a list of route rules/);
    expect(errorOf(() => spyglassOptionsFromEnv({ SPYGLASS_DEFAULT_ROUTE_RULES: 'maybe' })).key).toBe('SPYGLASS_DEFAULT_ROUTE_RULES');
  });
});

describe('exporterOptionsFromEnv()', () => {
  it('defaults to a collector on 127.0.0.1:4318 and leaves an explicit endpoint to the exporter', () => {
    expect(exporterOptionsFromEnv({})).toEqual({ url: DEFAULT_OTLP_TRACES_URL });
    expect(exporterOptionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({});
    expect(exporterOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' })).toEqual({});
  });

  it('rejects protocols and exporters the register entry does not ship', () => {
    expect(errorOf(() => exporterOptionsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).key).toBe('OTEL_EXPORTER_OTLP_PROTOCOL');
    expect(errorOf(() => exporterOptionsFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).key).toBe('OTEL_TRACES_EXPORTER');
  });
});
