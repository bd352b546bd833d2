import type { DuckDBConnection } from '@duckdb/node-api';
import type { FastifyPluginAsync } from 'fastify';
import { validateThresholds } from './config.js';
import type { RuleEngine } from './engine.js';
import { applyPreset, setRuleEnabled } from './rules-state.js';
import type { AnalystDecision } from './score.js';

function ruleSummary(engine: RuleEngine, id: string) {
  const def = engine.catalog.rules.get(id)!;
  const active = engine.effective.active.get(id);
  return {
    id,
    name: def.name,
    kind: def.kind,
    enabled: active !== undefined,
    weight: active?.weight ?? def.weight,
    source: def.source,
    presets: [...engine.catalog.presets.values()].filter((p) => p.rules.has(id)).map((p) => p.name),
  };
}

/**
 * REST API of the rule engine. The lead registers it under `/api/rules` behind the collector token:
 * GET / · GET /:id · POST /:id/enable · POST /:id/disable · GET /presets · POST /presets/:name/apply ·
 * PUT /thresholds · POST /reload · GET /identities?status=review&limit=50 · GET /identities/:identity ·
 * PUT /identities/:identity/decision {decision: legit|blocked|null, note?}
 */
export function createRulesApi(engine: RuleEngine, conn: DuckDBConnection): FastifyPluginAsync {
  return async (app) => {
    const notFound = (what: string) => ({ error: 'not_found', message: `${what} not found` });
    const bad = (message: string) => ({ error: 'bad_request', message });

    app.get('/', async () => ({
      preset: engine.effective.preset,
      thresholds: engine.effective.thresholds,
      rules: [...engine.catalog.rules.keys()].map((id) => ruleSummary(engine, id)),
    }));

    app.get('/presets', async () => ({
      active: engine.effective.preset,
      presets: [...engine.catalog.presets.values()].map((p) => ({ name: p.name, description: p.description, rules: Object.fromEntries(p.rules) })),
    }));

    app.post<{ Params: { name: string } }>('/presets/:name/apply', async (req, reply) => {
      if (!engine.catalog.presets.has(req.params.name)) return reply.code(404).send(notFound(`preset ${req.params.name}`));
      const eff = await engine.updateState((s) => applyPreset(s, req.params.name));
      return { preset: eff.preset, enabled: [...eff.active.keys()] };
    });

    app.put('/thresholds', async (req, reply) => {
      try {
        const thresholds = validateThresholds(req.body, 'thresholds');
        const eff = await engine.updateState((s) => ({ ...s, thresholds }));
        return { thresholds: eff.thresholds };
      } catch (err) {
        return reply.code(400).send(bad((err as Error).message));
      }
    });

    app.post('/reload', async (_req, reply) => {
      try {
        await engine.reload();
        return { preset: engine.effective.preset, rules: engine.effective.active.size };
      } catch (err) {
        return reply.code(400).send(bad((err as Error).message));
      }
    });

    app.get<{ Querystring: { status?: string; limit?: string } }>('/identities', async (req, reply) => {
      const status = req.query.status;
      if (status !== undefined && !['ok', 'review', 'blocked'].includes(status)) return reply.code(400).send(bad('status must be ok, review or blocked'));
      const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return reply.code(400).send(bad('limit must be a whole number from 1 to 1000'));
      const rows = await conn.runAndReadAll(
        `SELECT identity, identity_kind, first_seen, last_seen, events, risk_score, trust_score, status, decision, matched_rules
         FROM identities ${status ? 'WHERE status = $1' : ''} ORDER BY risk_score DESC, last_seen DESC LIMIT ${limit}`,
        status ? [status] : [],
      );
      return { identities: rows.getRowObjectsJson() };
    });

    app.get<{ Params: { identity: string } }>('/identities/:identity', async (req, reply) => {
      const rows = (await conn.runAndReadAll('SELECT * FROM identities WHERE identity = $1', [req.params.identity])).getRowObjectsJson();
      if (rows.length === 0) return reply.code(404).send(notFound(`identity ${req.params.identity}`));
      const hits = await conn.runAndReadAll(
        'SELECT time, rule_id, weight, evidence FROM rule_hits WHERE identity = $1 ORDER BY time DESC LIMIT 100',
        [req.params.identity],
      );
      return { identity: rows[0], hits: hits.getRowObjectsJson() };
    });

    app.put<{ Params: { identity: string }; Body: { decision?: unknown; note?: unknown } }>('/identities/:identity/decision', async (req, reply) => {
      const body = req.body as Record<string, unknown> | null | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return reply.code(400).send(bad('the body must be a JSON object {decision, note?}'));
      const unknown = Object.keys(body).filter((k) => k !== 'decision' && k !== 'note');
      if (unknown.length) return reply.code(400).send(bad(`${unknown.join(', ')}: not a known key (decision, note)`));
      // Clearing a decision takes an explicit null: a missing key must not remove one by accident.
      if (!('decision' in body)) return reply.code(400).send(bad('decision is required: legit, blocked, or null to clear it'));
      if (req.params.identity === '') return reply.code(400).send(bad('the identity is empty'));
      const decision = body.decision;
      if (decision !== null && decision !== 'legit' && decision !== 'blocked') return reply.code(400).send(bad('decision must be legit, blocked or null'));
      if (body.note !== undefined && typeof body.note !== 'string') return reply.code(400).send(bad('note must be a string'));
      await engine.decide(req.params.identity, decision as AnalystDecision | null, body.note as string | undefined, 'api');
      return { identity: req.params.identity, decision };
    });

    app.get<{ Params: { id: string } }>('/:id', async (req, reply) => {
      const def = engine.catalog.rules.get(req.params.id);
      if (!def) return reply.code(404).send(notFound(`rule ${req.params.id}`));
      const { dir: _dir, ...rest } = def;
      return { ...ruleSummary(engine, def.id), definition: rest };
    });

    for (const action of ['enable', 'disable'] as const) {
      app.post<{ Params: { id: string } }>(`/:id/${action}`, async (req, reply) => {
        if (!engine.catalog.rules.has(req.params.id)) return reply.code(404).send(notFound(`rule ${req.params.id}`));
        await engine.updateState((s) => setRuleEnabled(s, req.params.id, action === 'enable'));
        return ruleSummary(engine, req.params.id);
      });
    }
  };
}
