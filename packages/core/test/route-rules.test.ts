import { describe, expect, it } from 'vitest';
import { compileRouteRules, DEFAULT_ROUTE_RULES, RouteRuleError } from '../src/route-rules.js';
import { resolveEventType } from '../src/event-type.js';

describe('route-rules.ts', () => {
  const defaults = compileRouteRules(DEFAULT_ROUTE_RULES);

  describe('default rules', () => {
    it.each([
      ['POST', '/login', undefined, 200, 'account_login'],
      ['POST', '/api/v1/login', undefined, 302, 'account_login'],
      ['POST', '/api/login', '/api/login', 401, 'account_login_fail'],
      ['POST', '/auth/signup', undefined, 201, 'account_registration'],
      ['POST', '/password-reset', undefined, 202, 'account_password_reset'],
      ['POST', '/logout', undefined, 204, 'account_logout'],
      ['GET', '/api/search', undefined, 200, 'page_search'],
    ])('%s %s (route %s) %i → %s', (method, path, route, statusCode, type) => {
      expect(defaults.classify({ method, path, route, statusCode })).toBe(type);
    });

    it('does not match GET /login or POST /login/extra', () => {
      expect(defaults.classify({ method: 'GET', path: '/login', statusCode: 200 })).toBeUndefined();
      expect(defaults.classify({ method: 'POST', path: '/login/extra', statusCode: 200 })).toBeUndefined();
    });
  });

  describe('patterns', () => {
    const rules = compileRouteRules([
      { method: ['PUT', 'PATCH'], path: '/users/:id/email', status: '2xx', eventType: 'account_email_change' },
      { path: '/admin/**', status: [401, 403], eventType: 'admin_denied' },
      { method: '*', path: '/items/*', eventType: 'item' },
    ]);

    it('matches :param and * to one segment, ** to any number', () => {
      expect(rules.classify({ method: 'PATCH', route: '/users/:id/email', statusCode: 200 })).toBe('account_email_change');
      expect(rules.classify({ method: 'PUT', path: '/users/42/email', statusCode: 204 })).toBe('account_email_change');
      expect(rules.classify({ method: 'GET', path: '/admin', statusCode: 403 })).toBe('admin_denied');
      expect(rules.classify({ method: 'GET', path: '/admin/a/b/c', statusCode: 401 })).toBe('admin_denied');
      expect(rules.classify({ method: 'GET', path: '/admin/a', statusCode: 404 })).toBeUndefined();
      expect(rules.classify({ method: 'DELETE', path: '/items/9' })).toBe('item');
      expect(rules.classify({ method: 'DELETE', path: '/items/9/x' })).toBeUndefined();
    });

    it('treats regex characters in paths literally', () => {
      const r = compileRouteRules([{ path: '/a.b/(x)', eventType: 't' }]);
      expect(r.classify({ path: '/a.b/(x)' })).toBe('t');
      expect(r.classify({ path: '/aXb/(x)' })).toBeUndefined();
    });
  });

  describe('validation', () => {
    it.each([
      [[{ path: 'login', eventType: 'x' }], /rule 0: path must be a string starting with "\/"/],
      [[{ path: '/x', eventType: '' }], /rule 0: eventType must be a non-empty string/],
      [[{ path: '/x', eventType: 'a' }, { path: '/y', status: '6xx', eventType: 'b' }], /rule 1: status "6xx"/],
      [[{ path: '/x', method: 'GE T', eventType: 'a' }], /rule 0: method "GE T"/],
    ])('rejects %j', (rules, message) => {
      expect(() => compileRouteRules(rules as never)).toThrow(RouteRuleError);
      expect(() => compileRouteRules(rules as never)).toThrow(message);
    });
  });

  describe('resolveEventType()', () => {
    it('prefers an explicit type, then a rule, then page_error for >= 400, then page_view', () => {
      expect(resolveEventType('field_edit', defaults, { method: 'POST', path: '/login', statusCode: 200 })).toBe('field_edit');
      expect(resolveEventType(undefined, defaults, { method: 'POST', path: '/login', statusCode: 200 })).toBe('account_login');
      expect(resolveEventType(undefined, defaults, { method: 'GET', path: '/nope', statusCode: 404 })).toBe('page_error');
      expect(resolveEventType(undefined, defaults, { method: 'GET', path: '/', statusCode: 200 })).toBe('page_view');
    });
  });
});
