/**
 * Micro benchmark of the enrich stage: events/s on batches of 512 with a realistic mix of clients.
 * Run with `npm run bench:enrich` (after `tsc -b`). Prints start-up time, memory and three rates:
 *  - warm: a pool of 20k client addresses (80% IPv4, 20% IPv6) and 300 user agents, Zipf-like repeat visits;
 *  - cold caches: the same traffic right after start-up;
 *  - all-new addresses: every event from an address never seen before (cache misses, /24 lookups each time).
 */
import pino from 'pino';
import { createEnricher } from '../src/enrich/index.js';
import { DEFAULT_ENRICH_CONFIG } from '../src/enrich/config.js';
import type { SecurityEvent } from '../src/events/security-event.js';

const BATCH = 512;

/** Deterministic pseudo-random numbers (mulberry32), so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
/** Index skewed towards the start (a few heavy clients, a long tail). */
const zipfIndex = (n: number): number => Math.min(n - 1, Math.floor(n * rand() ** 3));

function randomIpv4(): string {
  return `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
}
const V6_PREFIXES = ['2600:1f18', '2a00:1450', '2601:600', '2003:e2', '2a01:4f8', '2001:db8', '2c0f:f248', '240e:3b0'];
function randomIpv6(): string {
  const h = () => Math.floor(rand() * 0x10000).toString(16);
  return `${pick(V6_PREFIXES)}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`;
}
function randomIp(): string {
  const r = rand();
  if (r < 0.03) return `10.0.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
  return r < 0.8 ? randomIpv4() : randomIpv6();
}

const BROWSERS = [
  (v: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
  (v: number) => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v % 20}.1 Safari/605.1.15`,
  (v: number) => `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${v % 7} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${v % 7} Mobile/15E148 Safari/604.1`,
  (v: number) => `Mozilla/5.0 (Linux; Android 14; Pixel ${v % 9}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`,
  (v: number) => `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`,
];
const AUTOMATED = [
  'curl/8.4.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'okhttp/4.12.0', 'PostmanRuntime/7.36.0', 'axios/1.6.8',
  'sqlmap/1.7.2#stable (https://sqlmap.org)', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
];

function eventTemplate(ip: string | null, userAgent: string | null): SecurityEvent {
  return {
    timeUs: Date.now() * 1000, identity: 'u', identityKind: 'user', userId: 'u', ip, network: null, userAgent,
    httpMethod: 'GET', urlPath: '/api', urlQuery: null, httpRoute: '/api', statusCode: 200, eventType: 'page_view', referer: null,
    serviceName: 's', traceId: 't', spanId: 's', durationMs: 1, country: null, asn: null, asOrg: null, ipType: null,
    deviceType: null, browser: null, os: null, isBot: null,
  };
}

function makeBatches(count: number, ipFor: () => string | null, uaPool: readonly string[]): SecurityEvent[][] {
  return Array.from({ length: count }, () => Array.from({ length: BATCH }, () => eventTemplate(ipFor(), uaPool[zipfIndex(uaPool.length)])));
}

function rate(batches: SecurityEvent[][], run: (b: SecurityEvent[]) => void, rounds: number): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const b of batches) run(b);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (batches.length * BATCH * rounds) / seconds;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  const enricher = await createEnricher({ ...DEFAULT_ENRICH_CONFIG, listReloadSeconds: 0 }, { logger: pino({ level: 'silent' }) });
  const loadMs = performance.now() - t0;
  globalThis.gc?.();
  const after = process.memoryUsage();

  const ipPool = Array.from({ length: 20_000 }, randomIp);
  const uaPool = [...Array.from({ length: 290 }, (_, i) => BROWSERS[i % BROWSERS.length](100 + (i % 58))), ...AUTOMATED];
  uaPool.push(...AUTOMATED); // automated clients are frequent in API traffic
  const traffic = makeBatches(400, () => (rand() < 0.01 ? null : ipPool[zipfIndex(ipPool.length)]), uaPool);
  const enrich = (b: SecurityEvent[]) => enricher.enrich(b);

  const cold = rate(traffic.slice(0, 40), enrich, 1);
  rate(traffic, enrich, 1); // warm up caches and JIT
  const warm = rate(traffic, enrich, 5);
  const fresh = makeBatches(100, randomIp, uaPool);
  const allNew = rate(fresh, enrich, 1);

  const sample = traffic[0].slice(0, 3).map((e) => `${e.ip} → ${e.country}/${e.asn}/${e.ipType}; ${e.deviceType}/${e.browser}`);
  console.log(`enrich benchmark (batches of ${BATCH}, node ${process.version})`);
  console.log(`  start-up (load ip-location-db + lists): ${Math.round(loadMs)} ms; heap +${((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(0)} MiB, array buffers +${((after.arrayBuffers - before.arrayBuffers) / 2 ** 20).toFixed(0)} MiB, rss ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`  warm caches (20k IPs, ${uaPool.length} UAs, Zipf-like): ${fmt(warm)} events/s`);
  console.log(`  cold caches (first ${40 * BATCH} events after start-up): ${fmt(cold)} events/s`);
  console.log(`  all-new addresses (random IPs, known UAs): ${fmt(allNew)} events/s`);
  console.log(`  sample: ${sample.join(' | ')}`);
  enricher.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
