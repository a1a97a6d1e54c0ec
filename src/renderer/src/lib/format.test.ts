import { describe, expect, it } from 'vitest';
import { basename, humanBytes, humanCount, humanSeconds, metric, percent } from './format.ts';

describe('format', () => {
  it('writes counts, bytes and durations for people', () => {
    expect(humanCount(1_234_567)).toBe('1.23 M');
    expect(humanCount(950)).toBe('950');
    expect(humanCount(1536)).toBe('1.54 k');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(3 * 2 ** 20)).toBe('3 MiB');
    expect(humanBytes(null)).toBe('–');
    expect(humanSeconds(59)).toBe('59 s');
    expect(humanSeconds(125)).toBe('2 min 5 s');
    expect(humanSeconds(7260)).toBe('2 h 1 min');
  });

  it('writes metrics, fractions and file names', () => {
    expect(metric(0.12345)).toBe('0.123');
    expect(metric(null)).toBe('–');
    expect(metric(Number.NaN)).toBe('–');
    expect(percent(0.3)).toBe('30.0 %');
    expect(percent(0.0012)).toBe('0.12 %');
    expect(basename('/a/b/report.pdf')).toBe('report.pdf');
    expect(basename('C:\\\\runs\\\\x.pdf')).toBe('x.pdf');
  });
});
