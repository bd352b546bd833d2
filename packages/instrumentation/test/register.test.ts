import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function run(flag: '--import' | '--require', env: Record<string, string>) {
  return spawnSync(process.execPath, [flag, '@spyglass/instrumentation/register', '-e', 'console.log("app ran")'], {
    cwd: root,
    env: { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('@spyglass/instrumentation/register', () => {
  it('starts without configuration under --import and --require and lets the app run', () => {
    for (const flag of ['--import', '--require'] as const) {
      const result = run(flag, {});
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('app ran\n');
      expect(result.status).toBe(0);
    }
  });

  it('stops at start-up with a message naming the bad variable', () => {
    const result = run('--import', { SPYGLASS_TRUSTED_PROXIES: '10.0.0.0/8,not-a-proxy' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^\[spyglass\] invalid configuration: SPYGLASS_TRUSTED_PROXIES: "not-a-proxy" is not an IP address or CIDR range/);
  });

  it('names SPYGLASS_FASTIFY_INSTRUMENTATION when it is neither route nor otel', () => {
    const result = run('--import', { SPYGLASS_FASTIFY_INSTRUMENTATION: 'on' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^\[spyglass\] invalid configuration: SPYGLASS_FASTIFY_INSTRUMENTATION: "on" is not one of "route", "otel"/);
  });

  it('refuses an unsupported exporter protocol instead of silently sending nowhere', () => {
    const result = run('--require', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported/);
  });
});
