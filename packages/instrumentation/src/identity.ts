import { currentRequestSpan, ensureRequestState } from './request-state.js';

const MAX_LENGTH = 256;

/** A usable value, trimmed and cut to MAX_LENGTH, or undefined (so `setUser(req.user?.name)` is safe). */
function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim().slice(0, MAX_LENGTH);
  return text === '' ? undefined : text;
}

/**
 * Records who made the current request. Call it anywhere inside the request's async context (fastify hook,
 * express middleware, plain `http` handler) once authentication succeeded. Returns false when no traced request
 * is active or the username is empty or not a string (then nothing is recorded).
 */
export function setUser(username: string | null | undefined): boolean {
  const name = clean(username);
  const span = currentRequestSpan();
  if (!name || !span) return false;
  ensureRequestState(span).user = name;
  return true;
}

/**
 * Sets the event type of the current request (e.g. `account_email_change`), overriding the route rules.
 * Returns false when no traced request is active or the type is empty.
 */
export function setEventType(eventType: string): boolean {
  const type = clean(eventType);
  const span = currentRequestSpan();
  if (!type || !span) return false;
  ensureRequestState(span).eventType = type;
  return true;
}
