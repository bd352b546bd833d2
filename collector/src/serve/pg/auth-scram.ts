/**
 * Server side of SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL uses it: no channel binding advertised,
 * username taken from the startup message (the SCRAM "n=" attribute is ignored, as PostgreSQL does).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** What the server keeps instead of the password (computed once per server). */
export interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function makeScramVerifier(password: string): ScramVerifier {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  return {
    salt,
    iterations: ITERATIONS,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0], part.slice(2));
  }
  return out;
}

/** One SCRAM exchange. Methods throw an Error with a client-safe message on malformed input. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';

  constructor(private readonly verifier: ScramVerifier) {}

  /** Handles SASLInitialResponse data; returns the server-first-message. */
  start(mechanism: string, clientFirst: string): string {
    if (mechanism !== SCRAM_MECHANISM) throw new Error(`unsupported SASL mechanism ${mechanism}`);
    // gs2-header: "n,," (no channel binding) or "y,," (client could, server did not offer); "p=" is refused.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(clientFirst);
    if (!m) throw new Error('malformed SCRAM client-first-message');
    this.gs2Header = clientFirst.slice(0, clientFirst.length - m[3].length);
    this.clientFirstBare = m[3];
    const clientNonce = attributes(this.clientFirstBare).get('r');
    if (!clientNonce) throw new Error('SCRAM client-first-message has no nonce');
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** Handles SASLResponse data; returns the server-final-message, or null when the proof is wrong. */
  finish(clientFinal: string): string | null {
    const attrs = attributes(clientFinal);
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0 || !attrs.get('p')) throw new Error('SCRAM client-final-message has no proof');
    if (attrs.get('c') !== Buffer.from(this.gs2Header).toString('base64')) throw new Error('SCRAM channel binding mismatch');
    if (attrs.get('r') !== this.nonce) throw new Error('SCRAM nonce mismatch');
    const withoutProof = clientFinal.slice(0, proofAt);
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(attrs.get('p')!, 'base64');
    const signature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== signature.length) return null;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.verifier.storedKey)) return null;
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}
