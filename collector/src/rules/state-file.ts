/** Where live rule changes are kept: `rules.stateFile`, else next to the database file (`<db>.rules.json`). */
export function defaultStateFile(db: string | undefined, configured: string | null): string | null {
  if (configured) return configured;
  if (!db || db === ':memory:') return null;
  return `${db}.rules.json`;
}
