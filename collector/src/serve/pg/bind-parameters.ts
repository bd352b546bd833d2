/**
 * Binds Bind-message parameters to a DuckDB prepared statement. Text values go in as VARCHAR (DuckDB casts them
 * to the inferred parameter type) unless the client declared a numeric or boolean type; binary values are
 * accepted for the common fixed-width types only.
 */
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { PgError } from './pg-error.js';
import { OID } from './pg-types.js';

function bindText(duck: DuckDBPreparedStatement, index: number, text: string, oid: number): void {
  const bad = (): PgError => new PgError('22P02', `invalid input for parameter $${index} (type oid ${oid}): "${text}"`);
  switch (oid) {
    case OID.bool:
      if (!/^(t|true|f|false|1|0|on|off|yes|no)$/i.test(text.trim())) throw bad();
      return duck.bindBoolean(index, /^(t|true|1|on|yes)$/i.test(text.trim()));
    case OID.int2:
    case OID.int4:
      if (!/^\s*[+-]?\d+\s*$/.test(text)) throw bad();
      return duck.bindInteger(index, Number(text));
    case OID.int8:
      if (!/^\s*[+-]?\d+\s*$/.test(text)) throw bad();
      return duck.bindBigInt(index, BigInt(text.trim()));
    case OID.float4:
    case OID.float8: {
      const n = Number(text);
      if (text.trim() === '' || (Number.isNaN(n) && !/^\s*nan\s*$/i.test(text))) throw bad();
      return duck.bindDouble(index, n);
    }
    default:
      return duck.bindVarchar(index, text);
  }
}

function bindBinary(duck: DuckDBPreparedStatement, index: number, value: Buffer, oid: number): void {
  const size = (n: number): void => {
    if (value.length !== n) throw new PgError('22P03', `incorrect binary data format in bind parameter $${index}`);
  };
  switch (oid) {
    case OID.bool:
      size(1);
      return duck.bindBoolean(index, value[0] !== 0);
    case OID.int2:
      size(2);
      return duck.bindInteger(index, value.readInt16BE());
    case OID.int4:
      size(4);
      return duck.bindInteger(index, value.readInt32BE());
    case OID.int8:
      size(8);
      return duck.bindBigInt(index, value.readBigInt64BE());
    case OID.float4:
      size(4);
      return duck.bindDouble(index, value.readFloatBE());
    case OID.float8:
      size(8);
      return duck.bindDouble(index, value.readDoubleBE());
    case OID.bytea:
      return duck.bindBlob(index, value);
    case OID.text:
    case 1043: // varchar
      return duck.bindVarchar(index, value.toString('utf8'));
    default:
      throw new PgError('0A000', `binary format for parameter $${index} (type oid ${oid}) is not supported; send it as text`);
  }
}

/** Binds every parameter; `formats` follows the Bind message rules (none = text, one = all, else one each). */
export function bindParameters(duck: DuckDBPreparedStatement, params: (Buffer | null)[], formats: number[], oids: number[]): void {
  params.forEach((value, i) => {
    const index = i + 1;
    if (value === null) return duck.bindNull(index);
    const format = formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i];
    if (format === 1) bindBinary(duck, index, value, oids[i] ?? 0);
    else bindText(duck, index, value.toString('utf8'), oids[i] ?? 0);
  });
}
