import { describe, expect, it } from 'vitest';
import { redactQuery } from '../src/query-redaction.js';
import { redactUrl } from '../src/redact-url.js';

const names = new Set(['token', 'password', 'sig']);

describe('redactQuery()', () => {
  it('replaces the values of named parameters, ignoring case, and keeps the others', () => {
    expect(redactQuery('q=shoes&Token=abc&PASSWORD=hunter2&page=2', names)).toBe('q=shoes&Token=REDACTED&PASSWORD=REDACTED&page=2');
  });

  it('redacts every occurrence of a repeated parameter', () => {
    expect(redactQuery('token=a&token=b', names)).toBe('token=REDACTED&token=REDACTED');
  });

  it('leaves a query without secrets as it was (modulo encoding)', () => {
    expect(redactQuery('q=a+b&n=1', names)).toBe('q=a+b&n=1');
  });
});

describe('redactUrl()', () => {
  it('redacts query secrets and drops user:password in an absolute URL', () => {
    expect(redactUrl('https://user:pw@shop.example/reset?token=abc&x=1', names)).toBe('https://shop.example/reset?token=REDACTED&x=1');
  });

  it('handles a relative URL', () => {
    expect(redactUrl('/reset?sig=abc', names)).toBe('/reset?sig=REDACTED');
    expect(redactUrl('/plain', names)).toBe('/plain');
  });
});
