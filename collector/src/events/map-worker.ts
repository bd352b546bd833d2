/** Worker thread entry of `OffThreadMapper`: bodies in, events (or the SpyglassError's parts) out. */
import { parentPort, workerData } from 'node:worker_threads';
import { compileRouteRules } from '@spyglass/core';
import type { RouteRuleConfig } from '@spyglass/core';
import { isSpyglassError } from '../errors.js';
import { mapBody } from './map-body.js';
import type { MapRequestMessage, MapResponseMessage } from './off-thread-mapper.js';

const { routeRules, maxBodyBytes } = workerData as { routeRules: RouteRuleConfig[]; maxBodyBytes: number };
const classifier = compileRouteRules(routeRules);

parentPort!.on('message', ({ id, body, encoding, contentEncoding }: MapRequestMessage) => {
  let reply: MapResponseMessage;
  try {
    reply = { id, mapped: mapBody(new Uint8Array(body), encoding, contentEncoding, maxBodyBytes, classifier) };
  } catch (err) {
    reply = isSpyglassError(err)
      ? { id, error: { code: err.code, detail: err.detail, retryAfterSeconds: err.retryAfterSeconds } }
      : { id, error: { message: (err as Error)?.message ?? String(err) } };
  }
  parentPort!.postMessage(reply);
});
