import type { SecurityEventView } from '../event-view.js';

/** A rule match the evaluator reports; the scorer decides whether it becomes a written hit (cooldown). */
export interface Match {
  ruleId: string;
  identity: string;
  identityKind: string;
  timeUs: number;
  /** JSON text, or a function building it (only called when a hit row is written). */
  evidence: string | (() => string);
}

export type Emit = (m: Match) => void;

/** One compiled rule of kind event or window; fed every event of a batch. */
export interface StreamingRule {
  readonly id: string;
  /** For window rules keyed by identity: their slot in the engine's IdentityWindows and their window (µs). */
  readonly identityWindow?: { slot: number; windowUs: number };
  observe(view: SecurityEventView, emit: Emit): void;
  /** Drops state older than its window; returns how many keys it still holds (identity windows: see IdentityWindows). */
  evict(nowUs: number, maxKeys: number): number;
}
