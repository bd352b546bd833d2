import type { CollectorExtension } from '../collector.js';

/** The stages the CLI runs besides the spine (enrichment, rules, SQL endpoint), in pipeline order. */
export function builtinExtensions(): CollectorExtension[] {
  return [];
}
