import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/rules/catalog.js';
import { loadRuleCases } from '../../src/rules/cases/load-cases.js';
import { runRuleCase } from '../../src/rules/cases/run-cases.js';

const catalog = loadCatalog();

describe('built-in rule catalog', () => {
  it('has rules and the six presets the docs promise', () => {
    expect(catalog.rules.size).toBeGreaterThanOrEqual(40);
    for (const p of ['api_protection', 'credential_stuffing', 'account_takeover', 'bot_detection', 'account_registration', 'scraping']) {
      expect(catalog.presets.has(p), p).toBe(true);
    }
  });

  it('is documented: docs/rules.md lists every rule', () => {
    const doc = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');
    const missing = [...catalog.rules.keys()].filter((id) => !doc.includes(`| \`${id}\` |`));
    expect(missing, 'regenerate the table with: spyglass rules list --markdown').toEqual([]);
  });

  for (const def of catalog.rules.values()) {
    describe(def.id, () => {
      const cases = loadRuleCases(def);

      it('has at least one attack case and one benign case', () => {
        expect(cases.filter((c) => c.hit.length > 0).length, `${def.id} needs an attack case (expect.hit)`).toBeGreaterThan(0);
        expect(cases.filter((c) => c.hit.length === 0).length, `${def.id} needs a benign case (only expect.clean)`).toBeGreaterThan(0);
      });

      for (const c of cases) {
        it(`case ${c.file.split('/').pop()}: ${c.description}`, async () => {
          const result = await runRuleCase(c);
          expect(result.problems, `hits: ${result.hitIdentities.join(', ') || 'none'}`).toEqual([]);
        });
      }
    });
  }
});
