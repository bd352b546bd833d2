import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks `Bearer <token>` in constant time (hashing first so lengths never leak through timing). */
export function createBearerCheck(token: string | null): (authorization: string | undefined) => boolean {
  if (!token) return () => true;
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    const given = createHash('sha256').update(m ? m[1] : '').digest();
    return timingSafeEqual(given, expected) && m !== null;
  };
}
