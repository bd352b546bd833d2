import type { SecurityEvent } from '../events/security-event.js';
import type { WeightClass } from './weights.js';

/** A filter as written in YAML: field conditions (all must hold) plus optional `any` / `all` / `not`. */
export type FilterSpec = Record<string, unknown>;

export type RuleKind = 'event' | 'window' | 'sql';

/** Fields a window rule may group by. `identity` keeps the rule per identity; the others make it cross-identity. */
export const GROUP_FIELDS = ['identity', 'network', 'ip', 'asn', 'as_org', 'user_agent', 'http_route', 'url_path', 'user_id', 'country'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

export interface WindowCondition {
  /** At least this many events matching `filter` in the window. */
  count?: number;
  /** Field counted once per value (among events matching `filter`). */
  distinct?: string;
  /** At least this many distinct values of `distinct`. */
  distinctCount?: number;
  /** Share of `base` events that also match `filter`. */
  ratio?: { base: FilterSpec; min: number; minBase: number };
}

export interface RuleDefinition {
  id: string;
  name: string;
  description: string;
  /** Where the rule comes from (tirreno UID, CrowdSec scenario, OWASP OAT id, …). */
  source: string;
  weight: WeightClass;
  kind: RuleKind;
  tags: string[];
  filter: FilterSpec;
  /** Window rules. */
  groupBy: GroupField;
  windowSeconds: number;
  condition: WindowCondition;
  /** Cross-identity rules: only members with at least this many matching events in the window get the hit. */
  memberMinEvents: number;
  /**
   * Cross-identity rules: who gets the hit. `members` = identities that contributed matching events; `group` = the
   * group itself as a network identity (group_by: network only); `both`.
   */
  attribute: 'members' | 'group' | 'both';
  /** After a hit, the same identity is not written another hit for this rule for this long (still counts). */
  cooldownSeconds: number;
  /** SQL rules. */
  sql: string | null;
  everySeconds: number;
  /** Folder the rule was loaded from (cases live in `cases/` beside it). */
  dir: string | null;
}

/** Values derived once per event for predicates. */
export interface EventView {
  readonly event: SecurityEvent;
  get(field: string): string | number | boolean | null;
  /** The field lower-cased, or null. */
  lower(field: string): string | null;
}

export interface RuleHit {
  timeUs: number;
  identity: string;
  identityKind: string;
  ruleId: string;
  evidence: string;
}
