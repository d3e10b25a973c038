/**
 * The peers benchmark's eight-process clock (bench/peer-clock.ts): only the queueing process's time
 * in queue calls after the last job is added to the agents' time.
 */
import { describe, expect, it } from 'vitest';
import { queueingAfter } from '../../bench/peer-clock.ts';

describe('peers clock: queueing after the last job', () => {
  it('counts nothing when every queue call ended before the last job', () => {
    expect(queueingAfter(1_000, [])).toBe(0);
    expect(
      queueingAfter(1_000, [
        [100, 130],
        [950, 1_000],
      ]),
    ).toBe(0);
  });

  it('counts the part of a call after the last job, and every later call whole', () => {
    // A call that started before the last job and ended 12 ms after it, then two after it.
    expect(
      queueingAfter(1_000, [
        [990, 1_012],
        [1_050, 1_051.5],
        [1_090, 1_130],
      ]),
    ).toBeCloseTo(53.5, 6);
  });

  it('does not count the gaps between calls (the poster’s idle poll)', () => {
    expect(
      queueingAfter(1_000, [
        [1_000, 1_001],
        [1_051, 1_052],
      ]),
    ).toBe(2);
  });
});
