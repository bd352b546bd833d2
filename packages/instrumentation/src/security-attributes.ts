import type { Attributes } from '@opentelemetry/api';
import { maskIp, resolveEventType, type RouteClassifier } from '@spyglass/core';
import {
  ATTR_SPYGLASS_EVENT_TYPE,
  ATTR_SPYGLASS_IDENTITY,
  ATTR_SPYGLASS_IDENTITY_KIND,
  ATTR_USER_ID,
} from './semconv.js';

/** Everything known about a finished request that decides its identity and event type. */
export interface RequestFacts {
  user?: string;
  eventType?: string;
  clientIp?: string;
  /** `maskIp(clientIp)`, when the caller already has it. */
  network?: string;
  method?: string;
  route?: string;
  path?: string;
  statusCode?: number;
}

/**
 * The Spyglass attributes of a finished request: a logged-in user is identified by name (`user.id` too),
 * anyone else by their masked network (`192.168.1.*`, IPv6 /64). The event type is the explicit one, else the
 * first matching route rule, else `page_error` (status >= 400) or `page_view`.
 */
export function securityAttributes(facts: RequestFacts, classifier: RouteClassifier): Attributes {
  const attrs: Attributes = {
    [ATTR_SPYGLASS_EVENT_TYPE]: resolveEventType(facts.eventType, classifier, {
      method: facts.method,
      route: facts.route,
      path: facts.path,
      statusCode: facts.statusCode,
    }),
  };
  if (facts.user) {
    attrs[ATTR_USER_ID] = facts.user;
    attrs[ATTR_SPYGLASS_IDENTITY] = facts.user;
    attrs[ATTR_SPYGLASS_IDENTITY_KIND] = 'user';
    return attrs;
  }
  const network = facts.network ?? maskIp(facts.clientIp);
  if (network) {
    attrs[ATTR_SPYGLASS_IDENTITY] = network;
    attrs[ATTR_SPYGLASS_IDENTITY_KIND] = 'network';
  }
  return attrs;
}
