/**
 * One client connection: startup (SSL negotiation, authentication), then the simple and extended query
 * protocols against the session's own DuckDB connection.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { randomInt } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { Logger } from 'pino';
import * as msg from './backend-messages.js';
import type { FieldDescription } from './backend-messages.js';
import type { SqlConfig } from './config.js';
import {
  BodyReader,
  FrameReader,
  MAX_MESSAGE,
  decodeBind,
  decodeExecute,
  decodeParse,
  decodeQuery,
  decodeStartupPacket,
  decodeTarget,
  type Frame,
  type StartupMessage,
} from './frontend-messages.js';
import { Md5Challenge } from './auth-md5.js';
import { AuthThrottle } from './auth-throttle.js';
import { SCRAM_MECHANISM, ScramExchange, type ScramVerifier } from './auth-scram.js';
import { rewriteForDuckDB } from './catalog-compat.js';
import { planEmulated, type EmulatedCommand, type EmulatedResult } from './emulated-commands.js';
import { PgError, toPgError } from './pg-error.js';
import { pgColumnType, typeSize, OID } from './pg-types.js';
import type { PendingLogins } from './pending-logins.js';
import type { QueryLimiter } from './query-limiter.js';
import { ResultStream } from './result-stream.js';
import { prepareChecked } from './sandbox.js';
import { SessionParameters } from './session-parameters.js';
import { splitSql, type SqlStatement } from './sql-lexer.js';
import { bindParameters } from './bind-parameters.js';

/** What every session shares: configuration, the database and the cancel-key registry. */
export interface ServerContext {
  config: SqlConfig;
  instance: DuckDBInstance;
  logger: Logger;
  scram: ScramVerifier;
  tls: SecureContext | null;
  limiter: QueryLimiter;
  /** Failed-password lock-out per client address. */
  throttle: AuthThrottle;
  sessions: Map<number, Session>;
  /** Connections that have not authenticated yet (bounded apart from maxConnections). */
  pending: PendingLogins<Session>;
  /** Authenticated sessions, counted against maxConnections until their DuckDB connection is closed. */
  active: Set<Session>;
}

const STARTUP_TIMEOUT_MS = 15_000;
/** A lock-out longer than this is refused at once (28000) instead of waited out within the startup timeout. */
const MAX_LOCKOUT_WAIT_MS = 10_000;
const MAX_QUEUED_FRAMES = 256;

type TxStatus = 'I' | 'T' | 'E';

/** A statement prepared by Parse (or internally for a simple query). */
interface Prepared {
  stmt: SqlStatement | null;
  emulated: EmulatedCommand | null;
  duck: DuckDBPreparedStatement | null;
  explain: boolean;
  paramOids: number[];
}

interface Portal {
  prepared: Prepared;
  params: (Buffer | null)[];
  paramFormats: number[];
  /** An emulated command's result, filled by the first Describe or Execute. */
  emulated: { rows: Buffer[]; tag: string; sent: number } | null;
  /** A DuckDB statement's result, started by the first Describe or Execute. */
  stream: ResultStream | null;
}

type Auth =
  | { kind: 'md5'; challenge: Md5Challenge }
  | { kind: 'scram-start'; exchange: ScramExchange }
  | { kind: 'scram-finish'; exchange: ScramExchange };

export class Session {
  private socket: Socket;
  private readonly reader = new FrameReader();
  private readonly queue: Frame[] = [];
  private processing = false;
  private out: Buffer[] = [];
  private state: 'startup' | 'auth' | 'ready' | 'closed' = 'startup';
  private startupTimer: NodeJS.Timeout | null = null;
  private startup: StartupMessage | null = null;
  private auth: Auth | null = null;

  private conn: DuckDBConnection | null = null;
  private params: SessionParameters | null = null;
  private tx: TxStatus = 'I';
  private skipUntilSync = false;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** The result streaming on this session's DuckDB connection; any other use of the connection must end it. */
  private openStream: ResultStream | null = null;

  /** The client address (IPv6: /64) failed passwords are counted against. */
  private readonly throttleKey: string;
  readonly pid = randomInt(1, 2 ** 31 - 1);
  readonly secret = randomInt(0, 2 ** 31 - 1);
  private abort: AbortController | null = null;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.socket = socket;
    this.throttleKey = AuthThrottle.keyOf(socket.remoteAddress);
  }

  start(): void {
    for (const old of this.ctx.pending.admit(this, this.throttleKey)) {
      old.fatal(new PgError('53300', 'too many connections waiting to authenticate; this one waited longest'));
    }
    this.attach(this.socket);
    this.startupTimer = setTimeout(() => this.fatal(new PgError('08006', 'startup timed out')), STARTUP_TIMEOUT_MS);
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err) => this.ctx.logger.debug({ err, pid: this.pid }, 'sql client socket error'));
    socket.on('close', () => void this.close());
  }

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    try {
      for (let f = this.reader.next(); f; f = this.reader.next()) this.queue.push(f);
    } catch (err) {
      this.fatal(toPgError(err));
      return;
    }
    if (this.queue.length > MAX_QUEUED_FRAMES) this.socket.pause();
    if (!this.processing) void this.pump();
  };

  private async pump(): Promise<void> {
    this.processing = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0 && this.state !== 'closed') {
        const frame = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED_FRAMES / 2 && this.socket.isPaused()) this.socket.resume();
        try {
          await this.handle(frame);
        } catch (err) {
          this.fatal(toPgError(err));
        }
      }
      await this.flush();
    } finally {
      this.processing = false;
      this.markIdle();
    }
  }

  // ---- output -------------------------------------------------------------------------------------------

  private send(...buffers: Buffer[]): void {
    this.out.push(...buffers);
  }

  /** Writes what is buffered; waits for the socket to drain when its buffer is full, or until `signal` aborts. */
  private async flush(signal?: AbortSignal): Promise<void> {
    if (this.out.length === 0 || this.state === 'closed' || this.socket.destroyed) {
      this.out = [];
      return;
    }
    const data = Buffer.concat(this.out);
    this.out = [];
    if (this.socket.write(data) || signal?.aborted) return;
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
      signal?.addEventListener('abort', done);
    });
  }

  private sendError(err: PgError, severity: 'ERROR' | 'FATAL' = 'ERROR'): void {
    this.send(msg.errorResponse({ severity, code: err.code, message: err.message, hint: err.options.hint, detail: err.options.detail }));
  }

  /** Sends a FATAL error and closes the connection. */
  fatal(err: PgError): void {
    if (this.state === 'closed') return;
    this.sendError(err, 'FATAL');
    void this.flush().finally(() => void this.close());
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  /** Interrupts the running statement (CancelRequest). */
  cancel(): void {
    this.abort?.abort(new PgError('57014', 'canceling statement due to user request'));
  }

  /**
   * Closes the connection: interrupts any statement, waits for the message pump to unwind, frees the DuckDB
   * connection. Never await it from inside the pump (handle()), which it waits for.
   */
  async close(notice?: PgError): Promise<void> {
    if (this.state === 'closed') return;
    if (notice && !this.socket.destroyed) {
      this.sendError(notice, 'FATAL');
      await this.flush();
    }
    this.state = 'closed';
    if (this.startupTimer) clearTimeout(this.startupTimer);
    this.ctx.pending.remove(this);
    this.ctx.sessions.delete(this.pid);
    this.abort?.abort(new PgError('57P01', 'terminating connection'));
    this.socket.end();
    this.socket.destroySoon?.();
    await this.idle;
    for (const p of this.statements.values()) p.duck?.destroySync();
    this.statements.clear();
    this.portals.clear();
    this.conn?.closeSync();
    this.conn = null;
    this.ctx.active.delete(this); // the slot is free once the DuckDB connection is
    if (!this.socket.destroyed) this.socket.destroy();
  }

  // ---- dispatch -----------------------------------------------------------------------------------------

  private async handle(frame: Frame): Promise<void> {
    if (this.state === 'startup') return this.handleStartupPacket(frame.body);
    if (this.state === 'auth') return this.handleAuth(frame);
    if (this.state !== 'ready') return;
    if (this.skipUntilSync && frame.type !== 'S' && frame.type !== 'X') return;
    try {
      switch (frame.type) {
        case 'Q':
          return await this.simpleQuery(decodeQuery(frame.body));
        case 'P':
          return await this.parse(frame.body);
        case 'B':
          return this.bind(frame.body);
        case 'D':
          return await this.describe(frame.body);
        case 'E':
          return await this.execute(frame.body);
        case 'C':
          return this.closeTarget(frame.body);
        case 'H':
          return await this.flush();
        case 'S':
          this.skipUntilSync = false;
          if (this.tx === 'I') this.portals.clear();
          this.send(msg.readyForQuery(this.tx));
          return await this.flush();
        case 'X':
          void this.close(); // not awaited: close() waits for this very pump to finish
          return;
        case 'd':
        case 'c':
        case 'f':
          return; // COPY sub-protocol messages outside COPY are ignored, as PostgreSQL does
        case 'F':
          throw new PgError('0A000', 'the function call protocol is not supported');
        default:
          this.fatal(new PgError('08P01', `invalid frontend message type '${frame.type}'`));
      }
    } catch (err) {
      const pgErr = toPgError(err);
      // A whole frame was read, so the stream is still in step: like PostgreSQL, a malformed message or a wrong
      // parameter count is an ERROR and the session goes on; only what breaks the framing is fatal.
      if (pgErr.options.fatal) return this.fatal(pgErr);
      if (pgErr.code === '57P01') return; // connection is closing
      this.sendError(pgErr);
      if (this.tx === 'T') this.tx = 'E';
      this.skipUntilSync = true; // extended protocol: discard until Sync (simple queries never throw here)
    }
  }

  // ---- startup and authentication -----------------------------------------------------------------------

  private async handleStartupPacket(body: Buffer): Promise<void> {
    const packet = decodeStartupPacket(body);
    switch (packet.kind) {
      case 'cancel': {
        const target = this.ctx.sessions.get(packet.pid);
        if (target && target.secret === packet.secret) target.cancel();
        this.ctx.logger.debug({ pid: packet.pid, matched: target?.secret === packet.secret }, 'sql cancel request');
        void this.close(); // not awaited: close() waits for this very pump to finish
        return;
      }
      case 'gssenc':
        this.socket.write('N');
        return;
      case 'ssl':
        return this.negotiateSsl();
      case 'startup':
        return this.beginAuth(packet);
    }
  }

  private negotiateSsl(): void {
    if (!this.ctx.tls || this.socket instanceof TLSSocket) {
      this.socket.write('N');
      return;
    }
    // Bytes sent after SSLRequest but before our answer could be injected plaintext: refuse them.
    if (this.reader.pending > 0 || this.queue.length > 0) {
      this.fatal(new PgError('08P01', 'received unencrypted data after SSL request'));
      return;
    }
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.removeAllListeners('close');
    raw.write('S');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.ctx.tls });
    this.socket = secure;
    this.attach(secure);
  }

  private beginAuth(startup: StartupMessage): void {
    const major = startup.protocol >> 16;
    const minor = startup.protocol & 0xffff;
    if (major !== 3) {
      return this.fatal(new PgError('0A000', `unsupported frontend protocol ${major}.${minor}: server supports 3.0`));
    }
    const unsupported = Object.keys(startup.params).filter((k) => k.startsWith('_pq_.'));
    if (minor > 0 || unsupported.length > 0) this.send(msg.negotiateProtocolVersion(0, unsupported));
    if (startup.params.replication && startup.params.replication !== 'false') {
      return this.fatal(new PgError('0A000', 'replication connections are not supported'));
    }
    if (!startup.params.user) return this.fatal(new PgError('28000', 'no PostgreSQL user name specified in startup packet'));
    this.startup = startup;
    this.reader.typed = true;
    this.state = 'auth';
    if (this.ctx.config.authMethod === 'md5') {
      const challenge = new Md5Challenge(startup.params.user, this.ctx.config.password);
      this.auth = { kind: 'md5', challenge };
      this.send(msg.authenticationMd5(challenge.salt));
    } else {
      this.auth = { kind: 'scram-start', exchange: new ScramExchange(this.ctx.scram) };
      this.send(msg.authenticationSasl([SCRAM_MECHANISM]));
    }
  }

  /**
   * Waits out a lock-out of this client's address (another connection from it may have failed meanwhile), or
   * refuses at once when it is longer than the startup timeout allows. Returns false if the session must end.
   */
  private async waitForLockout(): Promise<boolean> {
    const throttle = this.ctx.throttle;
    for (let wait = throttle.remainingMs(this.throttleKey); wait > 0; wait = throttle.remainingMs(this.throttleKey)) {
      if (wait > MAX_LOCKOUT_WAIT_MS) {
        this.ctx.logger.warn({ remote: this.socket.remoteAddress, retryAfterMs: wait }, 'sql login refused: address locked out after failed passwords');
        this.fatal(new PgError('28000', `too many failed password attempts from this address; try again in ${Math.ceil(wait / 1000)} s`));
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.state !== 'auth') return false;
    }
    return true;
  }

  private async handleAuth(frame: Frame): Promise<void> {
    const user = this.startup!.params.user;
    const failed = (): void => {
      const { delayMs, failures } = this.ctx.throttle.failure(this.throttleKey);
      // An unknown user name is not logged: it is too often a password typed into the wrong field.
      const who = userOk ? { user } : { unknownUser: true };
      this.ctx.logger.warn({ ...who, remote: this.socket.remoteAddress, failures, lockedOutMs: delayMs }, 'sql authentication failed');
      this.fatal(new PgError('28P01', `password authentication failed for user "${user}"`));
    };
    if (frame.type !== 'p') return this.fatal(new PgError('08P01', `expected password response, got message type '${frame.type}'`));
    const auth = this.auth!;
    const r = new BodyReader(frame.body);
    const userOk = user === this.ctx.config.user;
    // Every password check waits for this address's lock-out; a SCRAM first message proves nothing yet.
    if (auth.kind !== 'scram-start' && !(await this.waitForLockout())) return;
    try {
      if (auth.kind === 'md5') {
        if (!auth.challenge.verify(r.cstring()) || !userOk) return failed();
      } else if (auth.kind === 'scram-start') {
        const mechanism = r.cstring();
        const len = r.int32();
        const serverFirst = auth.exchange.start(mechanism, r.bytes(Math.max(0, len)).toString('utf8'));
        this.auth = { kind: 'scram-finish', exchange: auth.exchange };
        this.send(msg.authenticationSaslContinue(serverFirst));
        return;
      } else {
        const serverFinal = auth.exchange.finish(r.rest().toString('utf8'));
        if (serverFinal === null || !userOk) return failed();
        this.send(msg.authenticationSaslFinal(serverFinal));
      }
    } catch (err) {
      if (err instanceof PgError) throw err;
      return this.fatal(new PgError('28000', (err as Error).message));
    }
    this.ctx.throttle.success(this.throttleKey);
    await this.completeStartup();
  }

  private async completeStartup(): Promise<void> {
    const params = this.startup!.params;
    const database = params.database || params.user;
    if (database !== this.ctx.config.database) {
      return this.fatal(new PgError('3D000', `database "${database}" does not exist`, { hint: `Connect to database "${this.ctx.config.database}".` }));
    }
    if (this.ctx.active.size >= this.ctx.config.maxConnections) {
      return this.fatal(new PgError('53300', 'sorry, too many clients already'));
    }
    this.ctx.pending.remove(this);
    this.ctx.active.add(this);
    this.reader.maxMessage = MAX_MESSAGE;
    this.conn = await this.ctx.instance.connect();
    this.params = new SessionParameters(this.ctx.config.statementTimeoutMs, { user: params.user, application_name: params.application_name });
    // Lenient, unlike SET: drivers send settings of their own environment (JDBC sends the JVM's TimeZone).
    // Values are still always UTC; unknown or unsupported startup settings are ignored.
    for (const [name, value] of startupSettings(params)) {
      try {
        this.params.set(name, value);
      } catch (err) {
        this.ctx.logger.debug({ pid: this.pid, name, value, err: (err as Error).message }, 'sql startup setting ignored');
      }
    }
    if (this.startupTimer) clearTimeout(this.startupTimer);
    this.startupTimer = null;
    this.state = 'ready';
    this.ctx.sessions.set(this.pid, this);
    this.send(msg.authenticationOk());
    for (const [name, value] of this.params.reported()) this.send(msg.parameterStatus(name, value));
    this.send(msg.backendKeyData(this.pid, this.secret), msg.readyForQuery('I'));
    this.ctx.logger.debug({ pid: this.pid, user: params.user, application: params.application_name }, 'sql session started');
  }

  // ---- statements ---------------------------------------------------------------------------------------

  /**
   * Runs one step of a statement on DuckDB (preparing it, starting it, reading its rows) inside a QueryLimiter
   * slot and under the statement timeout; the timeout, a CancelRequest or closing the session interrupts it. The
   * slot is held until DuckDB returns, even after an interrupt it only notices later. Rejects with the abort reason.
   */
  private async guarded<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    this.abort = abort;
    const timeoutMs = this.params!.statementTimeoutMs;
    const timer =
      timeoutMs > 0 ? setTimeout(() => abort.abort(new PgError('57014', 'canceling statement due to statement timeout')), timeoutMs) : null;
    const interrupt = (): void => this.conn?.interrupt();
    abort.signal.addEventListener('abort', interrupt);
    let release: (() => void) | null = null;
    try {
      release = await this.ctx.limiter.acquire(abort.signal);
      const result = await work(abort.signal);
      abort.signal.throwIfAborted();
      return result;
    } catch (err) {
      if (abort.signal.aborted) throw abort.signal.reason;
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      abort.signal.removeEventListener('abort', interrupt);
      release?.();
      if (this.abort === abort) this.abort = null;
    }
  }

  /** Plans one statement that needs no DuckDB work (empty or emulated); null when DuckDB must prepare it. */
  private plan(stmt: SqlStatement | null, paramOids: number[]): Prepared | null {
    if (stmt === null) return { stmt, emulated: null, duck: null, explain: false, paramOids };
    const emulated = planEmulated(stmt, this.params!);
    return emulated ? { stmt, emulated, duck: null, explain: false, paramOids } : null;
  }

  /** Prepares a statement on DuckDB after the sandbox checks. DuckDB evaluates constants here: call it guarded. */
  private async prepareDuck(stmt: SqlStatement, paramOids: number[]): Promise<Prepared> {
    this.endStream();
    const { prepared: duck, explain } = await prepareChecked(this.conn!, stmt, (s) => rewriteForDuckDB(s, this.params!));
    const oids = [...paramOids];
    for (let i = 0; i < duck.parameterCount; i++) {
      if (!oids[i]) oids[i] = parameterOid(duck, i + 1);
    }
    return { stmt, emulated: null, duck, explain, paramOids: oids };
  }

  /** Binds and starts a DuckDB statement. Call it guarded. */
  private async startStream(prepared: Prepared, params: (Buffer | null)[], paramFormats: number[]): Promise<ResultStream> {
    this.endStream();
    const duck = prepared.duck!;
    duck.clearBindings();
    bindParameters(duck, params, paramFormats, prepared.paramOids);
    this.openStream = await ResultStream.open(duck);
    return this.openStream;
  }

  private endStream(): void {
    this.openStream?.close();
    this.openStream = null;
  }

  /** Sends up to `limit` rows of `stream`, a chunk at a time, each once the client has read the one before. */
  private async sendRows(stream: ResultStream, limit: number, signal: AbortSignal): Promise<void> {
    for (let left = limit; left > 0; ) {
      const rows = await stream.next(left, signal);
      if (rows.length === 0) return;
      left -= rows.length;
      this.send(...rows);
      await this.flush(signal);
      signal.throwIfAborted();
    }
  }

  private static tag(prepared: Prepared, stream: ResultStream): string {
    return prepared.explain ? 'EXPLAIN' : `SELECT ${stream.count}`;
  }

  /** Rejects statements inside a failed transaction block, as PostgreSQL does. */
  private checkTransaction(emulated: EmulatedCommand | null): void {
    if (this.tx === 'E' && !emulated?.allowedWhenFailed) {
      throw new PgError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    }
  }

  private applyEmulated(result: EmulatedResult): string {
    for (const [name, value] of result.parameterStatus ?? []) this.send(msg.parameterStatus(name, value));
    let tag = result.tag;
    switch (result.transaction) {
      case 'begin':
        if (this.tx === 'I') this.tx = 'T';
        break;
      case 'commit':
        if (this.tx === 'E') tag = 'ROLLBACK';
        this.tx = 'I';
        break;
      case 'rollback':
        this.tx = 'I';
        break;
      case 'rollback-to':
        if (this.tx === 'E') this.tx = 'T';
        break;
    }
    if (result.deallocate === '*') this.dropStatements();
    else if (result.deallocate) this.dropStatement(result.deallocate);
    if (result.discardAll) {
      this.dropStatements();
      for (const [name, value] of this.params!.resetAll()) this.send(msg.parameterStatus(name, value));
    }
    return tag;
  }

  // ---- simple query protocol ----------------------------------------------------------------------------

  private async simpleQuery(sql: string): Promise<void> {
    const statements = splitSql(sql);
    if (statements.length === 0) this.send(msg.emptyQueryResponse());
    for (const stmt of statements) {
      try {
        const emulated = this.plan(stmt, [])?.emulated;
        if (emulated) this.runEmulated(emulated);
        else await this.guarded((signal) => this.runSimple(stmt, signal));
      } catch (err) {
        const pgErr = toPgError(err);
        if (pgErr.code === '57P01') return; // connection is closing
        this.sendError(pgErr);
        if (this.tx === 'T') this.tx = 'E';
        break;
      }
    }
    this.send(msg.readyForQuery(this.tx));
    await this.flush();
  }

  private runEmulated(emulated: EmulatedCommand): void {
    this.checkTransaction(emulated);
    const result = emulated.run(this.params!);
    if (emulated.fields) this.send(msg.rowDescription(emulated.fields));
    for (const row of result.rows ?? []) this.send(msg.dataRow(row));
    this.send(msg.commandComplete(this.applyEmulated(result)));
  }

  /** Prepares, runs and streams one DuckDB statement: one statement timeout and one slot for all of it. */
  private async runSimple(stmt: SqlStatement, signal: AbortSignal): Promise<void> {
    this.checkTransaction(null);
    const prepared = await this.prepareDuck(stmt, []);
    try {
      const stream = await this.startStream(prepared, [], []);
      this.send(msg.rowDescription(stream.fields));
      await this.sendRows(stream, Infinity, signal);
      this.send(msg.commandComplete(Session.tag(prepared, stream)));
    } finally {
      prepared.duck!.destroySync();
    }
  }

  // ---- extended query protocol --------------------------------------------------------------------------

  private async parse(body: Buffer): Promise<void> {
    const { name, sql, paramOids } = decodeParse(body);
    if (name && this.statements.has(name)) throw new PgError('42P05', `prepared statement "${name}" already exists`);
    const statements = splitSql(sql);
    if (statements.length > 1) throw new PgError('42601', 'cannot insert multiple commands into a prepared statement');
    const stmt = statements[0] ?? null;
    const prepared = this.plan(stmt, paramOids) ?? (await this.guarded(() => this.prepareDuck(stmt!, paramOids)));
    if (!name) this.dropStatement('');
    this.statements.set(name, prepared);
    this.send(msg.parseComplete());
  }

  private bind(body: Buffer): void {
    const m = decodeBind(body);
    const prepared = this.statements.get(m.statement);
    if (!prepared) throw new PgError('26000', `prepared statement "${m.statement}" does not exist`);
    if (m.resultFormats.some((f) => f !== 0)) {
      throw new PgError('0A000', 'binary result format is not supported; request text format');
    }
    const expected = prepared.duck?.parameterCount ?? 0;
    if (m.params.length !== expected) {
      throw new PgError('08P01', `bind message supplies ${m.params.length} parameters, but prepared statement "${m.statement}" requires ${expected}`);
    }
    if (m.portal && this.portals.has(m.portal)) throw new PgError('42P03', `cursor "${m.portal}" already exists`);
    this.portals.set(m.portal, { prepared, params: m.params, paramFormats: m.paramFormats, emulated: null, stream: null });
    this.send(msg.bindComplete());
  }

  private async describe(body: Buffer): Promise<void> {
    const { target, name } = decodeTarget(body);
    if (target === 'S') {
      const prepared = this.statements.get(name);
      if (!prepared) throw new PgError('26000', `prepared statement "${name}" does not exist`);
      this.send(msg.parameterDescription(prepared.paramOids));
      const fields = prepared.emulated?.fields ?? (prepared.duck ? statementFields(prepared.duck) : null);
      this.send(fields ? msg.rowDescription(fields) : msg.noData());
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) throw new PgError('34000', `portal "${name}" does not exist`);
    if (portal.prepared.emulated) {
      const fields = portal.prepared.emulated.fields;
      this.send(fields ? msg.rowDescription(fields) : msg.noData());
      return;
    }
    if (!portal.prepared.duck) return void this.send(msg.noData());
    // Column types can depend on the bound parameters, so the portal starts now and Execute reads its rows.
    const stream = await this.guarded(() => this.portalStream(portal));
    this.send(msg.rowDescription(stream.fields));
  }

  private async portalStream(portal: Portal): Promise<ResultStream> {
    if (portal.stream) return portal.stream;
    this.checkTransaction(null);
    portal.stream = await this.startStream(portal.prepared, portal.params, portal.paramFormats);
    return portal.stream;
  }

  private async execute(body: Buffer): Promise<void> {
    const { portal: name, maxRows } = decodeExecute(body);
    const portal = this.portals.get(name);
    if (!portal) throw new PgError('34000', `portal "${name}" does not exist`);
    if (!portal.prepared.stmt) return void this.send(msg.emptyQueryResponse());
    const limit = maxRows > 0 ? maxRows : Infinity;
    if (portal.prepared.emulated) return this.executeEmulated(portal, portal.prepared.emulated, limit);
    await this.guarded(async (signal) => {
      const stream = await this.portalStream(portal);
      await this.sendRows(stream, limit, signal);
      this.send((await stream.done(signal)) ? msg.commandComplete(Session.tag(portal.prepared, stream)) : msg.portalSuspended());
    });
  }

  private executeEmulated(portal: Portal, emulated: EmulatedCommand, limit: number): void {
    if (!portal.emulated) {
      this.checkTransaction(emulated);
      const result = emulated.run(this.params!);
      const tag = this.applyEmulated(result);
      portal.emulated = { rows: (result.rows ?? []).map((r) => msg.dataRow(r)), tag, sent: 0 };
    }
    const { rows, tag } = portal.emulated;
    const end = Math.min(rows.length, portal.emulated.sent + limit);
    for (; portal.emulated.sent < end; portal.emulated.sent++) this.send(rows[portal.emulated.sent]);
    this.send(portal.emulated.sent < rows.length ? msg.portalSuspended() : msg.commandComplete(tag));
  }

  private closeTarget(body: Buffer): void {
    const { target, name } = decodeTarget(body);
    if (target === 'S') this.dropStatement(name);
    else this.portals.delete(name);
    this.send(msg.closeComplete());
  }

  private dropStatement(name: string): void {
    const prepared = this.statements.get(name);
    if (!prepared) return;
    this.statements.delete(name);
    for (const [portalName, portal] of this.portals) if (portal.prepared === prepared) this.portals.delete(portalName);
    prepared.duck?.destroySync();
  }

  private dropStatements(): void {
    for (const name of [...this.statements.keys()]) this.dropStatement(name);
  }
}

/** Settings a client passes in the startup packet (pgx runtime params, `options=-c name=value`). */
function startupSettings(params: Record<string, string>): [string, string][] {
  const out: [string, string][] = [];
  const skip = new Set(['user', 'database', 'options', 'replication', 'application_name']);
  for (const [k, v] of Object.entries(params)) {
    if (!skip.has(k) && !k.startsWith('_pq_.')) out.push([k, v]);
  }
  const options = params.options ?? '';
  for (const m of options.matchAll(/(?:-c\s*|--)([A-Za-z_.]+)=((?:\\.|\S)*)/g)) out.push([m[1].replace(/-/g, '_'), m[2].replace(/\\(.)/g, '$1')]);
  return out;
}

/** The columns a prepared statement will return, before execution; unresolved types are announced as text. */
function statementFields(duck: DuckDBPreparedStatement): FieldDescription[] | null {
  if (duck.columnCount === 0) return null;
  const fields: FieldDescription[] = [];
  for (let i = 0; i < duck.columnCount; i++) {
    let oid: number = OID.text;
    try {
      oid = duck.columnTypeId(i) === 0 ? OID.text : pgColumnType(duck.columnType(i)).oid;
    } catch {
      // type not resolved until parameters are bound
    }
    fields.push({ name: duck.columnName(i), typeOid: oid, typeSize: typeSize(oid) });
  }
  return fields;
}

/** The OID DuckDB inferred for parameter `index` (1-based), or text when it could not. */
function parameterOid(duck: DuckDBPreparedStatement, index: number): number {
  try {
    return duck.parameterTypeId(index) === 0 ? OID.text : pgColumnType(duck.parameterType(index)).oid;
  } catch {
    return OID.text;
  }
}
