/**
 * A flood of messages from someone who is not an admin must not spend the channel's posting budget
 * on refusals: replies to one person are capped per window, the messages are still recorded, and
 * admins are never limited. The inbox is pruned on a timer, and a failed prune is not fatal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { REPLY_LIMIT_NOTE } from '../../src/commands/reply-limiter.ts';
import { configSchema } from '../../src/config/config-schema.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { createCapturingLogger } from '../adapters/telegram/telegram-fixture.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

const ADMINS = { userIds: ['alice'], roleIds: [], everyone: false };
const DAY_MS = 86_400_000;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

let seq = 0;
function from(author: string, text: string): IncomingMessage {
  return {
    platform: 'memory',
    channelId: 'c',
    messageId: `m-${++seq}`,
    author: { id: author, name: author, isBot: false },
    text,
    sentAt: Date.now(),
  };
}

const replies = (ledger: Ledger): string[] =>
  (
    ledger.db.prepare("SELECT payload FROM outbox WHERE kind = 'reply' ORDER BY id").all() as {
      payload: string;
    }[]
  ).map((r) => (JSON.parse(r.payload) as { text: string }).text);

// What a hostile member types: admin commands (refused), typos (invalid), /status (a board each).
const FLOOD = ['/cancel T-1', '/bogus', '/priority T-1 high', '/status', '/task Mine now', 'just chatting'];

function setUp(clock = manualClock()): { ledger: Ledger; orch: Orchestrator; clock: typeof clock } {
  const ledger = tempLedger({ clock });
  ledger.setChannels(['main']);
  ledger.createTask({ title: 'guarded' }, 'cli');
  const orch = createTestOrchestrator(ledger, createMemoryChannel(), { admins: ADMINS });
  return { ledger, orch, clock };
}

describe('replies to one person are limited', () => {
  it('2,000 messages from a non-admin draw 5 replies, the last saying further messages are ignored', async () => {
    const { ledger, orch } = setUp();
    for (let i = 0; i < 2_000; i++) await orch.onMessage(from('mallory', FLOOD[i % FLOOD.length]!));
    const sent = replies(ledger);
    expect(sent).toHaveLength(5);
    expect(sent.slice(0, 4).some((t) => t.includes(REPLY_LIMIT_NOTE))).toBe(false);
    expect(sent[4]).toContain(REPLY_LIMIT_NOTE);
    // Every message is still on record, with what became of it.
    const outcomes = ledger.db
      .prepare('SELECT outcome, COUNT(*) AS n FROM inbox GROUP BY outcome ORDER BY outcome')
      .all() as { outcome: string; n: number }[];
    expect(outcomes.reduce((sum, o) => sum + o.n, 0)).toBe(2_000);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['ignored', 'invalid', 'refused', 'replied']);
    expect(ledger.getTask('T-1')!.status).toBe('queued');
    expect(ledger.listTasks()).toHaveLength(1);
  });

  it('allows at most 5 replies a window, window after window', async () => {
    const { ledger, orch, clock } = setUp();
    for (let window = 0; window < 3; window++) {
      for (let i = 0; i < 300; i++) await orch.onMessage(from('mallory', '/cancel T-1'));
      expect(replies(ledger)).toHaveLength(5 * (window + 1));
      clock.advance(60_000);
    }
  });

  it('counts each person separately and never limits an admin', async () => {
    const { ledger, orch } = setUp();
    for (let i = 0; i < 50; i++) await orch.onMessage(from('mallory', '/bogus'));
    for (let i = 0; i < 50; i++) await orch.onMessage(from('trudy', '/cancel T-1'));
    expect(replies(ledger)).toHaveLength(10);
    for (let i = 0; i < 40; i++) await orch.onMessage(from('alice', i % 2 ? '/status' : '/bogus'));
    const all = replies(ledger);
    expect(all).toHaveLength(50);
    expect(all.slice(10).some((t) => t.includes(REPLY_LIMIT_NOTE))).toBe(false);
    await orch.onMessage(from('alice', '/cancel T-1'));
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
  });

  it('takes its limit from the options', async () => {
    const clock = manualClock();
    const ledger = tempLedger({ clock });
    ledger.setChannels(['main']);
    const orch = createTestOrchestrator(ledger, createMemoryChannel(), {
      admins: ADMINS,
      inbox: { replyLimits: { maxReplies: 2 } },
    });
    for (let i = 0; i < 20; i++) await orch.onMessage(from('mallory', '/bogus'));
    expect(replies(ledger)).toHaveLength(2);
  });
});

describe('inbox pruning in the orchestrator', () => {
  it('is configured by the inbox section, with a floor of two days', () => {
    expect(configSchema.parse({}).inbox).toEqual({ retentionDays: 14, repliesPerMinute: 5 });
    const tooShort = configSchema.safeParse({ inbox: { retentionDays: 1 } });
    expect(tooShort.success).toBe(false);
    expect(JSON.stringify(tooShort.error?.issues)).toContain('at least 2 days');
    expect(configSchema.safeParse({ inbox: { repliesPerMinute: 0 } }).success).toBe(false);
  });

  it('refuses a retention under two days, which would forget messages that can still be redelivered', () => {
    const ledger = tempLedger();
    const port = createMemoryChannel();
    expect(() => createTestOrchestrator(ledger, port, { inbox: { retentionMs: DAY_MS } })).toThrow(
      /at least 2 days/,
    );
  });

  it('prunes old rows at start and on its timer', async () => {
    const clock = manualClock(Date.now());
    const { ledger, orch } = setUp(clock);
    await orch.onMessage(from('alice', 'hello'));
    clock.advance(15 * DAY_MS);
    await orch.onMessage({ ...from('alice', 'later'), sentAt: clock.now() });
    expect(ledger.inbox.count()).toBe(2);
    const started = createTestOrchestrator(ledger, createMemoryChannel(), {
      admins: ADMINS,
      inbox: { pruneIntervalMs: 20 },
    });
    await started.start();
    stops.push(() => started.stop());
    expect(ledger.inbox.count()).toBe(1);
    clock.advance(15 * DAY_MS);
    const deadline = Date.now() + 10_000;
    while (ledger.inbox.count() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ledger.inbox.count()).toBe(0);
  });

  it('logs a failed prune and keeps running', async () => {
    const { ledger } = setUp();
    const log = createCapturingLogger();
    const orch = createTestOrchestrator(ledger, createMemoryChannel(), { admins: ADMINS, log });
    ledger.inbox.pruneBefore = () => {
      throw new Error('SQLITE_BUSY: database is locked');
    };
    await orch.start();
    stops.push(() => orch.stop());
    expect(orch.pruneInbox()).toBe(0);
    expect(log.lines.filter((l) => l.msg.includes('inbox prune failed')).length).toBeGreaterThanOrEqual(2);
    await orch.onMessage(from('alice', '/status'));
    expect(replies(ledger)).toHaveLength(1);
  });
});
