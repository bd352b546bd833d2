import { context, trace, type Context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/** What the application said about the current request. */
export interface RequestState {
  user?: string;
  eventType?: string;
}

// Kept on globalThis so that two copies of this package (e.g. one bundled, one installed) share one registry.
const REGISTRY_KEY = Symbol.for('@spyglass/instrumentation.request-state');
const holder = globalThis as unknown as Record<symbol, WeakMap<Span, RequestState> | undefined>;
const states: WeakMap<Span, RequestState> = (holder[REGISTRY_KEY] ??= new WeakMap());

/**
 * The server span of the request whose async context is active. The HTTP instrumentation puts an RPC metadata
 * object holding that span into the request's context; every child context (framework hooks, middleware,
 * handlers) inherits it. Without it, the active span is the best guess.
 */
export function currentRequestSpan(ctx: Context = context.active()): Span | undefined {
  const meta = getRPCMetadata(ctx);
  if (meta?.type === RPCType.HTTP && meta.span) return meta.span;
  return trace.getSpan(ctx);
}

export function requestStateOf(span: Span): RequestState | undefined {
  return states.get(span);
}

export function ensureRequestState(span: Span): RequestState {
  let state = states.get(span);
  if (!state) {
    state = {};
    states.set(span, state);
  }
  return state;
}
