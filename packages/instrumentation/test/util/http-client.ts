import { request, type Agent } from 'node:http';

export interface SentRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Local address to connect from (e.g. '::1'). */
  host?: string;
  /** A keep-alive agent, to send several requests over one connection; default: a new connection per request. */
  agent?: Agent;
}

/** Sends one request with node:http (so headers such as Referer are sent as given) and resolves with the status. */
export function send(url: string, opts: SentRequest = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
