import { isbot } from 'isbot';
import { LruMap } from 'toad-cache';
import UAParser from 'ua-parser-js';
import { CATEGORY_DEVICE_TYPE, type UserAgentPatterns } from './user-agent-patterns.js';

/** What Spyglass makes of a user agent string. Shared, frozen objects: never mutate. */
export interface UserAgentInfo {
  /**
   * desktop, mobile, tablet, smarttv, console, wearable, embedded, xr (from ua-parser-js),
   * bot (crawlers, AI crawlers, anything isbot flags), scanner, tool (our lists), or unknown.
   */
  deviceType: string;
  /** Browser (or bot / tool) name and major version, e.g. "Chrome 126", "curl". */
  browser: string | null;
  /** Operating system name and version, e.g. "Windows 10", "iOS 17.5". */
  os: string | null;
  /** The client says it is automated software; null when there is no user agent at all. */
  isBot: boolean | null;
}

/** A request without a User-Agent header. */
export const NO_USER_AGENT: UserAgentInfo = Object.freeze({ deviceType: 'unknown', browser: null, os: null, isBot: null });

/** OS names (as ua-parser-js 1.x spells them) of desktop systems; ua-parser-js leaves device.type empty for desktops. */
const DESKTOP_OS = new Set([
  'Windows', 'Mac OS', 'macOS', 'Linux', 'Ubuntu', 'Chromium OS', 'Chrome OS', 'Fedora', 'Debian', 'FreeBSD', 'OpenBSD',
  'NetBSD', 'Solaris', 'Arch', 'Gentoo', 'Mint', 'SUSE', 'Slackware', 'CentOS', 'RedHat', 'Mandriva', 'Kubuntu',
  'Xubuntu', 'Lubuntu', 'Manjaro', 'elementary OS', 'PCLinuxOS', 'Mageia', 'DragonFly', 'Haiku', 'Unix', 'GNU',
]);

function joinVersion(name: string | undefined, version: string | undefined): string | null {
  if (!name) return null;
  return version ? `${name} ${version}` : name;
}

/** Classifies user agents: our pattern lists first, then isbot, then ua-parser-js 1.x. Results are cached (LRU). */
export class UserAgentClassifier {
  private readonly cache: LruMap<UserAgentInfo>;
  private readonly parser = new UAParser();

  constructor(
    private readonly patterns: UserAgentPatterns,
    cacheSize: number,
  ) {
    this.cache = new LruMap<UserAgentInfo>(cacheSize);
  }

  classify(ua: string | null | undefined): UserAgentInfo {
    if (!ua) return NO_USER_AGENT;
    let info = this.cache.get(ua);
    if (info === undefined) {
      info = this.parse(ua);
      this.cache.set(ua, info);
    }
    return info;
  }

  private parse(ua: string): UserAgentInfo {
    const r = this.parser.setUA(ua).getResult();
    const os = joinVersion(r.os.name, r.os.version);
    for (const p of this.patterns.patterns) {
      if (p.regex.test(ua)) return Object.freeze({ deviceType: CATEGORY_DEVICE_TYPE[p.category], browser: p.name, os, isBot: true });
    }
    const browser = joinVersion(r.browser.name, r.browser.major);
    if (isbot(ua)) {
      return Object.freeze({ deviceType: 'bot', browser: browser ?? botName(ua), os, isBot: true });
    }
    let deviceType = r.device.type;
    if (!deviceType) deviceType = r.os.name && DESKTOP_OS.has(r.os.name) ? 'desktop' : 'unknown';
    return Object.freeze({ deviceType, browser, os, isBot: false });
  }
}

const BOT_TOKEN = /([a-z][\w.-]*?(?:bot|crawler|spider|fetcher|scraper|checker|monitor))(?=[/;)\s]|$)/i;

/**
 * A short name for a bot that ua-parser-js does not name: a product token that says bot/crawler/spider
 * ("Googlebot/2.1" → "Googlebot"), else the UA's first product token when it is not "Mozilla", else null.
 */
export function botName(ua: string): string | null {
  const token = BOT_TOKEN.exec(ua);
  if (token) return token[1].slice(0, 64);
  const first = /^([a-z][\w.-]*)/i.exec(ua);
  if (first && !/^mozilla$/i.test(first[1])) return first[1].slice(0, 64);
  return null;
}
