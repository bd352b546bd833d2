/**
 * DuckDB column types → PostgreSQL type OIDs and text-format values, the way PostgreSQL itself prints them, so
 * drivers (pgx, lib/pq, node-postgres) parse them with their normal decoders.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
} as const;

/** OID of the PG array type for an element OID (text[] = 1009, …). */
const ARRAY_OF: Record<number, number> = {
  [OID.bool]: 1000,
  [OID.int2]: 1005,
  [OID.int4]: 1007,
  [OID.int8]: 1016,
  [OID.text]: 1009,
  [OID.float4]: 1021,
  [OID.float8]: 1022,
  [OID.timestamp]: 1115,
  [OID.date]: 1182,
  [OID.timestamptz]: 1185,
  [OID.numeric]: 1231,
  [OID.uuid]: 2951,
};

const SIZE: Record<number, number> = {
  [OID.bool]: 1,
  [OID.int2]: 2,
  [OID.int4]: 4,
  [OID.int8]: 8,
  [OID.float4]: 4,
  [OID.float8]: 8,
  [OID.date]: 4,
  [OID.time]: 8,
  [OID.timestamp]: 8,
  [OID.timestamptz]: 8,
  [OID.interval]: 16,
  [OID.timetz]: 12,
  [OID.uuid]: 16,
};

/** pg_type.typlen for an OID: the fixed width, or -1 for variable-length types. */
export const typeSize = (oid: number): number => SIZE[oid] ?? -1;

export interface PgColumnType {
  oid: number;
  /** Formats a non-null value in PostgreSQL text format. */
  format: (value: DuckDBValue) => string;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2026-01-02 03:04:05.123456` (+ `+00` for timestamptz); trailing fractional zeros dropped like PostgreSQL. */
export function formatTimestampMicros(micros: bigint, withZone: boolean): string {
  let ms = micros / 1000n;
  let sub = micros % 1000n;
  if (sub < 0n) {
    sub += 1000n;
    ms -= 1n;
  }
  const d = new Date(Number(ms));
  const year = d.getUTCFullYear();
  if (Number.isNaN(year)) return micros > 0n ? 'infinity' : '-infinity';
  const frac = (d.getUTCMilliseconds() * 1000 + Number(sub)).toString().padStart(6, '0').replace(/0+$/, '');
  const y = year > 0 ? pad(year, 4) : pad(1 - year, 4);
  const text =
    `${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac ? '.' + frac : ''}`;
  return text + (withZone ? '+00' : '') + (year > 0 ? '' : ' BC');
}

function timestampMicros(v: DuckDBValue): bigint | null {
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return v.isFinite ? v.micros : null;
  if (v instanceof DuckDBTimestampSecondsValue) return v.isFinite ? v.seconds * 1_000_000n : null;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.isFinite ? v.millis * 1000n : null;
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.isFinite ? v.nanos / 1000n : null;
  return null;
}

function formatTimestamp(withZone: boolean) {
  return (v: DuckDBValue): string => {
    const micros = timestampMicros(v);
    if (micros === null) return String(v); // 'infinity' / '-infinity', spelled the same in both systems
    return formatTimestampMicros(micros, withZone);
  };
}

/** PostgreSQL's "postgres" IntervalStyle: `1 year 2 mons -3 days 04:05:06.7`. */
export function formatInterval(v: DuckDBIntervalValue): string {
  const parts: string[] = [];
  const years = Math.trunc(v.months / 12);
  const mons = v.months % 12;
  if (years) parts.push(`${years} year${years === 1 ? '' : 's'}`);
  if (mons) parts.push(`${mons} mon${mons === 1 ? '' : 's'}`);
  if (v.days) parts.push(`${v.days} day${v.days === 1 ? '' : 's'}`);
  if (v.micros !== 0n || parts.length === 0) {
    const neg = v.micros < 0n;
    let us = neg ? -v.micros : v.micros;
    const h = us / 3_600_000_000n;
    us %= 3_600_000_000n;
    const m = us / 60_000_000n;
    us %= 60_000_000n;
    const s = us / 1_000_000n;
    const frac = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
    parts.push(`${neg ? '-' : ''}${pad(Number(h))}:${pad(Number(m))}:${pad(Number(s))}${frac ? '.' + frac : ''}`);
  }
  return parts.join(' ');
}

function formatDouble(v: DuckDBValue): string {
  const n = v as number;
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

/** Shortest decimal that reads back as the same float32, as PostgreSQL prints `real`. */
function formatFloat(v: DuckDBValue): string {
  const n = v as number;
  if (!Number.isFinite(n)) return formatDouble(n);
  for (let p = 1; p <= 9; p++) {
    const s = Number(n.toPrecision(p));
    if (Math.fround(s) === n) return String(s);
  }
  return String(n);
}

const formatBlob = (v: DuckDBValue): string => '\\x' + Buffer.from((v as DuckDBBlobValue).bytes).toString('hex');

/** Quotes one element of a PG array literal when PostgreSQL would. */
function arrayElement(text: string | null): string {
  if (text === null) return 'NULL';
  if (text === '' || /[{}",\\\s]/.test(text) || text.toUpperCase() === 'NULL') {
    return '"' + text.replace(/[\\"]/g, (c) => '\\' + c) + '"';
  }
  return text;
}

function scalar(oid: number, format: (v: DuckDBValue) => string = String): PgColumnType {
  return { oid, format };
}

/** The PostgreSQL type a DuckDB column is sent as. Unknown or nested types travel as text. */
export function pgColumnType(type: DuckDBType): PgColumnType {
  if (type.alias?.toUpperCase() === 'JSON') return scalar(OID.json);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return scalar(OID.bool, (v) => (v ? 't' : 'f'));
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.SMALLINT:
      return scalar(OID.int2);
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.INTEGER:
      return scalar(OID.int4);
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.BIGINT:
      return scalar(OID.int8);
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.BIGNUM:
      return scalar(OID.numeric);
    case DuckDBTypeId.FLOAT:
      return scalar(OID.float4, formatFloat);
    case DuckDBTypeId.DOUBLE:
      return scalar(OID.float8, formatDouble);
    case DuckDBTypeId.DATE:
      return scalar(OID.date);
    case DuckDBTypeId.TIME:
      return scalar(OID.time);
    case DuckDBTypeId.TIME_TZ:
      return scalar(OID.timetz);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return scalar(OID.timestamp, formatTimestamp(false));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return scalar(OID.timestamptz, formatTimestamp(true));
    case DuckDBTypeId.INTERVAL:
      return scalar(OID.interval, (v) => formatInterval(v as DuckDBIntervalValue));
    case DuckDBTypeId.UUID:
      return scalar(OID.uuid);
    case DuckDBTypeId.BLOB:
      return scalar(OID.bytea, formatBlob);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = pgColumnType(type.valueType);
      const arrayOid = ARRAY_OF[element.oid];
      if (arrayOid === undefined) return scalar(OID.text);
      return scalar(arrayOid, (v) => {
        const items = (v as DuckDBListValue | DuckDBArrayValue).items;
        return '{' + items.map((i) => arrayElement(i === null ? null : element.format(i))).join(',') + '}';
      });
    }
    default:
      return scalar(OID.text);
  }
}
