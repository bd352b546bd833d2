import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generatePassword } from './config.js';

/** Where the generated SQL password of a database lives: next to the file, readable by its owner only. */
export function sqlPasswordFile(dbPath: string): string {
  return `${dbPath}.sql-password`;
}

export function readSqlPassword(dbPath: string): string | undefined {
  const file = sqlPasswordFile(dbPath);
  if (!existsSync(file)) return undefined;
  const value = readFileSync(file, 'utf8').trim();
  return value || undefined;
}

/** The saved password, or a new one saved now (`created` tells which, so it is printed only once). */
export function readOrCreateSqlPassword(dbPath: string): { password: string; file: string; created: boolean } {
  const file = sqlPasswordFile(dbPath);
  const existing = readSqlPassword(dbPath);
  if (existing) return { password: existing, file, created: false };
  const password = generatePassword();
  writeFileSync(file, password + '\n', { mode: 0o600 });
  return { password, file, created: true };
}
