import type { OtlpEncoding } from '../decode/body.js';

/** What one export request produced; rejected spans become OTLP partial_success. */
export interface ExportResult {
  accepted: number;
  ignored: number;
  rejected: number;
  /** Human-readable reason when spans were rejected. */
  message?: string;
}

/**
 * The one export path both transports call, with the body as received. Resolves after the accepted events are
 * committed; rejects with a SpyglassError (decode, overload, write failure) that each transport maps to its own status.
 */
export type ExportFn = (body: Buffer, encoding: OtlpEncoding, contentEncoding: string | undefined) => Promise<ExportResult>;
