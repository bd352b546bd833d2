/**
 * PostgreSQL run-time parameters as a session sees them. They are emulated per session and never reach DuckDB,
 * whose settings are instance-wide and locked. Only client-facing parameters exist; anything else is refused.
 */
import { PgError } from './pg-error.js';

interface ParameterDef {
  /** Canonical spelling (used in ParameterStatus and SHOW ALL). */
  name: string;
  initial: string;
  /** Sent as ParameterStatus at startup and when changed. */
  reported?: boolean;
  /** Normalizes a value or throws; absent means read-only. */
  accept?: (value: string) => string;
}

const anyValue = (v: string): string => v;
const oneOf =
  (name: string, allowed: RegExp, canonical?: string) =>
  (v: string): string => {
    if (!allowed.test(v.trim())) {
      throw new PgError('22023', `invalid value for parameter "${name}": "${v}"`, {
        hint: `The Spyglass SQL endpoint supports only ${canonical ?? allowed.source}.`,
      });
    }
    return canonical ?? v.trim();
  };
const onOff = (name: string) => (v: string): string => {
  if (/^(on|true|yes|1|t)$/i.test(v)) return 'on';
  if (/^(off|false|no|0|f)$/i.test(v)) return 'off';
  throw new PgError('22023', `parameter "${name}" requires a Boolean value`);
};

/** Parses a PostgreSQL duration ('5000', '5s', '1min', '250ms') to milliseconds. */
export function parseDurationMs(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(value);
  if (!m) throw new PgError('22023', `invalid value for parameter "${name}": "${value}"`);
  const scale = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms').toLowerCase()]!;
  return Math.round(Number(m[1]) * scale);
}

export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const duration = (name: string) => (v: string): string => formatDurationMs(parseDurationMs(name, v));

/**
 * A statement timeout a client asks for, capped by the configured one (`maxMs`, 0 = no cap): a session may lower
 * it, never raise or disable it; 0 ("none") means the cap.
 */
const cappedTimeout = (maxMs: number) => (v: string): string => {
  const ms = parseDurationMs('statement_timeout', v);
  return formatDurationMs(maxMs > 0 && (ms === 0 || ms > maxMs) ? maxMs : ms);
};

export const SERVER_VERSION = '16.0';

function definitions(statementTimeoutMs: number): ParameterDef[] {
  return [
    { name: 'server_version', initial: SERVER_VERSION, reported: true },
    { name: 'server_version_num', initial: '160000' },
    { name: 'server_encoding', initial: 'UTF8', reported: true },
    { name: 'client_encoding', initial: 'UTF8', reported: true, accept: oneOf('client_encoding', /^(utf-?8|unicode|sql_ascii|auto)$/i, 'UTF8') },
    { name: 'DateStyle', initial: 'ISO, MDY', reported: true, accept: oneOf('DateStyle', /^iso(\s*,\s*(mdy|dmy|ymd))?$/i, 'ISO, MDY') },
    { name: 'TimeZone', initial: 'UTC', reported: true, accept: oneOf('TimeZone', /^(utc|etc\/utc|gmt|etc\/gmt|z|zulu|utc0|\+?0+(:00)?|local|default)$/i, 'UTC') },
    { name: 'IntervalStyle', initial: 'postgres', reported: true, accept: oneOf('IntervalStyle', /^postgres$/i, 'postgres') },
    { name: 'integer_datetimes', initial: 'on', reported: true },
    { name: 'standard_conforming_strings', initial: 'on', reported: true, accept: oneOf('standard_conforming_strings', /^(on|true)$/i, 'on') },
    { name: 'is_superuser', initial: 'off', reported: true },
    { name: 'application_name', initial: '', reported: true, accept: anyValue },
    { name: 'session_authorization', initial: '', reported: true },
    { name: 'in_hot_standby', initial: 'off', reported: true },
    { name: 'default_transaction_read_only', initial: 'on', reported: true, accept: anyValue },
    { name: 'transaction_read_only', initial: 'on', accept: anyValue },
    { name: 'default_transaction_isolation', initial: 'read committed', accept: anyValue },
    { name: 'transaction_isolation', initial: 'read committed', accept: anyValue },
    { name: 'extra_float_digits', initial: '1', accept: oneOf('extra_float_digits', /^-?[0-3]$/) },
    { name: 'search_path', initial: '"$user", public', accept: anyValue },
    { name: 'statement_timeout', initial: formatDurationMs(statementTimeoutMs), accept: cappedTimeout(statementTimeoutMs) },
    { name: 'lock_timeout', initial: '0', accept: duration('lock_timeout') },
    { name: 'idle_in_transaction_session_timeout', initial: '0', accept: duration('idle_in_transaction_session_timeout') },
    { name: 'idle_session_timeout', initial: '0', accept: duration('idle_session_timeout') },
    { name: 'client_min_messages', initial: 'notice', accept: anyValue },
    { name: 'bytea_output', initial: 'hex', accept: oneOf('bytea_output', /^hex$/i, 'hex') },
    { name: 'max_identifier_length', initial: '63' },
    { name: 'jit', initial: 'off', accept: anyValue },
    { name: 'row_security', initial: 'on', accept: onOff('row_security') },
    { name: 'synchronous_commit', initial: 'on', accept: anyValue },
  ];
}

/** The parameters of one session. Names are case-insensitive. */
export class SessionParameters {
  private readonly defs = new Map<string, ParameterDef>();
  private readonly values = new Map<string, string>();

  constructor(statementTimeoutMs: number, startup: { user: string; application_name?: string }) {
    for (const d of definitions(statementTimeoutMs)) this.defs.set(d.name.toLowerCase(), d);
    this.defs.get('session_authorization')!.initial = startup.user;
    if (startup.application_name) this.values.set('application_name', startup.application_name);
  }

  /** True for a parameter this session knows (built-in, or a custom `prefix.name` set earlier). */
  has(name: string): boolean {
    return this.defs.has(name.toLowerCase()) || this.values.has(name.toLowerCase());
  }

  get(name: string): string {
    const key = name.toLowerCase();
    const value = this.values.get(key) ?? this.defs.get(key)?.initial;
    if (value === undefined) throw new PgError('42704', `unrecognized configuration parameter "${name}"`);
    return value;
  }

  canonicalName(name: string): string {
    return this.defs.get(name.toLowerCase())?.name ?? name.toLowerCase();
  }

  /** The statement timeout in force, in ms (0 = none). */
  get statementTimeoutMs(): number {
    return parseDurationMs('statement_timeout', this.get('statement_timeout'));
  }

  /**
   * Sets a parameter (value null = DEFAULT). Returns [name, value] when a ParameterStatus should be sent.
   * Throws 42501 for names that are not client session parameters (DuckDB settings such as threads).
   */
  set(name: string, value: string | null): [string, string] | null {
    const key = name.toLowerCase();
    const def = this.defs.get(key);
    if (!def) {
      if (!key.includes('.')) {
        throw new PgError('42501', `permission denied to set parameter "${name}"`, {
          hint: 'The Spyglass SQL endpoint is read-only; only PostgreSQL client session parameters (application_name, statement_timeout, search_path, …) can be set.',
        });
      }
      // Custom "prefix.name" placeholders are per-session strings in PostgreSQL too.
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
      return null;
    }
    if (!def.accept) throw new PgError('55P02', `parameter "${def.name}" cannot be changed`);
    if (value === null) this.values.delete(key);
    else this.values.set(key, def.accept(value));
    return def.reported ? [def.name, this.get(key)] : null;
  }

  resetAll(): [string, string][] {
    const changed: [string, string][] = [];
    for (const key of [...this.values.keys()]) {
      const def = this.defs.get(key);
      this.values.delete(key);
      if (def?.reported) changed.push([def.name, this.get(key)]);
    }
    return changed;
  }

  /** Parameters announced with ParameterStatus after authentication. */
  reported(): [string, string][] {
    return [...this.defs.values()].filter((d) => d.reported).map((d) => [d.name, this.get(d.name)]);
  }

  all(): [string, string][] {
    return [...this.defs.values()].map((d) => [d.name, this.get(d.name)]);
  }
}
