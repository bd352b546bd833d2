import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packEvents, transferList, unpackEvents } from '../../src/events/packed-events.js';
import type { SecurityEvent } from '../../src/events/security-event.js';
import { UNENRICHED } from '../../src/events/security-event.js';

function event(i: number, over: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    timeUs: 1_764_000_000_000_000 + i,
    identity: i % 2 ? `user${i % 3}` : '198.51.100.*',
    identityKind: i % 2 ? 'user' : 'network',
    userId: i % 2 ? `user${i % 3}` : null,
    ip: i % 2 ? null : `198.51.100.${i}`,
    network: i % 2 ? null : '198.51.100.*',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
    httpMethod: i % 3 ? 'GET' : 'POST',
    urlPath: `/api/items/${i}`,
    urlQuery: i % 4 ? null : '',
    httpRoute: '/api/items/:id',
    statusCode: i % 5 ? 200 : null,
    eventType: 'page_view',
    referer: null,
    serviceName: 'shop',
    traceId: i.toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    durationMs: i % 7 ? i / 3 : null,
    ...UNENRICHED,
    ...over,
  };
}

/** Through a real port with the buffers transferred, as between the decoding thread and the event loop. */
function acrossThreads(events: SecurityEvent[]): SecurityEvent[] {
  const { port1, port2 } = new MessageChannel();
  const packed = packEvents(events);
  port1.postMessage(packed, transferList(packed));
  expect(packed.timeUs.byteLength).toBe(0); // transferred, not copied
  const got = unpackEvents(receiveMessageOnPort(port2)!.message);
  port1.close();
  return got;
}

describe('packed events', () => {
  it('come back equal to the events packed, nulls, empty strings and zeros included', () => {
    const events = Array.from({ length: 300 }, (_, i) => event(i));
    events.push(event(300, { statusCode: 0, durationMs: 0, urlPath: '', userAgent: null, identity: 'ü-ñ 😀', referer: 'https://example.com/' }));
    const got = acrossThreads(events);
    expect(got).toEqual(events);
    expect(got.map((e) => e.urlQuery)).toEqual(events.map((e) => e.urlQuery)); // '' and null stay apart
  });

  it('keep each field in its own place when every value is distinct', () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      event(i, { identity: `id${i}`, userAgent: `ua${i}`, httpMethod: `M${i}`, eventType: `t${i}`, serviceName: `s${i}`, referer: `r${i}` }),
    );
    expect(acrossThreads(events)).toEqual(events);
  });

  it('pack an empty batch', () => {
    expect(acrossThreads([])).toEqual([]);
  });

  it('send a repeated string once', () => {
    const packed = packEvents(Array.from({ length: 100 }, (_, i) => event(i)));
    expect(packed.strings.userAgent.values).toEqual(['Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0']);
    expect(packed.strings.httpMethod.values.sort()).toEqual(['GET', 'POST']);
  });
});
