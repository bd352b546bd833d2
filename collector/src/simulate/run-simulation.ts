import { setMaxListeners } from 'node:events';
import type { Actor } from './actor.js';
import { SimHttpClient } from './http-client.js';
import type { RequestStats } from './http-client.js';
import { buildPopulation } from './population.js';
import type { PopulationOptions } from './population.js';

export interface SimulationOptions extends PopulationOptions {
  /** Base URL of the instrumented service, e.g. http://127.0.0.1:3000. */
  target: string;
  /** How long to run; undefined: until `signal` aborts. */
  durationSeconds: number | undefined;
  /** Called about every 250 ms with elapsed seconds and requests sent so far. */
  onProgress?: (elapsedSeconds: number, requests: number) => void;
  signal?: AbortSignal;
}

export interface SimulationResult {
  actors: Actor[];
  stats: RequestStats;
  startedAt: number;
  endedAt: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs every actor concurrently against the target until the duration ends (or the signal aborts). */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  if (!/^https?:\/\//.test(options.target)) throw new Error(`--target must be an http(s) URL (got ${JSON.stringify(options.target)})`);
  const seconds = options.durationSeconds;
  if (seconds !== undefined && (!Number.isFinite(seconds) || seconds <= 0)) throw new Error('--duration must be a positive number of seconds');
  const actors = buildPopulation(options);
  const http = new SimHttpClient(options.target);
  const startedAt = Date.now();
  const endAt = seconds === undefined ? Infinity : startedAt + seconds * 1000;
  const stop = new AbortController();
  setMaxListeners(actors.length + 10, stop.signal); // every actor sleeps on it
  const onAbort = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // setTimeout fires at once for delays over 2^31 - 1 ms (~24.8 days): no timer then, nor without a duration; the
  // actors' loops also stop at endAt.
  const timer = seconds === undefined || seconds * 1000 > MAX_TIMER_MS ? undefined : setTimeout(() => stop.abort(), seconds * 1000);
  const progress = setInterval(() => options.onProgress?.((Date.now() - startedAt) / 1000, http.stats.sent), 250);
  try {
    await Promise.all(
      actors.map(async (actor, i) => {
        await sleep((i * 37) % 500, stop.signal); // stagger the start
        while (!stop.signal.aborted && Date.now() < endAt) {
          await actor.step(http);
          await sleep(actor.delayMs(), stop.signal);
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    options.signal?.removeEventListener('abort', onAbort);
  }
  options.onProgress?.(Math.min(seconds ?? Infinity, (Date.now() - startedAt) / 1000), http.stats.sent);
  return { actors, stats: http.stats, startedAt, endedAt: Date.now() };
}
