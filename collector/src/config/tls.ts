import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { isMapping, kindOf } from './problems.js';

/** A certificate (chain) and its private key, as PEM contents. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

const KEYS = ['cert', 'key', 'certFile', 'keyFile'];

/**
 * Reads a TLS setting (`receive.tls`, `sql.tls`): each of the certificate and the key given as PEM contents (`cert`,
 * `key`) or as a file (`certFile`, `keyFile`; what `--tls-cert` / `--tls-key` set). Returns the PEM contents, checked
 * to make a usable TLS context, or null when the setting is unset; every problem is pushed, naming `at`.
 */
export function readTlsSetting(raw: unknown, at: string, problems: string[]): TlsMaterial | null {
  if (raw === null || raw === undefined) return null;
  if (!isMapping(raw)) {
    problems.push(`${at}: must be a mapping { cert, key } (PEM contents) or { certFile, keyFile } (got ${kindOf(raw)})`);
    return null;
  }
  const before = problems.length;
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) problems.push(`${at}.${k}: unknown setting (known: ${KEYS.join(', ')})`);
  const cert = pem(raw, 'cert', 'certificate', at, problems);
  const key = pem(raw, 'key', 'private key', at, problems);
  if (problems.length > before || cert === null || key === null) return null;
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    problems.push(`${at}: cannot use the certificate/key: ${(err as Error).message}`);
    return null;
  }
  return { cert, key };
}

function pem(raw: Record<string, unknown>, name: 'cert' | 'key', what: string, at: string, problems: string[]): string | null {
  const contents = raw[name];
  const file = raw[`${name}File`];
  const given = (v: unknown) => v !== undefined && v !== null;
  if (given(contents) && given(file)) {
    problems.push(`${at}: give ${name} (PEM contents) or ${name}File (a path), not both`);
    return null;
  }
  if (given(file)) {
    if (typeof file !== 'string' || !file) {
      problems.push(`${at}.${name}File: must be a file path (got ${kindOf(file)})`);
      return null;
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${at}.${name}File: cannot read the ${what} file ${file}: ${(err as Error).message}`);
      return null;
    }
  }
  if (typeof contents !== 'string' || !contents) {
    problems.push(`${at}: the ${what} is missing: set ${name} (PEM contents) or ${name}File (a path; --tls-${name} for receive.tls)`);
    return null;
  }
  if (!contents.includes('-----BEGIN')) {
    problems.push(`${at}.${name}: must be PEM contents ("-----BEGIN …"); for a file path use ${name}File`);
    return null;
  }
  return contents;
}
