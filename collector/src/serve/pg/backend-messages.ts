/**
 * Encoders for the server-to-client messages of the PostgreSQL protocol 3.0. Each returns one complete message
 * (type byte, int32 length, body). Layouts: https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** A column as announced in RowDescription. */
export interface FieldDescription {
  name: string;
  typeOid: number;
  /** pg_type.typlen: fixed size in bytes, or -1. */
  typeSize: number;
}

/** Fields of an ErrorResponse / NoticeResponse. */
export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

class Builder {
  private parts: Buffer[] = [];
  private size = 0;

  byte(b: number): this {
    return this.push(Buffer.from([b]));
  }
  int16(n: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(n);
    return this.push(b);
  }
  int32(n: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(n);
    return this.push(b);
  }
  cstring(s: string): this {
    this.push(Buffer.from(s, 'utf8'));
    return this.byte(0);
  }
  bytes(b: Buffer): this {
    return this.push(b);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  /** Prefixes the type byte and the length (which counts itself but not the type byte). */
  message(type: string): Buffer {
    const head = Buffer.allocUnsafe(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(this.size + 4, 1);
    return Buffer.concat([head, ...this.parts], this.size + 5);
  }
}

const EMPTY: Record<string, Buffer> = {};
function bare(type: string): Buffer {
  return (EMPTY[type] ??= new Builder().message(type));
}

export const authenticationOk = (): Buffer => new Builder().int32(0).message('R');
export const authenticationMd5 = (salt: Buffer): Buffer => new Builder().int32(5).bytes(salt).message('R');
export const authenticationSasl = (mechanisms: string[]): Buffer => {
  const b = new Builder().int32(10);
  for (const m of mechanisms) b.cstring(m);
  return b.byte(0).message('R');
};
export const authenticationSaslContinue = (data: string): Buffer =>
  new Builder().int32(11).bytes(Buffer.from(data, 'utf8')).message('R');
export const authenticationSaslFinal = (data: string): Buffer =>
  new Builder().int32(12).bytes(Buffer.from(data, 'utf8')).message('R');

export const parameterStatus = (name: string, value: string): Buffer =>
  new Builder().cstring(name).cstring(value).message('S');
export const backendKeyData = (pid: number, secret: number): Buffer =>
  new Builder().int32(pid).int32(secret).message('K');
export const readyForQuery = (status: 'I' | 'T' | 'E'): Buffer => new Builder().byte(status.charCodeAt(0)).message('Z');
export const negotiateProtocolVersion = (minor: number, unsupported: string[]): Buffer => {
  const b = new Builder().int32(minor).int32(unsupported.length);
  for (const o of unsupported) b.cstring(o);
  return b.message('v');
};

export const parseComplete = (): Buffer => bare('1');
export const bindComplete = (): Buffer => bare('2');
export const closeComplete = (): Buffer => bare('3');
export const noData = (): Buffer => bare('n');
export const emptyQueryResponse = (): Buffer => bare('I');
export const portalSuspended = (): Buffer => bare('s');
export const commandComplete = (tag: string): Buffer => new Builder().cstring(tag).message('C');

export const parameterDescription = (oids: number[]): Buffer => {
  const b = new Builder().int16(oids.length);
  for (const o of oids) b.int32(o);
  return b.message('t');
};

export const rowDescription = (fields: readonly FieldDescription[]): Buffer => {
  const b = new Builder().int16(fields.length);
  for (const f of fields) b.cstring(f.name).int32(0).int16(0).int32(f.typeOid).int16(f.typeSize).int32(-1).int16(0);
  return b.message('T');
};

/** One DataRow with text-format values; null is SQL NULL. */
export function dataRow(values: readonly (string | null)[]): Buffer {
  let size = 2;
  const encoded: (Buffer | null)[] = values.map((v) => {
    if (v === null) {
      size += 4;
      return null;
    }
    const b = Buffer.from(v, 'utf8');
    size += 4 + b.length;
    return b;
  });
  const out = Buffer.allocUnsafe(size + 5);
  out.write('D', 0, 'latin1');
  out.writeInt32BE(size + 4, 1);
  out.writeInt16BE(values.length, 5);
  let at = 7;
  for (const b of encoded) {
    if (b === null) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(b.length, at);
      b.copy(out, at + 4);
      at += 4 + b.length;
    }
  }
  return out;
}

function fields(type: 'E' | 'N', f: ErrorFields): Buffer {
  const b = new Builder();
  b.byte(0x53).cstring(f.severity); // S: localized severity
  b.byte(0x56).cstring(f.severity); // V: non-localized severity
  b.byte(0x43).cstring(f.code); // C: SQLSTATE
  b.byte(0x4d).cstring(f.message); // M
  if (f.detail) b.byte(0x44).cstring(f.detail); // D
  if (f.hint) b.byte(0x48).cstring(f.hint); // H
  return b.byte(0).message(type);
}

export const errorResponse = (f: ErrorFields): Buffer => fields('E', f);
export const noticeResponse = (f: ErrorFields): Buffer => fields('N', f);
