/**
 * What the collector should have stored: the (trace id, span id) keys of the events in every body it accepted,
 * worked out with the collector's own decoder and mapper. The fuzz tests compare it with the database: an event
 * whose key no accepted body carries came from a body that was refused.
 */
import { createDefaultConfig } from '../../collector/src/config/defaults.js';
import { decodeRequest } from '../../collector/src/decode/body.js';
import { mapSpansToEvents } from '../../collector/src/events/map-spans.js';
import { buildClassifier } from '../../collector/src/pipeline.js';

const classifier = buildClassifier(createDefaultConfig());

export class AcceptedKeys {
  readonly keys = new Set<string>();

  /** Records an accepted body; throws if the test cannot decode what the collector accepted. */
  accept(body: Buffer, encoding: 'protobuf' | 'json'): number {
    const mapped = mapSpansToEvents(decodeRequest(body, encoding), classifier);
    for (const e of mapped.events) this.keys.add(`${e.traceId}/${e.spanId}`);
    return mapped.events.length;
  }

  add(traceId: string, spanId: string): void {
    this.keys.add(`${traceId}/${spanId}`);
  }
}

/** Stored keys that no accepted body carried (should be none), and how many distinct keys are stored. */
export async function compareWithStore(
  accepted: AcceptedKeys,
  query: (sql: string) => Promise<Array<{ k: string }>>,
): Promise<{ unexpected: string[]; stored: number }> {
  const rows = await query(`SELECT DISTINCT trace_id || '/' || span_id AS k FROM events`);
  return { unexpected: rows.map((r) => r.k).filter((k) => !accepted.keys.has(k)), stored: rows.length };
}
