import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromFlags } from '../../src/cli/collector-command.js';
import { createDefaultConfig } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { validateSqlConfig } from '../../src/serve/pg/config.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('receive.tls', () => {
  it('is off by default', () => {
    expect(validateConfig(createDefaultConfig()).receive.tls).toBeNull();
  });

  it('accepts a PEM certificate and key that belong together, as contents or files, and names the key otherwise', () => {
    const keyFile = join(tmp.dir, 'k.pem');
    const certFile = join(tmp.dir, 'c.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    const valid = (t: unknown) => validateConfig(loadConfig({ overrides: { receive: { tls: t as never } } })).receive.tls;
    expect(valid(tls)).toEqual(tls);
    expect(valid({ certFile, keyFile })).toEqual(tls);
    expect(valid({ cert: tls.cert, keyFile })).toEqual(tls);
    expect(validateSqlConfig({ tls: { certFile, keyFile } }).tls).toEqual(tls);

    const bad = (t: unknown) => () => valid(t);
    expect(bad({ cert: tls.cert })).toThrow(/receive\.tls: the private key is missing: set key \(PEM contents\) or keyFile/);
    expect(bad({ cert: 'cert.pem', key: 'key.pem' })).toThrow(/receive\.tls\.cert: must be PEM contents .*for a file path use certFile/);
    expect(bad({ cert: tls.key, key: tls.cert })).toThrow(/receive\.tls: cannot use the certificate\/key/);
    expect(bad({ ...tls, keyFile })).toThrow(/receive\.tls: give key \(PEM contents\) or keyFile \(a path\), not both/);
    expect(bad({ certFile, keyFile: join(tmp.dir, 'nope.pem') })).toThrow(/receive\.tls\.keyFile: cannot read the private key file .*nope\.pem: ENOENT/);
    expect(bad({ certFile: 7, keyFile })).toThrow(/receive\.tls\.certFile: must be a file path \(got a number\)/);
    expect(bad({ ...tls, ca: 'x' })).toThrow(/receive\.tls\.ca: unknown setting/);
    expect(() => validateSqlConfig({ tls: { certFile: join(tmp.dir, 'gone.pem'), keyFile } })).toThrow(/sql\.tls\.certFile: cannot read the certificate file .*gone\.pem/);
  });

  it('lists an unreadable file with the other mistakes of the config', () => {
    let message = '';
    try {
      validateConfig(loadConfig({ overrides: { receive: { tls: { certFile: join(tmp.dir, 'none.crt'), keyFile: join(tmp.dir, 'none.key') } as never }, log: { level: 'loud' as never } } }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n  - ').slice(1)).toEqual([
      expect.stringMatching(/^receive\.tls\.certFile: cannot read the certificate file .*none\.crt/),
      expect.stringMatching(/^receive\.tls\.keyFile: cannot read the private key file .*none\.key/),
      expect.stringMatching(/^log\.level: must be one of/),
    ]);
  });

  it('--tls-cert / --tls-key replace the half a config file gives, and only that half', () => {
    const make = (name: string) => {
      const keyFile = join(tmp.dir, `${name}.key`);
      const certFile = join(tmp.dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    };
    const inFile = make('in-file');
    const fromFlags = make('from-flags');
    const config = join(tmp.dir, 'tls.yaml');
    writeFileSync(config, `receive:\n  tls:\n    cert: ${JSON.stringify(inFile.cert)}\n    key: ${JSON.stringify(inFile.key)}\n`);
    const tlsOf = (flags: Record<string, string>) => validateConfig(configFromFlags({ config, ...flags }, {}) as never).receive.tls;
    expect(tlsOf({})).toEqual({ cert: inFile.cert, key: inFile.key });
    expect(tlsOf({ tlsCert: fromFlags.certFile, tlsKey: fromFlags.keyFile })).toEqual({ cert: fromFlags.cert, key: fromFlags.key });
    expect(() => tlsOf({ tlsCert: fromFlags.certFile })).toThrow(/receive\.tls: cannot use the certificate\/key/); // the file's key is not this certificate's
    expect(validateConfig(configFromFlags({ tlsKey: inFile.keyFile }, { SPYGLASS_TLS_CERT: inFile.certFile }) as never).receive.tls).toEqual({ cert: inFile.cert, key: inFile.key });
  });
});
