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
      const token = ctx.config.receive.token;
      const authorized = createBearerCheck(token);
      await ctx.http.register(
        async (scope) => {
          if (token) {
            scope.addHook('onRequest', async (req, reply) => {
              if (!authorized(req.headers.authorization)) {
                await reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
              }
            });
          }
          await scope.register(engine.api);
        },
        { prefix: RULES_API_PREFIX },
      );
      return {
        consumer: { name: 'rules', consume: (batch) => engine.consume(batch) },
        close: () => engine.close(),
      };
    },
  };
}
