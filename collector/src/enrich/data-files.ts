import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * The collector's bundled data folder (collector/data). Found by walking up from this module to the package
 * root, so it works both from src/ (tests) and from dist/src/ (the built CLI).
 */
export function bundledDataDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'data'))) return path.join(dir, 'data');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the collector data folder (collector/data) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Reads a YAML document, naming the file in every error. */
export async function readYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
