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
  index: number;
  rank: number;
}

const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
const SLOTS = new Map<string, Slot>();
FIELD_NAMES.forEach((field, index) => FIELDS[field].forEach((key, rank) => SLOTS.set(key, { field, index, rank })));

/**
 * Every field present from the start (undefined until found): one object shape for every span. Spreading a constant
 * template is V8's fast clone path; building the object key by key cost twice as much per span.
 */
const EMPTY_FIELDS: HttpFieldValues = Object.fromEntries(FIELD_NAMES.map((field) => [field, undefined]));
function emptyFields(): HttpFieldValues {
  return { ...EMPTY_FIELDS };
}
const NO_RANK = 255;

/** protobufjs messages keep unset fields' defaults ('' included) on their prototype: only an own '' is empty. */
const isEmptyString = (v: OtlpAnyValue): boolean => v.stringValue === '' && Object.prototype.hasOwnProperty.call(v, 'stringValue');
const ranks = new Uint8Array(FIELD_NAMES.length); // scratch, reset per call

/**
 * One pass over a span's attributes, keeping for each field the value of its most preferred key. An empty string
 * counts as absent, so that `user.id: ""` does not hide an `enduser.id`.
 */
export function readHttpFields(attributes: readonly OtlpKeyValue[] | undefined): HttpFieldValues {
  const out = emptyFields();
  if (!attributes) return out;
  ranks.fill(NO_RANK);
  for (const kv of attributes) {
    const slot = SLOTS.get(kv.key);
    if (!slot || !kv.value || ranks[slot.index] <= slot.rank || isEmptyString(kv.value)) continue;
    out[slot.field] = kv.value;
    ranks[slot.index] = slot.rank;
  }
  return out;
}
