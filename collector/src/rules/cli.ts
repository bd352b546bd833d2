import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Catalog } from './catalog.js';
import { builtinRulesDir, loadCatalog } from './catalog.js';
import { loadRuleCases } from './cases/load-cases.js';
import { catalogMarkdown } from './catalog-markdown.js';
import { runRuleCase } from './cases/run-cases.js';
import type { RulesConfig } from './config.js';
import { validateRulesConfig } from './config.js';
import type { RulesState } from './rules-state.js';
import { applyPreset, readRulesState, resolveRules, setRuleEnabled, writeRulesState } from './rules-state.js';
import { defaultStateFile } from './state-file.js';

interface RulesFlags {
  config?: string;
  db?: string;
  state?: string;
  json?: boolean;
}

interface Context {
  config: RulesConfig;
  catalog: Catalog;
  stateFile: string | null;
  state: RulesState;
}

const DEFAULT_DB = './data/spyglass.duckdb';

function context(flags: RulesFlags): Context {
  let raw: Record<string, unknown> = {};
  const configFile = flags.config ?? process.env.SPYGLASS_CONFIG;
  if (configFile) {
    if (!existsSync(configFile)) throw new Error(`config file ${configFile} does not exist`);
    raw = (parseYaml(readFileSync(configFile, 'utf8')) ?? {}) as Record<string, unknown>;
  }
  const config = validateRulesConfig(raw.rules);
  const db = flags.db ?? process.env.SPYGLASS_DB ?? (typeof raw.db === 'string' ? raw.db : DEFAULT_DB);
  const stateFile = flags.state ?? defaultStateFile(db, config.stateFile);
  return { config, catalog: loadCatalog(config.files), stateFile, state: readRulesState(stateFile) };
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function save(ctx: Context, next: RulesState): void {
  resolveRules(ctx.catalog, ctx.config, next); // refuse states that would not load
  if (!ctx.stateFile) throw new Error('no rules state file: pass --db or --state');
  writeRulesState(ctx.stateFile, next);
  out(`saved ${ctx.stateFile}; a running collector applies it within a second`);
}

/** Adds `spyglass rules list|show|enable|disable|test` and `spyglass rules preset list|apply NAME`. */
export function registerRulesCommands(program: Command): void {
  const rules = program
    .command('rules')
    .description('list, inspect, enable/disable and test detection rules; changes apply to a running collector')
    .option('--config <file>', 'YAML config file whose rules: section is the base (env SPYGLASS_CONFIG)')
    .option('--db <path>', `DuckDB file; the state file is <db>.rules.json (env SPYGLASS_DB, default ${DEFAULT_DB})`)
    .option('--state <file>', 'rules state file (overrides --db)')
    .option('--json', 'print JSON');
  const flagsOf = (cmd: Command) => cmd.optsWithGlobals() as RulesFlags;

  rules
    .command('list')
    .description('every rule with kind, weight, whether it is enabled and its presets')
    .option('--markdown', 'print the catalog as the Markdown table in docs/rules.md')
    .action((opts: { markdown?: boolean }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const ctx = context(flags);
      if (opts.markdown) return out(catalogMarkdown(ctx.catalog));
      const eff = resolveRules(ctx.catalog, ctx.config, ctx.state);
      const rows = [...ctx.catalog.rules.values()].map((d) => ({
        id: d.id,
        enabled: eff.active.has(d.id),
        weight: eff.active.get(d.id)?.weight ?? d.weight,
        kind: d.kind,
        name: d.name,
      }));
      if (flags.json) return out(JSON.stringify({ preset: eff.preset, thresholds: eff.thresholds, rules: rows }, null, 2));
      out(`preset ${eff.preset}; review at risk ≥ ${eff.thresholds.review}; block ${eff.thresholds.block ?? 'off'}; ${eff.active.size} of ${rows.length} rules enabled`);
      out(table([['ID', 'ON', 'WEIGHT', 'KIND', 'NAME'], ...rows.map((r) => [r.id, r.enabled ? 'yes' : '-', r.weight, r.kind, r.name])]));
    });

  rules
    .command('show <id>')
    .description('one rule: its definition, weight, presets and cases')
    .action((id: string, _opts, cmd: Command) => {
      const flags = flagsOf(cmd);
      const ctx = context(flags);
      const def = ctx.catalog.rules.get(id);
      if (!def) throw new Error(`unknown rule ${JSON.stringify(id)}; see "spyglass rules list"`);
      const eff = resolveRules(ctx.catalog, ctx.config, ctx.state);
      const presets = [...ctx.catalog.presets.values()].filter((p) => p.rules.has(id)).map((p) => `${p.name}:${p.rules.get(id)}`);
      const cases = loadRuleCases(def).map((c) => `${c.hit.length ? 'attack' : 'benign'}  ${c.description}`);
      const { dir, ...rest } = def;
      if (flags.json) return out(JSON.stringify({ ...rest, enabled: eff.active.has(id), presets, cases }, null, 2));
      out(`${def.id}: ${def.name}  [${eff.active.has(id) ? `enabled, ${eff.active.get(id)!.weight}` : 'disabled'}]`);
      out(def.description);
      out(`source: ${def.source}`);
      out(`kind: ${def.kind}${def.kind === 'window' ? `, group by ${def.groupBy}, window ${def.windowSeconds}s, condition ${JSON.stringify(def.condition)}` : ''}`);
      if (def.kind === 'sql') out(`every ${def.everySeconds}s over ${def.windowSeconds}s:\n${def.sql}`);
      else out(`filter: ${JSON.stringify(def.filter)}`);
      out(`presets: ${presets.join(', ') || '-'}`);
      out(`cases (${dir ?? 'none'}/cases):\n  ${cases.join('\n  ') || '-'}`);
    });

  for (const action of ['enable', 'disable'] as const) {
    rules
      .command(`${action} <id>`)
      .description(`${action} a rule (kept in the state file; a running collector reloads it)`)
      .action((id: string, _opts, cmd: Command) => {
        const ctx = context(flagsOf(cmd));
        if (!ctx.catalog.rules.has(id)) throw new Error(`unknown rule ${JSON.stringify(id)}; see "spyglass rules list"`);
        save(ctx, setRuleEnabled(ctx.state, id, action === 'enable'));
      });
  }

  rules
    .command('test [ids...]')
    .description('run rule cases through the real engine (all rules, or the ids given); --file adds user rules')
    .option('--file <path...>', 'user rule file(s) or folder(s) to load and test')
    .action(async (ids: string[], opts: { file?: string[] }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const ctx = context(flags);
      const files = [...ctx.config.files, ...(opts.file ?? [])];
      const catalog = opts.file ? loadCatalog(files) : ctx.catalog;
      for (const id of ids) if (!catalog.rules.has(id)) throw new Error(`unknown rule ${JSON.stringify(id)}`);
      const builtin = builtinRulesDir();
      const userIds = opts.file ? new Set([...catalog.rules.values()].filter((d) => !d.dir?.startsWith(builtin)).map((d) => d.id)) : null;
      const selected = [...catalog.rules.values()].filter((d) => (ids.length ? ids.includes(d.id) : userIds ? userIds.has(d.id) : true));
      let failed = 0;
      let ran = 0;
      for (const def of selected) {
        const cases = loadRuleCases(def);
        const attack = cases.some((c) => c.hit.length > 0);
        const benign = cases.some((c) => c.hit.length === 0);
        if (!attack || !benign) {
          failed++;
          out(`FAIL ${def.id}: needs at least one attack case and one benign case in ${def.dir ?? '(no folder)'}/cases`);
        }
        for (const c of cases) {
          ran++;
          const r = await runRuleCase(c, files);
          if (!r.passed) failed++;
          out(`${r.passed ? 'ok  ' : 'FAIL'} ${def.id} ${c.file.split('/').pop()}${r.passed ? '' : `: ${r.problems.join('; ')}`}`);
        }
      }
      out(`${ran} cases, ${failed} failures`);
      if (failed > 0) process.exitCode = 1;
    });

  const preset = rules.command('preset').description('rule presets');
  preset
    .command('list')
    .description('the presets and how many rules each enables')
    .action((_opts, cmd: Command) => {
      const flags = flagsOf(cmd);
      const ctx = context(flags);
      const active = ctx.state.preset ?? ctx.config.preset;
      const list = [...ctx.catalog.presets.values()];
      if (flags.json) return out(JSON.stringify(list.map((p) => ({ name: p.name, active: p.name === active, description: p.description, rules: Object.fromEntries(p.rules) })), null, 2));
      out(table([['PRESET', 'ACTIVE', 'RULES', 'DESCRIPTION'], ...list.map((p) => [p.name, p.name === active ? 'yes' : '-', String(p.rules.size), p.description.slice(0, 90)])]));
    });
  preset
    .command('apply <name>')
    .description('switch to a preset (clears per-rule enable/disable changes, like tirreno)')
    .action((name: string, _opts, cmd: Command) => {
      const ctx = context(flagsOf(cmd));
      if (!ctx.catalog.presets.has(name)) throw new Error(`unknown preset ${JSON.stringify(name)} (known: ${[...ctx.catalog.presets.keys()].join(', ')})`);
      save(ctx, applyPreset(ctx.state, name));
    });
}
