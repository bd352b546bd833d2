/** One simulated HTTP request: who sends it (address, agent) and what. */
export interface SimRequest {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  ip: string;
  userAgent: string;
  referer?: string;
  token?: string;
  body?: unknown;
}

export interface SimResponse {
  status: number;
  json: unknown;
}

export interface RequestStats {
  sent: number;
  failed: number;
  byStatus: Map<number, number>;
  /** Why the last failed request failed (e.g. ECONNREFUSED), for the summary. */
  lastError?: string;
}

/** fetch() wraps network errors in "fetch failed"; the cause says what happened. */
export function networkErrorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/**
 * Sends requests to the target, setting X-Forwarded-For to the simulated client address (the demo API trusts it
 * from 127.0.0.1). Never throws: a network error is status 0.
 */
export class SimHttpClient {
  readonly stats: RequestStats = { sent: 0, failed: 0, byStatus: new Map() };

  constructor(
    private readonly target: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(req: SimRequest): Promise<SimResponse> {
    const headers: Record<string, string> = { 'x-forwarded-for': req.ip, 'user-agent': req.userAgent };
    if (req.referer) headers.referer = req.referer;
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    this.stats.sent++;
    try {
      const res = await fetch(new URL(req.path, this.target), {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      this.stats.byStatus.set(res.status, (this.stats.byStatus.get(res.status) ?? 0) + 1);
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json };
    } catch (err) {
      this.stats.failed++;
      this.stats.lastError = networkErrorText(err);
      return { status: 0, json: null };
    }
  }
}
