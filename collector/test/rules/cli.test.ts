import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerRulesCommands } from '../../src/rules/cli.js';
import { readRulesState } from '../../src/rules/rules-state.js';

async function run(args: string[]): Promise<string> {
  const program = new Command('spyglass').exitOverride();
  registerRulesCommands(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'spyglass', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('cli.ts spyglass rules', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spyglass-cli-'));
    db = join(dir, 'x.duckdb');
    process.exitCode = undefined;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = undefined;
  });

  it('lists rules with the default preset', async () => {
    const out = await run(['rules', 'list', '--db', db]);
    expect(out).toMatch(/preset api_protection; review at risk ≥ 67; block off/);
    expect(out).toMatch(/b06-vulnerable-url\s+yes\s+extreme\s+event/);
    expect(out).toMatch(/b19-night-activity\s+-\s+medium/);
  });

  it('enables and disables rules and applies presets through the state file next to the db', async () => {
    await run(['rules', 'enable', 'b19-night-activity', '--db', db]);
    await run(['rules', 'disable', 'b24-empty-referer', '--db', db]);
    expect(readRulesState(`${db}.rules.json`)).toMatchObject({ enable: ['b19-night-activity'], disable: ['b24-empty-referer'] });
    expect(await run(['rules', 'list', '--db', db, '--json'])).toContain('"id": "b19-night-activity",\n      "enabled": true');
    await run(['rules', 'preset', 'apply', 'scraping', '--db', db]);
    expect(readRulesState(`${db}.rules.json`)).toMatchObject({ preset: 'scraping', enable: [], disable: [] });
    expect(await run(['rules', 'preset', 'list', '--db', db])).toMatch(/scraping\s+yes/);
    await expect(run(['rules', 'preset', 'apply', 'nope', '--db', db])).rejects.toThrow(/unknown preset "nope"/);
    await expect(run(['rules', 'enable', 'nope-rule', '--db', db])).rejects.toThrow(/unknown rule "nope-rule"/);
  });

  it('names the state file and the missing directory when it cannot write the state, leaving no temp file', async () => {
    const state = join(dir, 'missing', 's.json');
    await expect(run(['rules', 'enable', 'b19-night-activity', '--db', db, '--state', state])).rejects.toThrow(
      `cannot write the rules state file ${state}: its directory ${join(dir, 'missing')} does not exist`,
    );
  });

  it('shows one rule with its presets and cases', async () => {
    const out = await run(['rules', 'show', 'http-probing', '--db', db]);
    expect(out).toMatch(/http-probing: HTTP probing {2}\[enabled, extreme\]/);
    expect(out).toMatch(/group by identity, window 120s/);
    expect(out).toMatch(/attack {2}eleven distinct 404 paths/);
  });

  it('tests a user rule and fails when a case fails or a benign case is missing', async () => {
    const ruleDir = join(dir, 'my-rules', 'too-many-carts');
    mkdirSync(join(ruleDir, 'cases'), { recursive: true });
    writeFileSync(join(ruleDir, 'rule.yaml'), [
      'id: too-many-carts', 'name: Too many carts', 'description: Cart spam.', 'source: local', 'weight: high', 'kind: window',
      'filter: {url_path: /cart, http_method: POST}', 'window: 1m', 'condition: {count: 3}', '',
    ].join('\n'));
    writeFileSync(join(ruleDir, 'cases', 'attack.yaml'), 'description: three carts\nevents:\n- {ip: 203.0.113.5, method: POST, path: /cart, repeat: 3}\nexpect: {hit: [203.0.113.*]}\n');
    let out = await run(['rules', 'test', '--file', join(dir, 'my-rules'), '--db', db]);
    expect(out).toMatch(/FAIL too-many-carts: needs at least one attack case and one benign case/);
    expect(out).toMatch(/ok {3}too-many-carts attack.yaml/);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    writeFileSync(join(ruleDir, 'cases', 'benign.yaml'), 'description: two carts\nevents:\n- {ip: 198.51.100.5, method: POST, path: /cart, repeat: 3}\nexpect: {clean: [198.51.100.*]}\n');
    out = await run(['rules', 'test', '--file', join(dir, 'my-rules'), '--db', db]);
    expect(out).toMatch(/FAIL too-many-carts benign.yaml: expected no hit on 198.51.100.\*, got one/);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    writeFileSync(join(ruleDir, 'cases', 'benign.yaml'), 'description: two carts\nevents:\n- {ip: 198.51.100.5, method: POST, path: /cart, repeat: 2}\nexpect: {clean: [198.51.100.*]}\n');
    out = await run(['rules', 'test', '--file', join(dir, 'my-rules'), '--db', db]);
    expect(out).toMatch(/2 cases, 0 failures/);
    expect(process.exitCode).toBeUndefined();
  });
});
