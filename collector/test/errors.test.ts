import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_DEFS, GRPC, SpyglassError } from '../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('errors.ts', () => {
  it('documents every error code in docs/errors.md, and no code that does not exist', () => {
    const documented = new Set([...doc.matchAll(/`(SPY_ERR_[A-Z_]+)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_DEFS).sort());
  });

  it('documents each code with the HTTP status, gRPC code and retry the code gives it', () => {
    const grpcName = new Map(Object.entries(GRPC).map(([name, n]) => [n, name]));
    const rows = [...doc.matchAll(/^\| `(SPY_ERR_[A-Z_]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual(Object.keys(ERROR_DEFS).sort());
    for (const [, code, http, grpc, retry] of rows) {
      const def = ERROR_DEFS[code as keyof typeof ERROR_DEFS];
      expect(http.trim(), code).toBe(String(def.http));
      expect(grpc.trim().split(' ')[0], code).toBe(grpcName.get(def.grpc));
      expect(retry.trim(), code).toBe(def.retryable ? 'yes' : 'no');
    }
  });

  it('gives retryable errors a retry delay and permanent ones none', () => {
    expect(new SpyglassError('SPY_ERR_STORE_OVERLOADED').retryAfterSeconds).toBe(1);
    expect(new SpyglassError('SPY_ERR_DECODE_JSON', 'x').retryAfterSeconds).toBeUndefined();
    for (const def of Object.values(ERROR_DEFS)) {
      if (def.retryable) expect([429, 502, 503, 504]).toContain(def.http);
      else expect([429, 502, 503, 504]).not.toContain(def.http);
    }
  });
});
