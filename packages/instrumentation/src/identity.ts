import { currentRequestSpan, ensureRequestState } from './request-state.js';

const MAX_LENGTH = 256;

function clean(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${what} must be a non-empty string`);
  const text = value.trim();
  if (text.length > MAX_LENGTH) throw new TypeError(`${what} must be at most ${MAX_LENGTH} characters`);
  return text;
}

/**
 * Records who made the current request. Call it anywhere inside the request's async context (fastify hook,
 * express middleware, plain `http` handler) once authentication succeeded. Returns false when no traced request
 * is active (then nothing is recorded).
 */
export function setUser(username: string): boolean {
  const name = clean(username, 'setUser(username)');
  const span = currentRequestSpan();
  if (!span) return false;
  ensureRequestState(span).user = name;
  return true;
}

/**
 * Sets the event type of the current request (e.g. `account_email_change`), overriding the route rules.
 * Returns false when no traced request is active.
 */
export function setEventType(eventType: string): boolean {
  const type = clean(eventType, 'setEventType(eventType)');
  const span = currentRequestSpan();
  if (!span) return false;
  ensureRequestState(span).eventType = type;
  return true;
}
