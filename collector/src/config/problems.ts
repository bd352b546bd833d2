/** Helpers shared by the config validators: every problem is reported as `key: what is wrong`, all at once. */

/** Thrown by a section validator with every problem it found, each naming its key. */
export class ConfigProblems extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigProblems';
  }
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a value is, for messages: "a string", "a list", "null", … */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

/** Runs `check`, recording the message it throws (if any) instead of stopping at it. */
export function attempt(problems: string[], check: () => void): void {
  try {
    check();
  } catch (err) {
    problems.push(...(err instanceof ConfigProblems ? err.problems : [(err as Error).message]));
  }
}

/**
 * Checks that `value` has the structure of `template`: a mapping wherever the template holds a mapping, a list wherever
 * it holds a list, recursively (keys that are unset are skipped). Pushes one problem per mismatch and returns the keys
 * found wrong, so that nothing under them is reported again.
 */
export function checkShape(value: unknown, template: unknown, key: string, problems: string[]): string[] {
  const want = isMapping(template) ? 'a mapping' : Array.isArray(template) ? 'a list' : null;
  if (want === null) return [];
  if (want === 'a list' ? !Array.isArray(value) : !isMapping(value)) {
    problems.push(`${key}: must be ${want} (got ${kindOf(value)})`);
    return [key];
  }
  if (!isMapping(template) || !isMapping(value)) return [];
  return Object.entries(template).flatMap(([k, t]) => (value[k] === undefined ? [] : checkShape(value[k], t, `${key}.${k}`, problems)));
}

/** Whether a problem is about `key` or something under it. */
export function isUnder(problem: string, key: string): boolean {
  return problem.startsWith(key) && /^[.:[ ]/.test(problem.slice(key.length));
}

/** Throws a ConfigProblems listing `problems`, if there are any. */
export function throwProblems(problems: string[]): void {
  if (problems.length) throw new ConfigProblems(problems);
}
