import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { parseListenAddress } from '../../src/config/address.js';
import { createDefaultConfig } from '../../src/config/defaults.js';
import { builtinExtensions } from '../../src/extensions.js';
import { openDatabase } from '../../src/store/database.js';
import { SPYGLASS_BIN } from '../../../test/helpers/child.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function file(name: string, text: string): string {
  const p = join(tmp.dir, name);
  writeFileSync(p, text);
  return p;
}

function problemsOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

const validators = Object.fromEntries(builtinExtensions().flatMap((e) => (e.section && e.validate ? [[e.section, e.validate]] : [])));

/** A config with mistakes of every kind: sections of the wrong type, and names of presets, rules and files that do not exist. */
function mistakesFile(): string {
  const rules = join(tmp.dir, 'user-rules', 'my-rule');
  mkdirSync(rules, { recursive: true });
  writeFileSync(join(rules, 'rule.yaml'), 'id: my-rule\nname: mine\ndescription: d\nsource: test\nweight: high\nkind: event\nfilter: {http_method: HEAD}\n');
  return file(
    'mistakes.yaml',
    [
      'receive: "127.0.0.1:0"',
      'store: 5',
      'events:',
      '  routeRules: { path: /login }',
      'log:',
      '  level: loud',
      'rules:',
      '  preset: nope',
      `  files: [${JSON.stringify(join(tmp.dir, 'user-rules'))}]`,
      '  enable: [my-rule]',
      '  disable: [no-such-rule]',
      'enrichment:',
      '  lists:',
      '    - { name: tor, type: tor, file: /nonexistent.txt }',
      'sql: [127.0.0.1:5433]',
      '',
    ].join('\n'),
  );
}

const MISTAKES = [
  /receive: must be a mapping \(got a string\)/,
  /store: must be a mapping \(got a number\)/,
  /events\.routeRules: must be a list \(got a mapping\)/,
  /log\.level: must be one of/,
  /rules\.preset: unknown preset "nope" \(known: .*api_protection, .*empty, /,
  /rules\.disable\[0\]: unknown rule id "no-such-rule"/,
  /enrichment\.lists\[0\]\.file: cannot read \/nonexistent\.txt/,
  /sql: must be a mapping \(got a list\)/,
];

describe('config', () => {
  it('defaults to loopback listeners and ./data/spyglass.duckdb', () => {
    const c = validateConfig(createDefaultConfig());
    expect(c.db).toBe('./data/spyglass.duckdb');
    expect(c.receive).toMatchObject({ http: '127.0.0.1:4318', grpc: '127.0.0.1:4317', token: null });
    expect(Object.isFrozen(c.receive)).toBe(true);
  });

  it('layers file ← env ← flags', () => {
    const f = file('layers.yaml', 'db: /from/file.duckdb\nreceive:\n  http: 127.0.0.1:9000\n  grpc: "off"\nlog:\n  level: warn\n');
    const c = loadConfig({
      file: f,
      env: { SPYGLASS_OTLP_HTTP: '127.0.0.1:9001', SPYGLASS_TOKEN: 'env-token-123' },
      overrides: { db: '/from/flag.duckdb' },
    });
    expect(c.db).toBe('/from/flag.duckdb');
    expect(c.receive).toMatchObject({ http: '127.0.0.1:9001', grpc: 'off', token: 'env-token-123' });
    expect(c.log.level).toBe('warn');
    expect(() => validateConfig(c)).not.toThrow();
  });

  it('reports every problem at once, naming each key', () => {
    const f = file(
      'bad.yaml',
      'dbb: x\nreceive:\n  http: localhost\n  grpc: "off"\n  token: short\n  grpcIdleSeconds: 0\n  grpcKeepaliveSeconds: soon\n  decodeThread: maybe\nstore:\n  maxQueuedEvents: -1\n  checkpointThreshold: lots\n  threads: 0\nevents:\n  routeRules:\n    - { path: nope, eventType: x }\nlog:\n  level: loud\n',
    );
    let message = '';
    try {
      validateConfig(loadConfig({ file: f }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/dbb: unknown setting/);
    expect(message).toMatch(/receive\.http: "localhost" is not a listen address/);
    expect(message).toMatch(/receive\.token: must be a string of at least 8 characters/);
    expect(message).toMatch(/receive\.grpcIdleSeconds: must be a positive integer/);
    expect(message).toMatch(/receive\.grpcKeepaliveSeconds: must be a positive integer/);
    expect(message).toMatch(/store\.maxQueuedEvents: must be a positive integer/);
    expect(message).toMatch(/store\.threads: must be a positive integer/);
    expect(message).toMatch(/store\.checkpointThreshold: must be a size like "64MB" or "2GB" \(got "lots"\)/);
    expect(message).toMatch(/receive\.decodeThread: must be true or false \(got "maybe"\)/);
    expect(message).toMatch(/events\.routeRules: route rule 0: path must be a string starting with "\/"/);
    expect(message).toMatch(/log\.level: must be one of/);
  });

  it('lists every mistake by its key, wrong section types and unknown presets, rule ids and files included', () => {
    // The flags set receive and sql too: a mapping given later does not hide the file's mistake.
    const message = problemsOf(() =>
      validateConfig(loadConfig({ file: mistakesFile(), overrides: { receive: { http: '127.0.0.1:0' }, sql: { listen: 'off' } } }), validators),
    );
    for (const mistake of MISTAKES) expect(message).toMatch(mistake);
    expect(message.split('\n  - ').slice(1)).toHaveLength(MISTAKES.length); // nothing under a wrong section, nothing else
    expect(message).not.toMatch(/my-rule|undefined/);
  });

  it('reports a list or a scalar where a mapping belongs once, and a mapping where a list belongs', () => {
    const message = problemsOf(() =>
      validateConfig(loadConfig({ overrides: { receive: { tls: ['cert'] }, log: 'debug', events: { routeRules: 'x' }, rules: 'on' } as never }), validators),
    );
    expect(message.split('\n  - ').slice(1)).toEqual([
      'receive.tls: must be a mapping { cert, key } (PEM contents) or { certFile, keyFile } (got a list)',
      'events.routeRules: must be a list (got a string)',
      'log: must be a mapping (got a string)',
      'rules: must be a mapping (got a string)',
    ]);
  });

  it('lists every mistake inside the retention and sql sections, not only the first', () => {
    const message = problemsOf(() =>
      validateConfig(
        loadConfig({ overrides: { retention: { intervalSeconds: 0, days: -1, dayz: 3 }, sql: { user: '', authMethod: 'plain', maxConnections: 0, colour: 1 } } as never }),
        validators,
      ),
    );
    for (const key of ['retention.dayz', 'retention.days', 'retention.intervalSeconds', 'sql.colour', 'sql.user', 'sql.authMethod', 'sql.maxConnections']) {
      expect(message).toContain(`\n  - ${key}`);
    }
  });

  it('an empty section takes its defaults', () => {
    expect(validateConfig(loadConfig({ file: file('empty-sections.yaml', 'receive:\nstore:\nrules:\n') }), validators).receive.http).toBe('127.0.0.1:4318');
  });

  it('collector --config with every mistake: exit 2, each named by its key, before the database is created', async () => {
    const dir = join(tmp.dir, 'e2e');
    mkdirSync(dir);
    const args = ['collector', '--config', mistakesFile(), '--db', join(dir, 'x.duckdb'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', 'off', '--sql', 'off'];
    const r = await promisify(execFile)(process.execPath, [SPYGLASS_BIN, ...args], { timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SPY_ERR_CONFIG_INVALID/);
    for (const mistake of MISTAKES) expect(r.stderr).toMatch(mistake);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('opens the database with the store settings (memory limit, checkpoint threshold, threads)', async () => {
    const instance = await openDatabase(join(tmp.dir, 'settings.duckdb'), { memoryLimit: '256MB', checkpointThreshold: '48MB', threads: 3 });
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll("SELECT current_setting('checkpoint_threshold') AS c, current_setting('memory_limit') AS m, current_setting('threads')::INTEGER AS t")).getRowObjectsJS();
    conn.closeSync();
    instance.closeSync();
    expect(rows[0].c).toMatch(/^4[5-8]\.\d+ MiB$/); // DuckDB shows 48MB as 45.7 MiB
    expect(rows[0].m).toMatch(/^2[34]\d\.\d+ MiB$/);
    expect(rows[0].t).toBe(3);
    expect(createDefaultConfig().store.checkpointThreshold).toBe('64MB');
    expect(createDefaultConfig().store.threads).toBe(Math.max(1, availableParallelism() - 1));
  });

  it('says clearly when the file is missing or not YAML', () => {
    expect(() => loadConfig({ file: join(tmp.dir, 'missing.yaml') })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: file('broken.yaml', 'a: [1, 2\n') })).toThrow(/not valid YAML/);
    expect(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n') })).toThrow(/must be a YAML mapping/);
  });

  it('refuses to turn both listeners off', () => {
    const c = loadConfig({ overrides: { receive: { http: 'off', grpc: 'off' } } });
    expect(() => validateConfig(c)).toThrow(/at least one of receive\.http and receive\.grpc/);
  });

  describe('parseListenAddress()', () => {
    it.each([
      ['127.0.0.1:4318', { host: '127.0.0.1', port: 4318 }],
      ['[::1]:0', { host: '::1', port: 0 }],
      [':4317', { host: '127.0.0.1', port: 4317 }],
      ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ])('%s', (s, want) => expect(parseListenAddress(s, 'k')).toEqual(want));

    it.each([['4318'], ['host:99999'], ['::1:4318'], ['']])('rejects %j', (s) => expect(() => parseListenAddress(s, 'k')).toThrow(/k: /));
  });
});
