import type { Catalog } from './catalog.js';
import type { RuleDefinition } from './rule-types.js';

const code = (v: unknown) => '`' + JSON.stringify(v).replace(/\|/g, '\\|') + '`';

function condition(d: RuleDefinition): string {
  if (d.kind === 'event') return `each event matching ${code(d.filter)}`;
  if (d.kind === 'sql') return `SQL every ${d.everySeconds}s over the last ${d.windowSeconds}s (see rule.yaml)`;
  const c = d.condition;
  const parts: string[] = [];
  if (c.count !== undefined) parts.push(`≥ ${c.count} events`);
  if (c.distinct !== undefined) parts.push(`≥ ${c.distinctCount} distinct \`${c.distinct}\``);
  if (c.ratio) parts.push(`≥ ${Math.round(c.ratio.min * 100)}% of ≥ ${c.ratio.minBase} events matching ${code(c.ratio.base)}`);
  let s = `${parts.join(' and ')} within ${d.windowSeconds}s`;
  if (d.groupBy !== 'identity') {
    s += `, per \`${d.groupBy}\``;
    if (d.attribute !== 'group') s += `; members with ≥ ${d.memberMinEvents} events get the hit`;
    if (d.attribute !== 'members') s += `; the network gets the hit`;
  }
  return `${s}; filter ${code(d.filter)}`;
}

/** The catalog as a Markdown table (docs/rules.md embeds it; `spyglass rules list --markdown` prints it). */
export function catalogMarkdown(catalog: Catalog): string {
  const lines = ['| Rule | What it catches | Kind | Condition | Weight | Presets | Source |', '|---|---|---|---|---|---|---|'];
  for (const d of [...catalog.rules.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const presets = [...catalog.presets.values()].filter((p) => p.rules.has(d.id)).map((p) => `${p.name}:${p.rules.get(d.id)}`);
    const cells = [`\`${d.id}\``, `**${d.name}.** ${d.description}`, d.kind, condition(d), d.weight, presets.join(', ') || '–', d.source];
    lines.push(`| ${cells.map((c) => c.replace(/\n/g, ' ')).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
