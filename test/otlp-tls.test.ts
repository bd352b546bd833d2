/**
 * receive.tls: both OTLP listeners speak TLS only, with a self-signed certificate made by openssl for this test.
 * The official exporters (protobuf over HTTPS, gRPC over TLS) deliver when they trust the certificate; plaintext
 * clients and clients that do not trust it get nothing through.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../collector/src/index.js';
import type { Collector } from '../collector/src/index.js';
import { killCollector, SPYGLASS_BIN, startCollectorProcess, waitForExit } from './helpers/child.js';
import { createProvider, recordSpans } from './helpers/otel.js';
import { tempDir } from './helpers/temp.js';

const tmp = tempDir('spyglass-tls-');
let cert: string;
let key: string;
let collector: Collector;

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

async function count(path: string): Promise<number> {
  const [row] = await collector.query('SELECT count(*)::INTEGER AS n FROM events WHERE url_path = $1', [path]);
  return row.n as number;
}

function span(path: string) {
  return { attributes: { 'http.request.method': 'GET', 'url.path': path, 'http.response.status_code': 200, 'client.address': '192.0.2.44' } };
}

beforeAll(async () => {
  ({ cert, key } = selfSigned(tmp.dir, 'server'));
  collector = await createCollector({
    db: join(tmp.dir, 'tls.duckdb'),
    receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0', tls: { cert, key } },
    sql: { listen: '127.0.0.1:0' },
    log: { level: 'silent' },
  });
});

afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

describe('OTLP over TLS (receive.tls)', () => {
  it('serves HTTPS: the official protobuf exporter delivers when it trusts the certificate', async () => {
    expect(collector.addresses.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const exporter = new ProtoExporter({ url: `${collector.addresses.http}/v1/traces`, httpAgentOptions: { ca: cert } });
    const provider = createProvider(exporter);
    recordSpans(provider, [span('/tls/http'), span('/tls/http')]);
    await provider.forceFlush();
    await provider.shutdown();
    expect(await count('/tls/http')).toBe(2);
  });

  it('serves gRPC over TLS: the official gRPC exporter delivers with TLS credentials', async () => {
    const exporter = new GrpcExporter({ url: `https://${collector.addresses.grpc}`, credentials: grpc.credentials.createSsl(Buffer.from(cert)) });
    const provider = createProvider(exporter);
    recordSpans(provider, [span('/tls/grpc')]);
    await provider.forceFlush();
    await provider.shutdown();
    expect(await count('/tls/grpc')).toBe(1);
  });

  it('refuses plaintext HTTP and clients that do not trust the certificate', async () => {
    const plain = collector.addresses.http!.replace('https://', 'http://');
    await expect(fetch(`${plain}/healthz`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    const untrusted = await new Promise<string>((resolve) => {
      const req = request(`${collector.addresses.http}/healthz`, { timeout: 5000 }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end();
    });
    expect(untrusted).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const trusted = await new Promise<number | undefined>((resolve, reject) => {
      request(`${collector.addresses.http}/healthz`, { ca: cert }, (res) => resolve(res.statusCode)).on('error', reject).end();
    });
    expect(trusted).toBe(200);
  });

  it('refuses gRPC without TLS', async () => {
    const client = new grpc.Client(collector.addresses.grpc!, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => {
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 5000 },
        (err) => resolve(err?.code ?? 0),
      );
    });
    client.close();
    expect(code).not.toBe(grpc.status.OK);
    expect(await count('/tls/grpc')).toBe(1);
  });

  it('names receive.tls when the certificate or key is unusable', async () => {
    const other = selfSigned(tmp.dir, 'other');
    for (const tls of [{ cert, key: other.key }, { cert: '/etc/ssl/cert.pem', key: '/etc/ssl/key.pem' }, { cert }, { certFile: join(tmp.dir, 'absent.crt'), key }]) {
      await expect(
        createCollector({ db: join(tmp.dir, 'bad.duckdb'), receive: { http: '127.0.0.1:0', grpc: '127.0.0.1:0', tls: tls as never }, sql: { listen: '127.0.0.1:0' }, log: { level: 'silent' } }),
      ).rejects.toThrow(/receive\.tls(: cannot use the certificate\/key|\.cert: must be PEM contents|: the private key is missing|\.certFile: cannot read the certificate file)/);
    }
  });

  it('collector --tls-cert/--tls-key (or SPYGLASS_TLS_CERT/KEY) read PEM files; a missing half or file is a config error', async () => {
    const certFile = join(tmp.dir, 'server.crt');
    const keyFile = join(tmp.dir, 'server.key');
    const c = await startCollectorProcess(['--db', join(tmp.dir, 'cli.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off', '--tls-cert', certFile, '--tls-key', keyFile]);
    try {
      expect(c.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request(`${c.http}/healthz`, { ca: cert }, (res) => resolve(res.statusCode)).on('error', reject).end();
      });
      expect(status).toBe(200);
      c.child.kill('SIGTERM');
      expect((await waitForExit(c.child)).code).toBe(0);
    } finally {
      await killCollector(c);
    }

    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      promisify(execFile)(process.execPath, [SPYGLASS_BIN, 'collector', '--db', join(tmp.dir, 'cli-bad.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off', ...args], {
        env: { ...process.env, ...env },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const half = await cli(['--tls-cert', certFile]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/receive\.tls: the private key is missing: set key \(PEM contents\) or keyFile \(a path; --tls-key/);
    // an unreadable file is one line of the config's problem list, with the others
    const missing = await cli(['--log-level', 'loud'], { SPYGLASS_TLS_CERT: certFile, SPYGLASS_TLS_KEY: join(tmp.dir, 'nope.key') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/- receive\.tls\.keyFile: cannot read the private key file .*nope\.key[^]*- log\.level: must be one of/);
    const swapped = await cli(['--tls-cert', keyFile, '--tls-key', certFile]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/receive\.tls: cannot use the certificate\/key/);
  });
});
