import path from 'node:path';
import { bundledDataDir, isRecord, readYamlFile } from './data-files.js';

/** What a matched pattern makes of the client. */
export type PatternCategory = 'scanners' | 'ai_crawlers' | 'tools';

/** device_type set for each category (see collector/data/user-agents.yaml). */
export const CATEGORY_DEVICE_TYPE: Readonly<Record<PatternCategory, string>> = Object.freeze({
  scanners: 'scanner',
  ai_crawlers: 'bot',
  tools: 'tool',
});

/** Categories in matching order: the first match wins. */
const CATEGORIES: readonly PatternCategory[] = ['scanners', 'ai_crawlers', 'tools'];

export interface UserAgentPattern {
  category: PatternCategory;
  name: string;
  regex: RegExp;
}

export interface UserAgentPatterns {
  version: string;
  patterns: UserAgentPattern[];
}

export const BUNDLED_USER_AGENTS_FILE = 'user-agents.yaml';

export function parseUserAgentPatterns(doc: unknown, source: string): UserAgentPatterns {
  if (!isRecord(doc)) throw new Error(`${source}: expected a mapping with scanners, ai_crawlers and tools`);
  const patterns: UserAgentPattern[] = [];
  for (const category of CATEGORIES) {
    const list = doc[category];
    if (!Array.isArray(list)) throw new Error(`${source}: ${category} must be a list`);
    list.forEach((raw: unknown, i: number) => {
      const at = `${source}: ${category}[${i}]`;
      if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name === '' || typeof raw.pattern !== 'string' || raw.pattern === '') {
        throw new Error(`${at} must have a non-empty name and pattern`);
      }
      let regex: RegExp;
      try {
        regex = new RegExp(raw.pattern, 'i');
      } catch (err) {
        throw new Error(`${at}.pattern is not a valid regular expression: ${(err as Error).message}`, { cause: err });
      }
      patterns.push({ category, name: raw.name, regex });
    });
  }
  const version = doc.version === undefined ? 'unversioned' : String(doc.version);
  return { version: `${path.basename(source)}@${version}`, patterns };
}

export async function loadUserAgentPatterns(): Promise<UserAgentPatterns> {
  const source = path.join(bundledDataDir(), BUNDLED_USER_AGENTS_FILE);
  return parseUserAgentPatterns(await readYamlFile(source), source);
}
