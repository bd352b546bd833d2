/**
 * docker-compose.yml and the Dockerfiles, checked structurally (no Docker engine here): the services exist and
 * are wired to each other with matching ports, credentials and mounts, and every path they use exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateSqlConfig } from '../collector/src/serve/pg/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { build?: { context: string; dockerfile: string }; image?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[]; depends_on?: string[]; command?: string[] | string }>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** `${VAR:-default}` → default, as compose resolves it with VAR unset. */
const resolve = (v: string): string => v.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('runs the collector, Grafana OSS, the demo API and a traffic generator', () => {
    expect(Object.keys(services).sort()).toEqual(['collector', 'demo-api', 'grafana', 'traffic']);
    expect(services.grafana.image).toMatch(/^grafana\/grafana-oss:\d+\.\d+\.\d+$/);
    expect(services.grafana.ports).toContain('127.0.0.1:3000:3000');
  });

  it('builds images from Dockerfiles that exist, with every COPY source present', () => {
    for (const name of ['collector', 'demo-api']) {
      const build = services[name].build!;
      const dockerfile = join(ROOT, build.context, build.dockerfile);
      expect(existsSync(dockerfile), dockerfile).toBe(true);
      const text = readFileSync(dockerfile, 'utf8');
      expect(text).toMatch(/^FROM node:20/m);
      for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const src of m[1].split(/\s+/)) expect(existsSync(join(ROOT, build.context, src)), `${build.dockerfile}: COPY ${src}`).toBe(true);
      }
    }
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/node_modules/);
  });

  it('starts the demo API from its built entry point, instrumented, exporting to the collector', () => {
    const dockerfile = readFileSync(join(ROOT, 'packages/demo-api/Dockerfile'), 'utf8');
    expect(dockerfile).toContain('"--import", "@spyglass/instrumentation/register", "dist/start.js"');
    expect(existsSync(join(ROOT, 'packages/demo-api/src/start.ts'))).toBe(true);
    const env = services['demo-api'].environment!;
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://collector:${services.collector.environment!.SPYGLASS_OTLP_HTTP.split(':')[1]}`);
    expect(services['demo-api'].depends_on).toContain('collector');
  });

  it('has the collector serve SQL on the address Grafana uses, with the same credentials', () => {
    const collector = services.collector.environment!;
    const grafana = services.grafana.environment!;
    const sql = validateSqlConfig({ listen: collector.SPYGLASS_SQL, user: resolve(collector.SPYGLASS_SQL_USER), password: resolve(collector.SPYGLASS_SQL_PASSWORD) });
    expect(sql.listen).toBe('0.0.0.0:5433');
    expect(grafana.SPYGLASS_SQL_ADDRESS).toBe(`collector:${sql.listen.split(':')[1]}`);
    expect(resolve(grafana.SPYGLASS_SQL_USER)).toBe(sql.user);
    expect(resolve(grafana.SPYGLASS_SQL_PASSWORD)).toBe(sql.password);
    expect(sql.password.length).toBeGreaterThanOrEqual(12);
    const datasource = readFileSync(join(ROOT, 'grafana/provisioning/datasources/spyglass.yaml'), 'utf8');
    for (const v of ['SPYGLASS_SQL_ADDRESS', 'SPYGLASS_SQL_USER', 'SPYGLASS_SQL_PASSWORD']) expect(datasource).toContain(`\${${v}}`);
    expect(resolve(grafana.SPYGLASS_ALERT_WEBHOOK_URL)).toMatch(/^https?:\/\//);
  });

  it('mounts Grafana provisioning and dashboards from the repository, and keeps data in volumes', () => {
    for (const mount of services.grafana.volumes!) {
      const [src] = mount.split(':');
      if (src.startsWith('./')) expect(existsSync(join(ROOT, src)), mount).toBe(true);
      else expect(Object.keys(compose.volumes)).toContain(src);
    }
    expect(services.grafana.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(services.collector.volumes).toContain('collector-data:/data');
    expect(services.collector.environment!.SPYGLASS_DB).toMatch(/^\/data\//);
    const home = services.grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(existsSync(join(ROOT, 'grafana/dashboards', home.split('/').pop()!))).toBe(true);
  });

  it('generates traffic with the simulate command against the demo API on the network', () => {
    const traffic = services.traffic;
    expect(traffic.build).toEqual(services.collector.build);
    expect((traffic as { entrypoint?: string[] }).entrypoint).toEqual(['node', 'collector/bin/spyglass.js', 'simulate']);
    expect(readFileSync(join(ROOT, 'collector/src/cli/main.ts'), 'utf8')).toMatch(/registerSimulateCommand/);
    const args = traffic.command as string[];
    expect(args[args.indexOf('--target') + 1]).toBe(`http://demo-api:${services['demo-api'].environment!.PORT}`);
    expect(traffic.depends_on).toContain('demo-api');
    // the demo API must trust X-Forwarded-For from the compose network the simulator sends from
    const subnet = (parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { networks: { default: { ipam: { config: { subnet: string }[] } } } }).networks.default.ipam.config[0].subnet;
    expect(services['demo-api'].environment!.SPYGLASS_TRUSTED_PROXIES).toBe(subnet);
  });
});
