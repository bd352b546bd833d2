import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { setUser } from '@spyglass/instrumentation';
import { PRODUCTS } from './products.js';
import { UserStore, type User } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

export interface DemoApiOptions {
  /** Fastify request logging. @default false */
  logger?: boolean;
  users?: UserStore;
}

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function requireUser(req: FastifyRequest, reply: FastifyReply): User | undefined {
  if (!req.user) void reply.code(401).send({ error: 'login required' });
  return req.user;
}

/**
 * A small shop API: account flows, search and products for everyone, an admin page, and one fragile endpoint.
 * Sessions are bearer tokens from POST /login. Who the caller is goes to Spyglass with setUser().
 */
export function buildDemoApi(options: DemoApiOptions = {}): FastifyInstance {
  const users = options.users ?? new UserStore();
  const app = Fastify({ logger: options.logger ?? false });

  // Every request: resolve the session, and tell Spyglass who it is.
  app.addHook('onRequest', async (req) => {
    const token = bearerToken(req);
    const user = token ? users.userForToken(token) : undefined;
    if (user) {
      req.user = user;
      setUser(user.username);
    }
  });

  app.get('/', async () => ({ name: 'spyglass demo api', endpoints: app.printRoutes({ commonPrefix: false }).split('\n').length }));

  app.post('/login', { schema: { body: credentials } }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    const token = users.login(username, password);
    if (!token) return reply.code(401).send({ error: 'wrong username or password' });
    setUser(username); // the request that logs in belongs to the user too
    return { token };
  });

  app.post('/logout', async (req, reply) => {
    if (!requireUser(req, reply)) return reply;
    users.logout(bearerToken(req)!);
    return reply.code(204).send();
  });

  app.post('/signup', { schema: { body: credentials } }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    if (!users.add(username, password)) return reply.code(409).send({ error: 'username taken' });
    setUser(username);
    return reply.code(201).send({ username });
  });

  app.post('/password-reset', { schema: { body: { type: 'object', required: ['username'], properties: { username: { type: 'string' } } } } }, async (_req, reply) => {
    // Same answer whether or not the account exists, so the endpoint cannot be used to find accounts.
    return reply.code(202).send({ status: 'if the account exists, a reset link was sent' });
  });

  app.get('/search', async (req) => {
    const q = String((req.query as { q?: string }).q ?? '').toLowerCase();
    return { results: PRODUCTS.filter((p) => p.name.toLowerCase().includes(q) || p.tags.includes(q)) };
  });

  app.get('/products', async () => ({ products: PRODUCTS }));

  app.get('/products/:id', async (req, reply) => {
    const product = PRODUCTS.find((p) => String(p.id) === (req.params as { id: string }).id);
    return product ?? reply.code(404).send({ error: 'no such product' });
  });

  app.get('/admin/users', async (req, reply) => {
    const user = requireUser(req, reply);
    if (!user) return reply;
    if (!user.admin) return reply.code(403).send({ error: 'admins only' });
    return { users: users.list().map((u) => ({ username: u.username, admin: u.admin })) };
  });

  // Deliberately fragile: anything that is not a whole number makes it throw (500).
  app.get('/fragile', async (req) => {
    const n = (req.query as { n?: string }).n ?? '';
    if (!/^\d+$/.test(n)) throw new Error(`cannot handle ${JSON.stringify(n)}`);
    return { square: Number(n) ** 2 };
  });

  return app;
}
