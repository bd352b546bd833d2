import type { TraceRequest } from '../decode/otlp-types.js';

/** What one export request produced; rejected spans become OTLP partial_success. */
export interface ExportResult {
  accepted: number;
  ignored: number;
  rejected: number;
  /** Human-readable reason when spans were rejected. */
  message?: string;
}

/**
 * The one export path both transports call. Resolves after the accepted events are committed; rejects with a
 * SpyglassError (decode, overload, write failure) that each transport maps to its own status.
 */
export type ExportFn = (request: TraceRequest) => Promise<ExportResult>;
