/** A listen address `host:port`, `[v6]:port` or `:port` (all of them on loopback unless a host is given). */
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(value: string, key: string): ListenAddress {
  const s = String(value).trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`${key}: "${value}" is not a listen address like 127.0.0.1:4318, [::1]:4318 or :4318 (port 0 picks a free port)`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
