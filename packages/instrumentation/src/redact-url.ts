import { redactQuery } from './query-redaction.js';

/** A URL (e.g. a Referer) with secret query values replaced and any user:password removed. */
export function redactUrl(raw: string, names: ReadonlySet<string>): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const q = raw.indexOf('?');
    return q === -1 ? raw : `${raw.slice(0, q)}?${redactQuery(raw.slice(q + 1), names)}`;
  }
  url.username = '';
  url.password = '';
  if (url.search) url.search = redactQuery(url.search.slice(1), names);
  return url.toString();
}
