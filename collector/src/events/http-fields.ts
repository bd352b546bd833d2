import { HTTP_FIELD_KEYS, ATTR_SPYGLASS_EVENT_TYPE, ATTR_SPYGLASS_IDENTITY, ATTR_SPYGLASS_IDENTITY_KIND } from '@spyglass/core';
import type { OtlpAnyValue, OtlpKeyValue } from '../decode/otlp-types.js';

/** Every logical field the events stage reads from span attributes, with its candidate keys in preference order. */
const FIELDS = {
  ...HTTP_FIELD_KEYS,
  identity: [ATTR_SPYGLASS_IDENTITY],
  identityKind: [ATTR_SPYGLASS_IDENTITY_KIND],
  eventType: [ATTR_SPYGLASS_EVENT_TYPE],
} as const;

export type FieldName = keyof typeof FIELDS;
export type HttpFieldValues = Partial<Record<FieldName, OtlpAnyValue>>;

interface Slot {
  field: FieldName;
  rank: number;
}

const SLOTS = new Map<string, Slot>();
for (const [field, keys] of Object.entries(FIELDS) as Array<[FieldName, readonly string[]]>) {
  keys.forEach((key, rank) => SLOTS.set(key, { field, rank }));
}

/** One pass over a span's attributes, keeping for each field the value of its most preferred key. */
export function readHttpFields(attributes: readonly OtlpKeyValue[] | undefined): HttpFieldValues {
  const out: HttpFieldValues = {};
  if (!attributes) return out;
  const ranks: Partial<Record<FieldName, number>> = {};
  for (const kv of attributes) {
    const slot = SLOTS.get(kv.key);
    if (!slot || !kv.value) continue;
    const prevRank = ranks[slot.field];
    if (prevRank !== undefined && prevRank <= slot.rank) continue;
    const value = kv.value;
    if (!value) continue;
    out[slot.field] = value;
    ranks[slot.field] = slot.rank;
  }
  return out;
}
