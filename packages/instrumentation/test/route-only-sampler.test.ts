import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { spyglassSampler } from '../src/route-only-sampler.js';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const parent = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'b7ad6b7169203331', traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: false });

describe('route-only-sampler.ts', () => {
  const sampler = spyglassSampler();

  it('records root server spans', () => {
    expect(sampler.shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER, {}, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it("does not record @fastify/otel's own request span, nor what starts under it", () => {
    const fastifyRequest = sampler.shouldSample(parent(true), traceId, 'request', SpanKind.INTERNAL, { 'fastify.root': '@fastify/otel' }, []);
    expect(fastifyRequest.decision).toBe(SamplingDecision.NOT_RECORD);
    expect(sampler.shouldSample(parent(false), traceId, 'handler', SpanKind.INTERNAL, {}, []).decision).toBe(SamplingDecision.NOT_RECORD);
  });

  it("keeps the application's own spans under a recorded server span", () => {
    expect(sampler.shouldSample(parent(true), traceId, 'db query', SpanKind.CLIENT, {}, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(sampler.shouldSample(parent(true), traceId, 'work', SpanKind.INTERNAL, {}, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
