import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleIncoming } from '../../src/commands/command-handler.ts';
import { COMMAND_NAMES } from '../../src/commands/command-types.ts';
import { tempLedger } from '../support/temp-ledger.ts';

const admins = { userIds: ['boss'], roleIds: [], everyone: false };
const OUTCOMES = ['duplicate', 'ignored', 'applied', 'replied', 'refused', 'invalid', 'error'];

describe('command handler under hostile input', () => {
  it('never throws and always records an outcome, whatever people type', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'existing' }, 'cli');
    ledger.registerAgent({ id: 'a1', skills: [], capacity: 1 });
    const word = fc.constantFrom(...COMMAND_NAMES, 'create', 'new', 'bogus');
    const arg = fc.oneof(
      fc.string(),
      fc.constantFrom('T-1', '1', 'T-999', 'a1', 'priority=9', 'after=T-1', 'key=K-1', 'review=yes', '"x'),
    );
    const commandish = fc
      .tuple(fc.constantFrom('/', '!', ''), word, fc.array(arg, { maxLength: 6 }))
      .map(([p, w, a]) => `${p}${w} ${a.join(' ')}`);
    let n = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), commandish),
        fc.boolean(),
        fc.option(fc.constantFrom('m-1', 'nope')),
        (text, isAdmin, replyTo) => {
          n++;
          const outcome = handleIncoming(ledger, 'main', admins, {
            platform: 'fuzz',
            channelId: 'c',
            messageId: `f-${n}`,
            author: { id: isAdmin ? 'boss' : 'guest', name: 'p', isBot: false },
            text,
            sentAt: 0,
            ...(replyTo ? { replyToMessageId: replyTo } : {}),
          });
          expect(OUTCOMES).toContain(outcome);
          // Only admins change state; a guest gets replies and refusals, never `applied`.
          if (!isAdmin) expect(outcome).not.toBe('applied');
        },
      ),
      { numRuns: 1_500 },
    );
    expect(ledger.audit().problems.filter((p) => !/not posted yet/.test(p.problem))).toEqual([]);
  });

  it('never lets a non-admin change state', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'guarded' }, 'cli');
    const before = ledger.lastEventSeq();
    const texts = [
      '/cancel T-1',
      '/retry T-1',
      '/priority T-1 9',
      '/pause',
      '/task sneaky',
      '/note T-1 hi',
      '/assign T-1 a1',
      '!cancel 1',
    ];
    texts.forEach((text, i) => {
      const outcome = handleIncoming(
        ledger,
        'main',
        { userIds: ['boss'], roleIds: ['r-admin'], everyone: false },
        {
          platform: 'fuzz',
          channelId: 'c',
          messageId: `g-${i}`,
          author: { id: 'guest', name: 'guest', isBot: false, roleIds: ['r-user'] },
          text,
          sentAt: 0,
        },
      );
      expect(outcome).toBe('refused');
    });
    expect(ledger.lastEventSeq()).toBe(before);
    expect(ledger.getTask('T-1')!.status).toBe('queued');
  });
});
