import { afterAll, describe, expect, it } from 'vitest';
import { buildDemoApi } from '../src/app.js';

const app = buildDemoApi();
afterAll(() => app.close());

async function login(username: string, password: string) {
  return app.inject({ method: 'POST', url: '/login', payload: { username, password } });
}

describe('demo api', () => {
  it('logs in with a seeded account and rejects a wrong password', async () => {
    const ok = await login('bob', 'builder');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().token).toMatch(/^[0-9a-f]{32}$/);
    expect((await login('bob', 'nope')).statusCode).toBe(401);
    expect((await login('nobody', 'x')).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/login', payload: { username: 'bob' } })).statusCode).toBe(400);
  });

  it('lets admins, and only admins, list users', async () => {
    const admin = (await login('alice', 'wonderland')).json().token;
    const user = (await login('carol', 'singer')).json().token;
    const asAdmin = await app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${admin}` } });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().users.map((u: { username: string }) => u.username)).toContain('dave');
    expect((await app.inject({ url: '/admin/users', headers: { authorization: `Bearer ${user}` } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/admin/users' })).statusCode).toBe(401);
  });

  it('signs up once per username, and the new account can log in', async () => {
    expect((await app.inject({ method: 'POST', url: '/signup', payload: { username: 'erin', password: 'pw1' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/signup', payload: { username: 'erin', password: 'pw2' } })).statusCode).toBe(409);
    expect((await login('erin', 'pw1')).statusCode).toBe(200);
  });

  it('logs out: the token stops working', async () => {
    const token = (await login('dave', 'diver')).json().token;
    const headers = { authorization: `Bearer ${token}` };
    expect((await app.inject({ method: 'POST', url: '/logout', headers })).statusCode).toBe(204);
    expect((await app.inject({ method: 'POST', url: '/logout', headers })).statusCode).toBe(401);
  });

  it('answers password reset the same way for known and unknown accounts', async () => {
    const known = await app.inject({ method: 'POST', url: '/password-reset', payload: { username: 'bob' } });
    const unknown = await app.inject({ method: 'POST', url: '/password-reset', payload: { username: 'zed' } });
    expect(known.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
  });

  it('searches, lists and shows products', async () => {
    expect((await app.inject({ url: '/search?q=optics' })).json().results.map((p: { id: number }) => p.id)).toEqual([1, 5]);
    expect((await app.inject({ url: '/products' })).json().products).toHaveLength(6);
    expect((await app.inject({ url: '/products/3' })).json().name).toBe('Star chart');
    expect((await app.inject({ url: '/products/99' })).statusCode).toBe(404);
  });

  it('has a fragile endpoint that fails with 500 on odd input', async () => {
    expect((await app.inject({ url: '/fragile?n=12' })).json()).toEqual({ square: 144 });
    expect((await app.inject({ url: '/fragile?n=1e3' })).statusCode).toBe(500);
    expect((await app.inject({ url: '/fragile' })).statusCode).toBe(500);
  });
});
