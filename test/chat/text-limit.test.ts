import { describe, expect, it } from 'vitest';
import { assertWithinTextLimit } from '../../src/chat/text-limit.ts';
import { ChatError } from '../../src/core/errors.ts';

const limits = { maxTextLength: 10, maxAttachmentBytes: 1 };

describe('assertWithinTextLimit', () => {
  it('accepts heading and text that add up to the limit exactly', () => {
    expect(() => assertWithinTextLimit(limits, { heading: 'abcd', text: '123456' })).not.toThrow();
  });

  it('refuses one character more with a permanent ChatError', () => {
    let err: unknown;
    try {
      assertWithinTextLimit(limits, { heading: 'abcd', text: '1234567' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).permanent).toBe(true);
    expect((err as Error).message).toBe('message too long: 11 > 10 characters');
  });
});
