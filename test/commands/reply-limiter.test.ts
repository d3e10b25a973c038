import { describe, expect, it } from 'vitest';
import { ReplyLimiter } from '../../src/commands/reply-limiter.ts';
import { manualClock } from '../support/temp-ledger.ts';

describe('ReplyLimiter', () => {
  it('answers maxReplies times a window, the last one marked, then stays silent until the window ends', () => {
    const clock = manualClock();
    const limiter = new ReplyLimiter({ maxReplies: 3, windowMs: 1_000 }, () => clock.now());
    const verdicts = Array.from({ length: 6 }, () => limiter.take('p:1'));
    expect(verdicts).toEqual(['reply', 'reply', 'last', 'silent', 'silent', 'silent']);
    clock.advance(999);
    expect(limiter.take('p:1')).toBe('silent');
    clock.advance(1);
    expect(limiter.take('p:1')).toBe('reply');
  });

  it('keeps one window per person', () => {
    const limiter = new ReplyLimiter({ maxReplies: 1 }, () => 0);
    expect(limiter.take('p:1')).toBe('last');
    expect(limiter.take('p:1')).toBe('silent');
    expect(limiter.take('p:2')).toBe('last');
  });

  it('remembers a bounded number of people, forgetting ended windows first', () => {
    const clock = manualClock();
    const limiter = new ReplyLimiter({ maxReplies: 1, windowMs: 1_000, maxTrackedAuthors: 100 }, () =>
      clock.now(),
    );
    for (let i = 0; i < 100; i++) limiter.take(`old:${i}`);
    clock.advance(1_000);
    limiter.take('fresh');
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 1_000; i++) limiter.take(`crowd:${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    // The newest person is still limited.
    expect(limiter.take('crowd:999')).toBe('silent');
  });

  it('refuses a limit below one reply', () => {
    expect(() => new ReplyLimiter({ maxReplies: 0 })).toThrow(RangeError);
  });
});
