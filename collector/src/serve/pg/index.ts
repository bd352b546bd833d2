/** PostgreSQL wire-protocol SQL endpoint over the collector's DuckDB database. */
export { createPgServer, type PgServer, type PgServerSettings } from './server.js';
export { DEFAULT_SQL_CONFIG, validateSqlConfig, generatePassword, parseListen, type SqlConfig, type SqlAuthMethod } from './config.js';
export { lockDownInstance, type LockDownOptions } from './sandbox.js';
export { runSqlOverWire, type WireTarget, type WireResult } from './client.js';
export { sqlEndpointExtension, type SqlExtensionOptions } from './extension.js';
export { readSqlPassword, readOrCreateSqlPassword, sqlPasswordFile } from './password-file.js';
