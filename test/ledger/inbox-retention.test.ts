/**
 * Any member of the channel can write as much as they like: plain chat must not land in the ledger
 * verbatim, and old inbox rows are pruned, while a redelivered message is still applied only once.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { handleIncoming, type AdminPolicy } from '../../src/commands/command-handler.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';

const DAY_MS = 86_400_000;
const policy: AdminPolicy = { userIds: ['boss'], roleIds: [], everyone: false };

let seq = 0;
function message(text: string, over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    platform: 'memory',
    channelId: 'c',
    messageId: `m-${++seq}`,
    author: { id: 'boss', name: 'Boss', isBot: false },
    text,
    sentAt: Date.now(),
    ...over,
  };
}

interface InboxRow {
  message_id: string;
  text: string;
  outcome: string;
}
const rows = (ledger: Ledger): InboxRow[] =>
  ledger.db.prepare('SELECT message_id, text, outcome FROM inbox ORDER BY rowid').all() as InboxRow[];
const storedChars = (ledger: Ledger): number =>
  (ledger.db.prepare('SELECT COALESCE(SUM(LENGTH(text)), 0) AS n FROM inbox').get() as { n: number }).n;

describe('inbox contents', () => {
  it('keeps no text of plain chat, only the key (so a redelivery is still recognised)', () => {
    const ledger = tempLedger();
    const chatter = Array.from({ length: 200 }, (_, i) => message(`${i} ${'blah '.repeat(2_000)}`));
    for (const m of chatter) expect(handleIncoming(ledger, 'main', policy, m)).toBe('ignored');
    expect(ledger.inbox.count()).toBe(200);
    expect(storedChars(ledger)).toBe(0);
    expect(rows(ledger).every((r) => r.outcome === 'ignored')).toBe(true);
    // The same message again (a Telegram redelivery, a Discord catch-up) is known.
    expect(handleIncoming(ledger, 'main', policy, chatter[0]!)).toBe('duplicate');
  });

  it('keeps commands and answers as typed, and only a short prefix of refused or invalid ones', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'one' }, 'cli');
    const guest = { id: 'guest', name: 'Guest', isBot: false };
    const applied = message('/note T-1 remember the edge cases');
    const refused = message(`/note T-1 ${'x'.repeat(5_000)}`, { author: guest });
    const invalid = message(`/priority T-1 ${'y'.repeat(5_000)}`);
    expect(handleIncoming(ledger, 'main', policy, applied)).toBe('applied');
    expect(handleIncoming(ledger, 'main', policy, refused)).toBe('refused');
    expect(handleIncoming(ledger, 'main', policy, invalid)).toBe('invalid');
    const [a, r, i] = rows(ledger);
    expect(a!.text).toBe(applied.text);
    expect(r!.text).toBe(refused.text.slice(0, 500));
    expect(i!.text).toBe(invalid.text.slice(0, 500));
  });

  it('does not apply a message older than the retention (its dedupe row may be gone)', () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'one' }, 'cli');
    const old = message('/cancel T-1', { sentAt: Date.now() - 15 * DAY_MS });
    expect(handleIncoming(ledger, 'main', policy, old, { inboxRetentionMs: 14 * DAY_MS })).toBe('ignored');
    expect(ledger.getTask('T-1')!.status).toBe('queued');
    const recent = message('/cancel T-1', { sentAt: Date.now() - 2 * DAY_MS });
    expect(handleIncoming(ledger, 'main', policy, recent, { inboxRetentionMs: 14 * DAY_MS })).toBe('applied');
  });
});

describe('inbox pruning', () => {
  it('deletes rows received before the cutoff, in batches, and keeps the rest', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock });
    for (let i = 0; i < 2_500; i++) handleIncoming(ledger, 'main', policy, message(`old ${i}`));
    clock.advance(3 * DAY_MS);
    const kept = message('new');
    handleIncoming(ledger, 'main', policy, kept);
    expect(ledger.inbox.pruneBefore(clock.now() - 2 * DAY_MS)).toBe(2_500);
    expect(rows(ledger).map((r) => r.message_id)).toEqual([kept.messageId]);
    expect(ledger.inbox.pruneBefore(clock.now() - 2 * DAY_MS)).toBe(0);
    expect(handleIncoming(ledger, 'main', policy, kept)).toBe('duplicate');
  });

  it('leaves the event chain alone: audit passes after a prune', () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock });
    ledger.setChannels(['main']);
    handleIncoming(ledger, 'main', policy, message('/task Keep the chain'));
    clock.advance(30 * DAY_MS);
    expect(ledger.inbox.pruneBefore(clock.now())).toBe(1);
    const problems = ledger.audit().problems.filter((p) => !/not posted yet/.test(p.problem));
    expect(problems).toEqual([]);
  });
});
