/** Worker thread entry of `OffThreadMapper`: bodies in, packed events (or the SpyglassError's parts) out. */
import { parentPort, workerData } from 'node:worker_threads';
import { compileRouteRules } from '@spyglass/core';
import type { RouteRuleConfig } from '@spyglass/core';
import { isSpyglassError } from '../errors.js';
import { mapBody } from './map-body.js';
import { packEvents, transferList } from './packed-events.js';
import type { MapRequestMessage, MapResponseMessage } from './off-thread-mapper.js';

const { routeRules, maxBodyBytes } = workerData as { routeRules: RouteRuleConfig[]; maxBodyBytes: number };
const classifier = compileRouteRules(routeRules);

parentPort!.on('message', ({ id, body, encoding, contentEncoding }: MapRequestMessage) => {
  let reply: MapResponseMessage;
  try {
    const { events, ...counts } = mapBody(new Uint8Array(body), encoding, contentEncoding, maxBodyBytes, classifier);
    const packed = packEvents(events);
    parentPort!.postMessage({ id, mapped: { ...counts, packed } } satisfies MapResponseMessage, transferList(packed));
    return;
  } catch (err) {
    reply = isSpyglassError(err)
      ? { id, error: { code: err.code, detail: err.detail, retryAfterSeconds: err.retryAfterSeconds } }
      : { id, error: { message: (err as Error)?.message ?? String(err) } };
  }
  parentPort!.postMessage(reply);
});
