import { DEFAULT_EVENT_TYPE, ERROR_EVENT_TYPE } from './event-types.js';
import type { RouteClassifier, RouteRequest } from './route-rules.js';

/**
 * The event type of a request: an explicit type wins, then the first route rule that matches,
 * then `page_error` for status >= 400, then `page_view`.
 */
export function resolveEventType(explicit: string | undefined, classifier: RouteClassifier, req: RouteRequest): string {
  if (explicit) return explicit;
  const fromRule = classifier.classify(req);
  if (fromRule) return fromRule;
  if (req.statusCode !== undefined && req.statusCode >= 400) return ERROR_EVENT_TYPE;
  return DEFAULT_EVENT_TYPE;
}
