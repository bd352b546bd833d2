import { describe, expect, it } from 'vitest';
import { MIXED, NOT_FOUND, RangeTableBuilder } from '../../src/enrich/range-table.js';

function table4(ranges: Array<[number, number, number]>) {
  const b = new RangeTableBuilder(1, 2);
  for (const [s, e, v] of ranges) b.add4(s, e, v);
  return b.build();
}

describe('range-table.ts', () => {
  it('finds the range holding an address and reports gaps', () => {
    const t = table4([[10, 19, 1], [30, 39, 2]]);
    expect([t.find4(9), t.find4(10), t.find4(19), t.find4(20), t.find4(35), t.find4(40)]).toEqual([NOT_FOUND, 1, 1, NOT_FOUND, 2, NOT_FOUND]);
  });

  it('lets nested ranges win inside their container and restores the container after them', () => {
    const t = table4([[0, 100, 1], [10, 20, 2], [15, 16, 3], [50, 60, 4]]);
    expect([0, 9, 10, 14, 15, 16, 17, 20, 21, 49, 50, 60, 61, 100, 101].map((ip) => t.find4(ip))).toEqual([1, 1, 2, 2, 3, 3, 2, 2, 1, 1, 4, 4, 1, 1, NOT_FOUND]);
  });

  it('gives a partially overlapping later range the overlap', () => {
    const t = table4([[0, 10, 1], [5, 15, 2]]);
    expect([4, 5, 10, 15, 16].map((ip) => t.find4(ip))).toEqual([1, 2, 2, 2, NOT_FOUND]);
  });

  it('sorts unsorted input and merges adjacent ranges with the same value', () => {
    const t = table4([[20, 29, 1], [10, 19, 1], [0, 9, 2]]);
    expect(t.size).toBe(2);
    expect([5, 15, 25, 30].map((ip) => t.find4(ip))).toEqual([2, 1, 1, NOT_FOUND]);
  });

  it('handles ranges that end at the largest address', () => {
    const t = table4([[0, 0xffffffff, 1], [0xffffff00, 0xffffffff, 2]]);
    expect([0, 0xfffffeff, 0xffffff00, 0xffffffff].map((ip) => t.find4(ip))).toEqual([1, 1, 2, 2]);
  });

  it('tells whether a whole span has one value', () => {
    const t = table4([[0, 255, 1], [256, 300, 2], [512, 767, 3]]);
    expect(t.valueOver4(0, 255)).toBe(1);
    expect(t.valueOver4(256, 511)).toBe(MIXED); // value, then a gap
    expect(t.valueOver4(400, 450)).toBe(NOT_FOUND); // all gap
    expect(t.valueOver4(450, 600)).toBe(MIXED); // gap, then a value
    expect(t.valueOver4(512, 767)).toBe(3);
  });

  it('works on 128-bit keys', () => {
    const b = new RangeTableBuilder(4, 1);
    b.add6([0x20010db8, 0, 0, 0], [0x20010db8, 0xffffffff, 0xffffffff, 0xffffffff], 7);
    b.add6([0x20010db8, 1, 0, 0], [0x20010db8, 1, 0, 0xff], 8);
    const t = b.build();
    const k = (w: number[]) => Uint32Array.from(w);
    expect(t.find6(k([0x20010db8, 0, 5, 5]))).toBe(7);
    expect(t.find6(k([0x20010db8, 1, 0, 0x10]))).toBe(8);
    expect(t.find6(k([0x20010db8, 1, 0, 0x100]))).toBe(7);
    expect(t.find6(k([0x20010db9, 0, 0, 0]))).toBe(NOT_FOUND);
    expect(t.valueOver6(k([0x20010db8, 1, 0, 0]), k([0x20010db8, 1, 0xffffffff, 0xffffffff]))).toBe(MIXED);
    expect(t.valueOver6(k([0x20010db8, 2, 0, 0]), k([0x20010db8, 2, 0xffffffff, 0xffffffff]))).toBe(7);
  });

  it('rejects a range that ends before it starts', () => {
    expect(() => new RangeTableBuilder(1).add4(5, 4, 1)).toThrow(/before its start/);
  });
});
