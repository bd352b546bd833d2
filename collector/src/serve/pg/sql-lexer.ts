/**
 * Just enough SQL lexing to split a query string into statements and look at their leading keywords and function
 * calls, respecting PostgreSQL/DuckDB quoting: '…' (with ''), E'…' (with backslash escapes), "…" identifiers,
 * $tag$…$tag$ bodies, -- line comments and nested /* block comments *\/. It never judges validity: DuckDB does.
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'param' | 'op';

export interface Token {
  kind: TokenKind;
  /** Words are lower-cased; quoted identifiers and strings are unquoted. */
  value: string;
  start: number;
  end: number;
}

export interface SqlStatement {
  /** The statement's source text without the trailing ';' and surrounding whitespace. */
  text: string;
  tokens: Token[];
  /** Offset of the first token in the source (used to rewrite slices). */
  offset: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Splits SQL into statements; comment-only or empty pieces are dropped, so '' or '-- ping' give []. */
export function splitSql(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let tokens: Token[] = [];
  const flush = (): void => {
    if (tokens.length > 0) {
      const offset = tokens[0].start;
      const end = tokens[tokens.length - 1].end;
      statements.push({ text: sql.slice(offset, end), tokens: tokens.map((t) => ({ ...t, start: t.start - offset, end: t.end - offset })), offset });
    }
    tokens = [];
  };
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (c === ';') {
      flush();
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') (depth++, (i += 2));
        else if (sql[i] === '*' && sql[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else if (c === "'") {
      const [value, end] = readQuoted(sql, i, "'", false);
      tokens.push({ kind: 'string', value, start: i, end });
      i = end;
    } else if (c === '"') {
      const [value, end] = readQuoted(sql, i, '"', false);
      tokens.push({ kind: 'ident', value, start: i, end });
      i = end;
    } else if (c === '$') {
      const param = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      const tag = param ? null : /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66));
      if (param) {
        tokens.push({ kind: 'param', value: param[1], start: i, end: i + param[0].length });
        i += param[0].length;
      } else if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const end = close < 0 ? n : close + tag[0].length;
        tokens.push({ kind: 'string', value: sql.slice(i + tag[0].length, close < 0 ? n : close), start: i, end });
        i = end;
      } else {
        tokens.push({ kind: 'op', value: c, start: i, end: i + 1 });
        i++;
      }
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^[0-9._]*(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', value: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j])) j++;
      const word = sql.slice(i, j);
      if (sql[j] === "'" && /^[eE]$/.test(word)) {
        const [value, end] = readQuoted(sql, j, "'", true);
        tokens.push({ kind: 'string', value, start: i, end });
        i = end;
      } else {
        tokens.push({ kind: 'word', value: word.toLowerCase(), start: i, end: j });
        i = j;
      }
    } else {
      tokens.push({ kind: 'op', value: c, start: i, end: i + 1 });
      i++;
    }
  }
  flush();
  return statements;
}

/** Reads a quoted run starting at `start` (the opening quote); a doubled quote is an escaped quote. */
function readQuoted(sql: string, start: number, quote: string, backslashes: boolean): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashes && c === '\\' && i + 1 < sql.length) {
      out += sql[i + 1];
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) {
        out += quote;
        i += 2;
      } else {
        return [out, i + 1];
      }
    } else {
      out += c;
      i++;
    }
  }
  return [out, sql.length];
}

/** Lower-cased leading words of a statement, e.g. ['set', 'session', 'statement_timeout']. */
export function leadingWords(stmt: SqlStatement, count: number): string[] {
  const out: string[] = [];
  for (const t of stmt.tokens) {
    if (t.kind !== 'word' || out.length >= count) break;
    out.push(t.value);
  }
  return out;
}

/** Names of everything called like a function (`name(` or `"name"(`), lower-cased. */
export function calledFunctions(stmt: SqlStatement): Set<string> {
  const out = new Set<string>();
  stmt.tokens.forEach((t, i) => {
    const next = stmt.tokens[i + 1];
    if ((t.kind === 'word' || t.kind === 'ident') && next?.kind === 'op' && next.value === '(') out.add(t.value.toLowerCase());
  });
  return out;
}
