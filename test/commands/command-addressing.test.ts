/**
 * Commands addressed to another bot (`/cmd@other`, `!cmd@other`, whatever follows the name) are
 * ignored on every platform: with two swarms in one group, one must never obey the other's commands.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import { COMMANDS } from '../../src/commands/command-catalog.ts';
import { handleIncoming, type AdminPolicy } from '../../src/commands/command-handler.ts';
import { COMMAND_NAMES } from '../../src/commands/command-types.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { tempLedger } from '../support/temp-ledger.ts';

const everyone: AdminPolicy = { userIds: [], roleIds: [], everyone: true };
const onlyBoss: AdminPolicy = { userIds: ['boss'], roleIds: [], everyone: false };

let seq = 0;
function message(text: string, over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    platform: 'telegram',
    channelId: 'c',
    messageId: `m-${++seq}`,
    author: { id: 'boss', name: 'Boss', isBot: false },
    text,
    botUsername: 'swarm_bot',
    sentAt: Date.now(),
    ...over,
  };
}

const outboxRows = (ledger: Ledger): number =>
  (ledger.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;

/** A ledger with two queued tasks, and the counts a command would change. */
function setUp(): { ledger: Ledger; unchanged: () => void } {
  const ledger = tempLedger();
  ledger.setChannels(['main']);
  ledger.createTask({ title: 'one' }, 'cli');
  ledger.createTask({ title: 'two' }, 'cli');
  const events = ledger.lastEventSeq();
  const rows = outboxRows(ledger);
  return {
    ledger,
    unchanged: () => {
      expect(ledger.lastEventSeq()).toBe(events);
      expect(outboxRows(ledger)).toBe(rows);
      expect(ledger.getTask('T-1')!.status).toBe('queued');
      expect(ledger.getTask('T-2')!.status).toBe('queued');
    },
  };
}

const FOR_ANOTHER_BOT = [
  '/cancel@otherbot: T-1',
  '!cancel@otherbot T-2',
  '/cancel@otherbot T-1',
  '/cancel@otherbot\nT-1',
  '/cancel@otherbot',
  '/cancel@OtherBot. T-1',
  '/cancel@otherbot, T-1',
  '/cancel@otherbot;',
  '  !CANCEL@otherbot:\tT-1',
  '/cancel@other\u200Bbot T-1',
  '/cancel@swarm_bot_2 T-1',
  '/nosuchcommand@otherbot',
  '/task@otherbot Sneaky task',
  '/pause@otherbot',
];

describe('commands addressed to another bot', () => {
  it.each(FOR_ANOTHER_BOT)('%j is ignored on Telegram: no state change, no reply', (text) => {
    const { ledger, unchanged } = setUp();
    expect(handleIncoming(ledger, 'main', everyone, message(text))).toBe('ignored');
    unchanged();
  });

  it.each(['discord', 'console', 'memory'])(
    'on %s (no bot username) every addressed command is ignored, with either prefix',
    (platform) => {
      const { ledger, unchanged } = setUp();
      for (const text of ['/cancel@otherbot: T-1', '!cancel@otherbot T-2', '/cancel@swarm_bot T-1']) {
        const msg = message(text, { platform });
        delete msg.botUsername;
        expect(handleIncoming(ledger, 'main', everyone, msg)).toBe('ignored');
      }
      unchanged();
    },
  );

  it('ignores them from people who are not admins too, instead of refusing with a reply', () => {
    const { ledger, unchanged } = setUp();
    const guest = { id: 'guest', name: 'Guest', isBot: false };
    expect(
      handleIncoming(ledger, 'main', onlyBoss, message('/cancel@otherbot: T-1', { author: guest })),
    ).toBe('ignored');
    unchanged();
  });

  it('obeys a command addressed to this bot, whatever the case and punctuation after the name', () => {
    const { ledger } = setUp();
    expect(handleIncoming(ledger, 'main', everyone, message('/cancel@Swarm_Bot: T-1'))).toBe('applied');
    expect(handleIncoming(ledger, 'main', everyone, message('!cancel@swarm_bot T-2 done'))).toBe('applied');
    expect(ledger.getTask('T-1')!.status).toBe('cancelled');
    expect(ledger.getTask('T-2')!.status).toBe('cancelled');
    expect(handleIncoming(ledger, 'main', everyone, message('/status@SWARM_BOT'))).toBe('replied');
  });

  it('never obeys a command for another bot, for any command, prefix, name or what follows (property)', () => {
    const { ledger, unchanged } = setUp();
    const words = COMMAND_NAMES.flatMap((name) => [name, ...COMMANDS[name].aliases]);
    const otherName = fc
      .stringMatching(/^[A-Za-z0-9_]{1,32}$/)
      .filter((name) => name.toLowerCase() !== 'swarm_bot');
    const after = fc.constantFrom('', ' ', ':', ': ', '\n', '\t', '.', ',', '!', '?', ';', '?! ', ':\n');
    const args = fc.oneof(
      fc.constant(''),
      fc.constantFrom('T-1', 'T-2 because', '1', 'all', 'T-1 9', 'Title skills=x', 'T-1 to a1'),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('/', '!', ' /', '\n!'),
        fc.constantFrom(...words),
        otherName,
        after,
        args,
        fc.constantFrom('telegram', 'discord', 'console'),
        fc.boolean(),
        (prefix, word, name, follow, rest, platform, admin) => {
          const msg = message(`${prefix}${word}@${name}${follow}${follow.endsWith(' ') ? '' : ' '}${rest}`, {
            platform,
            author: { id: admin ? 'boss' : 'guest', name: 'p', isBot: false },
          });
          if (platform !== 'telegram') delete msg.botUsername;
          expect(handleIncoming(ledger, 'main', onlyBoss, msg)).toBe('ignored');
        },
      ),
      { numRuns: 1_500 },
    );
    unchanged();
  });
});
