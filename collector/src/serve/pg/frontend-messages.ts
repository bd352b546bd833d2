/**
 * Framing and decoding of client-to-server messages. Before startup completes, packets have no type byte
 * (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest); afterwards every message has one.
 */
import { PgError } from './pg-error.js';

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3_0 = 196608;

/** Largest message accepted once authenticated; a bigger length prefix means garbage or abuse. */
export const MAX_MESSAGE = 64 * 1024 * 1024;
/** Largest typed message before authentication completes: password and SASL messages are a few hundred bytes. */
export const MAX_AUTH_MESSAGE = 8 * 1024;
const MAX_STARTUP = 10_000;

export interface Frame {
  /** The type byte as a character; '' for the untyped startup-phase packets. */
  type: string;
  body: Buffer;
}

/** Accumulates socket bytes and cuts them into frames. Chunks are joined once per frame, not once per chunk. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Until startup completes, packets are untyped. */
  typed = false;
  /** Largest typed message accepted; raised by the session once the client has authenticated. */
  maxMessage = MAX_AUTH_MESSAGE;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Bytes received but not yet framed (used to refuse data sent ahead of a TLS handshake). */
  get pending(): number {
    return this.length;
  }

  /** The next complete frame, or null if more bytes are needed. Throws PgError on an impossible length. */
  next(): Frame | null {
    const head = this.typed ? 5 : 4;
    if (this.length < head) return null;
    if (this.chunks[0].length < head) this.join();
    const type = this.typed ? String.fromCharCode(this.chunks[0][0]) : '';
    const len = this.chunks[0].readInt32BE(this.typed ? 1 : 0);
    const limit = this.typed ? this.maxMessage : MAX_STARTUP;
    if (len < 4 || len > limit) throw new PgError('08P01', `invalid message length ${len}`, { fatal: true });
    const total = len + (this.typed ? 1 : 0);
    if (this.length < total) return null;
    if (this.chunks[0].length < total) this.join();
    const first = this.chunks[0];
    const body = first.subarray(head, total);
    if (first.length > total) this.chunks[0] = first.subarray(total);
    else this.chunks.shift();
    this.length -= total;
    return { type, body };
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks, this.length)];
  }
}

/** Sequential reads from a message body; every read is bounds-checked. */
export class BodyReader {
  private at = 0;
  constructor(private readonly body: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.body.length) throw new PgError('08P01', 'message is shorter than its contents');
  }
  int16(): number {
    this.need(2);
    const v = this.body.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.body.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  byte(): string {
    this.need(1);
    return String.fromCharCode(this.body[this.at++]);
  }
  cstring(): string {
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new PgError('08P01', 'unterminated string in message');
    const s = this.body.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  rest(): Buffer {
    const b = this.body.subarray(this.at);
    this.at = this.body.length;
    return b;
  }
}

export interface StartupMessage {
  kind: 'startup';
  protocol: number;
  params: Record<string, string>;
}
export type StartupPacket =
  | StartupMessage
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; pid: number; secret: number };

export function decodeStartupPacket(body: Buffer): StartupPacket {
  const r = new BodyReader(body);
  const code = r.int32();
  if (code === SSL_REQUEST_CODE) return { kind: 'ssl' };
  if (code === GSSENC_REQUEST_CODE) return { kind: 'gssenc' };
  if (code === CANCEL_REQUEST_CODE) return { kind: 'cancel', pid: r.int32(), secret: r.int32() };
  const params: Record<string, string> = {};
  for (;;) {
    const key = r.cstring();
    if (key === '') break;
    params[key] = r.cstring();
  }
  return { kind: 'startup', protocol: code, params };
}

export interface ParseMessage {
  name: string;
  sql: string;
  paramOids: number[];
}
export function decodeParse(body: Buffer): ParseMessage {
  const r = new BodyReader(body);
  const name = r.cstring();
  const sql = r.cstring();
  const n = r.int16();
  const paramOids: number[] = [];
  for (let i = 0; i < n; i++) paramOids.push(r.int32());
  return { name, sql, paramOids };
}

export interface BindMessage {
  portal: string;
  statement: string;
  paramFormats: number[];
  /** Raw parameter bytes; null is SQL NULL. */
  params: (Buffer | null)[];
  resultFormats: number[];
}
export function decodeBind(body: Buffer): BindMessage {
  const r = new BodyReader(body);
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) paramFormats.push(r.int16());
  const params: (Buffer | null)[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) {
    const len = r.int32();
    params.push(len < 0 ? null : r.bytes(len));
  }
  const resultFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) resultFormats.push(r.int16());
  return { portal, statement, paramFormats, params, resultFormats };
}

/** Describe and Close share a layout: 'S' (statement) or 'P' (portal), then a name. */
export function decodeTarget(body: Buffer): { target: 'S' | 'P'; name: string } {
  const r = new BodyReader(body);
  const target = r.byte();
  if (target !== 'S' && target !== 'P') throw new PgError('08P01', `invalid target '${target}'`);
  return { target, name: r.cstring() };
}

export function decodeExecute(body: Buffer): { portal: string; maxRows: number } {
  const r = new BodyReader(body);
  return { portal: r.cstring(), maxRows: r.int32() };
}

export function decodeQuery(body: Buffer): string {
  return new BodyReader(body).cstring();
}
