import type { CollectorExtension } from '../extension.js';
import { createBearerCheck } from '../receive/auth.js';
import type { RulesConfig } from './config.js';
import { validateRulesConfig } from './config.js';
import { createRuleEngine } from './engine.js';
import { MIGRATIONS } from './migrations.js';
import { defaultStateFile } from './state-file.js';

/** Path prefix of the rules REST API on the collector's HTTP listener. */
export const RULES_API_PREFIX = '/api/rules';

/**
 * The rule engine as a collector stage: `rules:` config section, its tables, a consumer after commit and the REST
 * API under /api/rules (behind the collector token when one is set).
 */
export function rulesExtension(): CollectorExtension {
  return {
    section: 'rules',
    validate: validateRulesConfig,
    migrations: MIGRATIONS,
    async start(ctx) {
      const config = (ctx.config as unknown as { rules?: RulesConfig }).rules ?? validateRulesConfig(undefined);
      const stateFile = defaultStateFile(ctx.config.db, config.stateFile);
      const engine = await createRuleEngine(config, { instance: ctx.instance, logger: ctx.logger, stateFile });
      // Changes need rules.apiToken; reads need it too when set, otherwise the OTLP token (if any).
      const readToken = config.apiToken ?? ctx.config.receive.token;
      const mayRead = createBearerCheck(readToken);
      const mayWrite = config.apiToken ? createBearerCheck(config.apiToken) : () => false;
      await ctx.http.register(
        async (scope) => {
          scope.addHook('onRequest', async (req, reply) => {
            const write = req.method !== 'GET' && req.method !== 'HEAD';
            if (write && !config.apiToken) {
              await reply.code(403).send({
                error: 'read_only',
                message: 'the rules API is read-only until rules.apiToken (SPYGLASS_API_TOKEN) is set; or use `npx spyglass rules …` on the collector host',
              });
            } else if (!(write ? mayWrite : mayRead)(req.headers.authorization)) {
              await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
            }
          });
          await scope.register(engine.api);
        },
        { prefix: RULES_API_PREFIX },
      );
      const { stats } = engine;
      return {
        consumer: { name: 'rules', consume: (batch) => engine.consume(batch) },
        metrics: () => [
          { name: 'spyglass_rules_active', type: 'gauge', help: 'Rules enabled (streaming and SQL)', value: stats.rules },
          { name: 'spyglass_rule_identities', type: 'gauge', help: 'Identities the rule engine holds in memory', value: stats.identities },
          { name: 'spyglass_rule_window_keys', type: 'gauge', help: 'Keys held by window rules over all of them', value: stats.windowKeys },
          { name: 'spyglass_rule_hits_written_total', type: 'counter', help: 'Rule hits written to rule_hits', value: stats.hitsWritten },
          { name: 'spyglass_rule_flushes_total', type: 'counter', help: 'Writes of hits, scores and identity counters', value: stats.flushes },
          { name: 'spyglass_rule_errors_total', type: 'counter', help: 'Events or writes the rule engine failed on (logged)', value: stats.errors },
          { name: 'spyglass_rule_evaluation_seconds_total', type: 'counter', help: 'Time spent scoring events on the event loop', value: stats.evaluationSeconds },
          { name: 'spyglass_rule_warmup_events', type: 'gauge', help: 'Stored events replayed through the window rules at start-up', value: stats.warmupEvents },
          { name: 'spyglass_rule_flush_max_seconds', type: 'gauge', help: 'Longest write of rule results since start', value: stats.flushMsMax / 1000 },
        ],
        close: () => engine.close(),
      };
    },
  };
}
