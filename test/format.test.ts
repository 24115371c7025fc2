import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/format.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [2_345_678, '2.3 MB'],
    [12_345_678, '12 MB'],
    [999_999_999, '1000 MB'],
    [3_500_000_000, '3.5 GB'],
  ])('formatBytes(%d) → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
