import pino from 'pino';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { UNENRICHED } from '../../src/events/security-event.js';

export const silentLogger = pino({ level: 'silent' });

/** A security event as the events stage produces it, before enrichment. */
export function event(overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    timeUs: Date.UTC(2026, 5, 1) * 1000,
    identity: 'alice',
    identityKind: 'user',
    userId: 'alice',
    ip: null,
    network: null,
    userAgent: null,
    httpMethod: 'GET',
    urlPath: '/api/items',
    urlQuery: null,
    httpRoute: '/api/items',
    statusCode: 200,
    eventType: 'page_view',
    referer: null,
    serviceName: 'shop',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    durationMs: 12,
    ...UNENRICHED,
    ...overrides,
  };
}
