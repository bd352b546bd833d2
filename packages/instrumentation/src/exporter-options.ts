import { SpyglassConfigError } from './config-error.js';

/** Where spans go when no OTEL_EXPORTER_OTLP_*ENDPOINT is set: a collector on this machine. */
export const DEFAULT_OTLP_TRACES_URL = 'http://127.0.0.1:4318/v1/traces';

/**
 * Options for the OTLP/HTTP protobuf trace exporter. The exporter itself reads the standard variables
 * (endpoint, headers, timeout, compression); only the default endpoint differs from OpenTelemetry's `localhost`.
 */
export function exporterOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { url?: string } {
  for (const key of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[key]?.trim();
    if (protocol && protocol !== 'http/protobuf') {
      throw new SpyglassConfigError(key, `"${protocol}" is not supported by @spyglass/instrumentation/register (use http/protobuf, or wire your own SDK as the README shows)`);
    }
  }
  const exporters = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporters && exporters !== 'otlp') {
    throw new SpyglassConfigError('OTEL_TRACES_EXPORTER', `"${exporters}" is not supported by @spyglass/instrumentation/register (only otlp)`);
  }
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) return {};
  return { url: DEFAULT_OTLP_TRACES_URL };
}
