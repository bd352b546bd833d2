const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `90s`, `2m`, `1h`, `7d` (or a plain number of seconds) into seconds; throws naming `what` when invalid. */
export function parseDurationSeconds(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string') {
    const m = DURATION_RE.exec(value.trim());
    if (m) {
      const seconds = Number(m[1]) * UNIT_SECONDS[m[2]];
      if (seconds > 0) return seconds;
    }
  }
  throw new Error(`${what}: ${JSON.stringify(value)} is not a duration like "30s", "2m", "1h" or "7d"`);
}
