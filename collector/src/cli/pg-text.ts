/**
 * Turns query results in PostgreSQL text format (type OID + text, what the SQL endpoint sends) into values for
 * printing. `spyglass sql` brings both of its sources to this form, the file through the endpoint's own
 * formatter (pgColumnType), so a value prints the same whichever way it was read.
 */
import { OID } from '../serve/pg/pg-types.js';

/** A printable value: JSON-compatible, nested only for arrays and json. */
export type CliValue = null | boolean | number | string | CliValue[] | { [key: string]: CliValue };

/** PostgreSQL array type OID → element OID (pg_type.typelem) for the arrays the endpoint sends. */
const ELEMENT_OF: Record<number, number> = {
  1000: OID.bool,
  1005: OID.int2,
  1007: OID.int4,
  1016: OID.int8,
  1009: OID.text,
  1021: OID.float4,
  1022: OID.float8,
  1115: OID.timestamp,
  1182: OID.date,
  1185: OID.timestamptz,
  1231: OID.numeric,
  2951: OID.uuid,
};

const INTEGER_OR_NUMERIC = new Set<number>([OID.int2, OID.int4, OID.int8, OID.numeric]);

/** A number when the text converts to one exactly (at its printed scale), else the text itself. */
function exactNumber(text: string): number | string {
  const decimals = /^-?\d+(?:\.(\d+))?$/.exec(text);
  if (!decimals) return text;
  const n = Number(text);
  return n.toFixed(decimals[1]?.length ?? 0) === text ? n : text;
}

/** PostgreSQL timestamp text (`2024-01-01 03:04:05.123456[+00]`) as ISO 8601; infinity and BC stay as they are. */
function isoTimestamp(text: string, withZone: boolean): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(\+00)?$/.exec(text);
  if (!m) return text;
  return `${m[1]}T${m[2]}${withZone ? 'Z' : ''}`;
}

/** Splits a one-dimensional array literal (`{a,"b c",NULL}`) into its elements' texts. */
function arrayElements(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  const body = text.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    if (body[i] === '"') {
      let s = '';
      for (i++; i < body.length && body[i] !== '"'; i++) s += body[i] === '\\' ? body[++i] : body[i];
      out.push(s);
      i += 2; // closing quote and comma
    } else {
      const end = body.indexOf(',', i);
      const s = body.slice(i, end < 0 ? body.length : end);
      out.push(s === 'NULL' ? null : s);
      i = end < 0 ? body.length : end + 1;
    }
  }
  return out;
}

/** The printable value of one text-format value of type `oid`. */
export function decodePgText(text: string | null, oid: number): CliValue {
  if (text === null) return null;
  if (oid === OID.bool) return text === 't';
  if (INTEGER_OR_NUMERIC.has(oid)) return exactNumber(text);
  if (oid === OID.float4 || oid === OID.float8) return Number.isFinite(Number(text)) ? Number(text) : text;
  if (oid === OID.timestamp || oid === OID.timestamptz) return isoTimestamp(text, oid === OID.timestamptz);
  if (oid === OID.json) {
    try {
      return JSON.parse(text) as CliValue;
    } catch {
      return text;
    }
  }
  const element = ELEMENT_OF[oid];
  if (element !== undefined && text.startsWith('{')) return arrayElements(text).map((e) => decodePgText(e, element));
  return text; // date, time, interval, uuid, bytea (\x…), text and what DuckDB sends as text (STRUCT, MAP, …)
}

/** Rows of text values → row objects of printable values. */
export function decodeRows(fields: { name: string; typeOid: number }[], rows: (string | null)[][]): Record<string, CliValue>[] {
  return rows.map((row) => {
    const out: Record<string, CliValue> = {};
    fields.forEach((f, i) => (out[f.name] = decodePgText(row[i], f.typeOid)));
    return out;
  });
}
