import { EventRule } from './evaluators/event-rule.js';
import type { StreamingRule } from './evaluators/types.js';
import type { IdentityWindows } from './evaluators/window-state.js';
import { WindowRule } from './evaluators/window-rule.js';
import { compileFilter } from './predicate.js';
import type { PatternLists } from './predicate.js';
import type { RuleDefinition } from './rule-types.js';

/** Builds the evaluator of a streaming rule (event or window kind); SQL rules are run by the scheduler. */
export function compileStreamingRule(def: RuleDefinition, lists: PatternLists, identityWindows: IdentityWindows): StreamingRule {
  const where = `rule ${def.id}`;
  const predicate = compileFilter(def.filter, lists, `${where}: filter`);
  if (def.kind === 'event') return new EventRule(def, predicate);
  if (def.kind === 'window') {
    const base = def.condition.ratio ? compileFilter(def.condition.ratio.base, lists, `${where}: condition.ratio.base`) : null;
    return new WindowRule(def, predicate, base, identityWindows);
  }
  throw new Error(`${where}: kind ${def.kind} is not a streaming rule`);
}
