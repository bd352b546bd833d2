import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Context, Link } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';

/** `fastify.root` = '@fastify/otel': how @fastify/otel marks its own INTERNAL `request` span. */
const FASTIFY_ROOT_ATTRIBUTE = 'fastify.root';

/**
 * With `SPYGLASS_FASTIFY_INSTRUMENTATION=otel`, Spyglass installs @fastify/otel for one thing: the route template
 * it puts on the HTTP server span. Its own INTERNAL `request` span (and so everything under it) adds nothing a
 * security event needs but costs CPU on every request, so it is not recorded. The route is set before that span starts, so server spans keep it.
 */
class DropFrameworkSpans implements Sampler {
  shouldSample(_ctx: Context, _traceId: string, _name: string, kind: SpanKind, attributes: Attributes, _links: Link[]): SamplingResult {
    if (kind === SpanKind.INTERNAL && attributes[FASTIFY_ROOT_ATTRIBUTE] === '@fastify/otel') return { decision: SamplingDecision.NOT_RECORD };
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return 'SpyglassDropFrameworkSpans';
  }
}

/** Parent-based: roots are sampled, children of unrecorded framework spans are not, everything else is kept. */
export function spyglassSampler(): Sampler {
  return new ParentBasedSampler({
    root: new AlwaysOnSampler(),
    localParentSampled: new DropFrameworkSpans(),
    localParentNotSampled: new AlwaysOffSampler(),
  });
}
