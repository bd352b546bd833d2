/** An error to send to the client as an ErrorResponse with a PostgreSQL SQLSTATE. */
export class PgError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { hint?: string; detail?: string; fatal?: boolean } = {},
  ) {
    super(message);
    this.name = 'PgError';
  }
}

/** DuckDB error-message prefixes ("Catalog Error: ...") and the SQLSTATE closest to each. */
const DUCKDB_CODES: [RegExp, string][] = [
  [/^Parser Error/, '42601'],
  [/^Catalog Error: (Scalar |Table |Aggregate )?Function/, '42883'],
  [/^Catalog Error/, '42P01'],
  [/^Binder Error: Referenced column/, '42703'],
  [/^Binder Error/, '42804'],
  [/^Conversion Error/, '22P02'],
  [/^Out of Range Error/, '22003'],
  [/^Invalid Input Error/, '22023'],
  [/^Permission Error/, '42501'],
  [/^Out of Memory Error/, '53200'],
  [/^INTERRUPT Error/, '57014'],
  [/[Dd]ivision by zero/, '22012'],
  [/^Constraint Error/, '23000'],
];

/** Wraps any thrown value as a PgError, mapping DuckDB's messages to SQLSTATEs (XX000 when unknown). */
export function toPgError(err: unknown): PgError {
  if (err instanceof PgError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^Out of Memory Error: failed to offload/.test(message) && message.includes('max_temp_directory_size')) {
    // DuckDB's advice (SET this, PRAGMA that) is not open to SQL users.
    return new PgError('53100', `could not spill to disk: ${message.split('\n')[0].replace(/^Out of Memory Error: /, '')}`, {
      hint: 'The query needs more temporary disk space than sql.maxTempDirectorySize allows; narrow it (time range, fewer columns, LIMIT).',
    });
  }
  const code = DUCKDB_CODES.find(([re]) => re.test(message))?.[1] ?? 'XX000';
  return new PgError(code, message);
}
