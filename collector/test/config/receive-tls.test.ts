import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDefaultConfig } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { tempDir } from '../../../test/helpers/temp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('receive.tls', () => {
  it('is off by default', () => {
    expect(validateConfig(createDefaultConfig()).receive.tls).toBeNull();
  });

  it('accepts a PEM certificate and key that belong together, and names the key otherwise', () => {
    const keyFile = join(tmp.dir, 'k.pem');
    const certFile = join(tmp.dir, 'c.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    expect(validateConfig(loadConfig({ overrides: { receive: { tls } } })).receive.tls).toEqual(tls);

    const bad = (t: unknown) => () => validateConfig(loadConfig({ overrides: { receive: { tls: t as never } } }));
    expect(bad({ cert: tls.cert })).toThrow(/receive\.tls: expected \{ cert, key \} with PEM contents/);
    expect(bad({ cert: 'cert.pem', key: 'key.pem' })).toThrow(/receive\.tls: cannot use the certificate\/key/);
    expect(bad({ ...tls, ca: 'x' })).toThrow(/receive\.tls\.ca: unknown setting/);
  });
});
