import type { SecurityEventView } from '../event-view.js';
import type { Predicate } from '../predicate.js';
import type { RuleDefinition } from '../rule-types.js';
import type { Emit, StreamingRule } from './types.js';

/** Per-event predicate: every matching event is a match for its identity (the scorer applies the cooldown). */
export class EventRule implements StreamingRule {
  readonly id: string;

  constructor(
    def: RuleDefinition,
    private readonly predicate: Predicate,
  ) {
    this.id = def.id;
  }

  observe(view: SecurityEventView, emit: Emit): void {
    if (!this.predicate(view)) return;
    const e = view.event;
    emit({
      ruleId: this.id,
      identity: e.identity,
      identityKind: e.identityKind,
      timeUs: e.timeUs,
      evidence: () => JSON.stringify({ method: e.httpMethod, path: e.urlPath, query: e.urlQuery, status: e.statusCode, ua: e.userAgent, ip: e.ip }),
    });
  }

  evict(): number {
    return 0;
  }
}
