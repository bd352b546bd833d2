/** The test-side port of Grafana's PostgreSQL macros, pinned to the expansions in Grafana's macros_test.go. */
import { describe, expect, it } from 'vitest';
import { expandMacros, expandPanelSql, interpolateVariables, intervalFor, rfc3339Nano } from '../grafana/test/grafana-macros.js';

const range = { from: new Date('2018-04-12T18:00:00Z'), to: new Date('2018-04-12T18:05:00Z') };

describe('grafana-macros.ts', () => {
  it.each([
    ['$__time(time_column)', 'time_column AS "time"'],
    ['$__timeEpoch(time)', 'extract(epoch from time) as "time"'],
    ['WHERE $__timeFilter(time_column)', "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"],
    ['$__timeFrom()', "'2018-04-12T18:00:00Z'"],
    ['$__timeTo()', "'2018-04-12T18:05:00Z'"],
    ["$__timeGroup(time_column,'5m')", "time_bucket('300.000s',time_column)"],
    ['$__timeGroupAlias(time_column, 5m)', `time_bucket('300.000s',time_column) AS "time"`],
    ['$__unixEpochFilter(time)', 'time >= 1523556000 AND time <= 1523556300'],
    ["$__unixEpochGroupAlias(time_column,'5m')", 'floor((time_column)/300)*300 AS "time"'],
  ])('%s', (sql, expected) => {
    expect(expandMacros(sql, { range })).toBe(expected);
  });

  it('expands $__timeGroup without timescaledb as epoch arithmetic', () => {
    expect(expandMacros("$__timeGroup(t,'5m')", { range, timescaledb: false })).toBe('floor(extract(epoch from t)/300)*300');
  });

  it('substitutes $__interval before macros', () => {
    expect(expandMacros('$__timeGroupAlias(time, $__interval) -- $__interval_ms', { range, intervalMs: 60_000 })).toBe(`time_bucket('60.000s',time) AS "time" -- 60000`);
    expect(intervalFor({ from: new Date(0), to: new Date(6 * 3600_000) })).toBe(30_000);
  });

  it('rejects unknown macros like Grafana does', () => {
    expect(() => expandMacros('$__nope(x)', { range })).toThrow(/undefined macro/);
  });

  it('interpolates single and multi-value variables like the PostgreSQL data source frontend', () => {
    expect(interpolateVariables("WHERE identity = '$identity'", { identity: "o'brien" })).toBe("WHERE identity = 'o''brien'");
    expect(interpolateVariables('WHERE s IN ($s)', { s: ['a', "b'c"] })).toBe("WHERE s IN ('a','b''c')");
    expect(interpolateVariables('WHERE s IN (${s})', { s: 'x' }, ['s'])).toBe("WHERE s IN ('x')");
    expect(expandPanelSql("SELECT '$identity' WHERE $__timeFilter(t)", { range, variables: { identity: '203.0.113.*' } })).toBe(
      "SELECT '203.0.113.*' WHERE t BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
    );
  });

  it('formats times as Go RFC3339Nano', () => {
    expect(rfc3339Nano(new Date('2018-04-12T18:00:00.120Z'))).toBe('2018-04-12T18:00:00.12Z');
    expect(rfc3339Nano(new Date('2018-04-12T18:00:10.000Z'))).toBe('2018-04-12T18:00:10Z');
  });
});
