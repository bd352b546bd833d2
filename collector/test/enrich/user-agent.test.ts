import { describe, expect, it } from 'vitest';
import { loadUserAgentPatterns, parseUserAgentPatterns } from '../../src/enrich/user-agent-patterns.js';
import { NO_USER_AGENT, UserAgentClassifier, botName } from '../../src/enrich/user-agent.js';

const classifier = new UserAgentClassifier(await loadUserAgentPatterns(), 100);

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('UserAgentClassifier', () => {
  it.each([
    [CHROME_WINDOWS, 'desktop', 'Chrome 126', 'Windows 10'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'desktop', 'Safari 17', 'Mac OS 10.15.7'],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'desktop', 'Firefox 127', 'Linux'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'mobile', 'Mobile Safari 17', 'iOS 17.5'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36', 'mobile', 'Chrome 125', 'Android 14'],
    ['Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36', 'tablet', 'Chrome 125', 'Android 14'],
  ])('parses browser %#: device %s, %s on %s, not a bot', (ua, deviceType, browser, os) => {
    expect(classifier.classify(ua)).toEqual({ deviceType, browser, os, isBot: false });
  });

  it.each([
    ['sqlmap/1.7.2#stable (https://sqlmap.org)', 'scanner', 'sqlmap'],
    ['Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)', 'scanner', 'Nikto'],
    ['Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', 'scanner', 'Nmap'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)', 'scanner', 'Nuclei'],
    ['Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)', 'scanner', 'Censys'],
    ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', 'bot', 'GPTBot'],
    ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)', 'bot', 'ClaudeBot'],
    ['Mozilla/5.0 (compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)', 'bot', 'PerplexityBot'],
    ['CCBot/2.0 (https://commoncrawl.org/faq/)', 'bot', 'CCBot'],
    ['Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)', 'bot', 'Bytespider'],
    ['curl/8.4.0', 'tool', 'curl'],
    ['Wget/1.21.4', 'tool', 'Wget'],
    ['python-requests/2.31.0', 'tool', 'python-requests'],
    ['Go-http-client/1.1', 'tool', 'Go-http-client'],
    ['okhttp/4.12.0', 'tool', 'okhttp'],
    ['PostmanRuntime/7.36.0', 'tool', 'PostmanRuntime'],
    ['Apache-HttpClient/4.5.14 (Java/17.0.9)', 'tool', 'Apache-HttpClient'],
    ['axios/1.6.8', 'tool', 'axios'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot', 'Googlebot'],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bot', 'bingbot'],
  ])('recognises automated client %#: %s → %s (%s)', (ua, deviceType, browser) => {
    expect(classifier.classify(ua)).toMatchObject({ deviceType, browser, isBot: true });
  });

  it('treats a missing user agent as an unknown device with unknown bot status', () => {
    expect(classifier.classify(null)).toBe(NO_USER_AGENT);
    expect(classifier.classify('')).toEqual({ deviceType: 'unknown', browser: null, os: null, isBot: null });
  });

  it('treats an unrecognisable user agent as an unknown device', () => {
    expect(classifier.classify('Mozilla/5.0 (Foo; Bar)')).toEqual({ deviceType: 'unknown', browser: null, os: null, isBot: false });
  });

  it('keeps ua-parser-js device types other than desktop and phones', () => {
    const switchUa = 'Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393';
    expect(classifier.classify(switchUa)).toMatchObject({ deviceType: 'console', isBot: false });
  });

  it('returns the cached object for a repeated user agent', () => {
    expect(classifier.classify(CHROME_WINDOWS)).toBe(classifier.classify(CHROME_WINDOWS));
  });
});

describe('botName()', () => {
  it('takes a bot token, else the first product token, never "Mozilla"', () => {
    expect(botName('Mozilla/5.0 (compatible; YandexBot/3.0)')).toBe('YandexBot');
    expect(botName('SomeMonitor/1.0')).toBe('SomeMonitor');
    expect(botName('weird thing')).toBe('weird');
    expect(botName('Mozilla/5.0 (something)')).toBeNull();
  });
});

describe('parseUserAgentPatterns()', () => {
  it('rejects an invalid regular expression, naming the entry', () => {
    expect(() => parseUserAgentPatterns({ scanners: [{ name: 'x', pattern: '(' }], ai_crawlers: [], tools: [] }, 'ua.yaml')).toThrow(/ua\.yaml: scanners\[0\]\.pattern is not a valid regular expression/);
  });

  it('requires every category', () => {
    expect(() => parseUserAgentPatterns({ scanners: [], tools: [] }, 'ua.yaml')).toThrow(/ai_crawlers must be a list/);
  });
});
