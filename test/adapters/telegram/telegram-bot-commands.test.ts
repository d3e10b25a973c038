import { afterEach, describe, expect, it } from 'vitest';
import {
  TELEGRAM_COMMAND_LIMITS,
  toTelegramBotCommands,
} from '../../../adapters/telegram/telegram-bot-commands.ts';
import type { IncomingMessage } from '../../../src/chat/chat-port.ts';
import { openChannel } from '../../../src/cli/open-channel.ts';
import { COMMANDS } from '../../../src/commands/command-catalog.ts';
import { configSchema } from '../../../src/config/config-schema.ts';
import { waitFor } from '../../contract/message-collector.ts';
import type { FakeAccount } from '../../fakes/telegram/fake-telegram-world.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { createTelegramFixture, type TelegramFixture } from './telegram-fixture.ts';

let fx: TelegramFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** What the `/` menu holds for `scope`, read back from the fake with getMyCommands. */
async function menuOf(bot: FakeAccount, scope: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${fx!.fake.apiRoot}/bot${bot.token}/getMyCommands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scope }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe('toTelegramBotCommands', () => {
  it('fits names and descriptions to the Bot API rules and drops what cannot fit', () => {
    const long = 'word '.repeat(100);
    const fitted = toTelegramBotCommands([
      { command: '/Status', description: '  Show the\n board ' },
      { command: 'a-very-long-command-name-that-goes-past-32', description: long },
      { command: 'status', description: 'second entry with the same name' },
      { command: '', description: 'no name' },
      { command: 'empty', description: '   ' },
    ]);
    expect(fitted.map((c) => c.command)).toEqual(['status', 'a_very_long_command_name_that_go']);
    expect(fitted[0]!.description).toBe('Show the board');
    expect(fitted[1]!.description.length).toBeLessThanOrEqual(TELEGRAM_COMMAND_LIMITS.maxDescriptionLength);
    expect(fitted[1]!.description.length).toBeGreaterThan(240);
    expect(fitted[1]!.description.endsWith('…')).toBe(true);
    const many = Array.from({ length: 150 }, (_, i) => ({ command: `c${i}`, description: 'd' }));
    expect(toTelegramBotCommands(many)).toHaveLength(TELEGRAM_COMMAND_LIMITS.maxCommands);
  });
});

describe('telegram channel: the / command menu', () => {
  it('sets botCommands for the group chat at start', async () => {
    fx = await createTelegramFixture();
    const port = fx.channel({
      botCommands: [
        { command: 'status', description: 'Show the board.' },
        { command: 'Cancel', description: 'Cancel a task.' },
      ],
    });
    await port.start(async () => {});
    expect(await menuOf(fx.orchestrator, { type: 'chat', chat_id: fx.chat.id })).toEqual([
      { command: 'status', description: 'Show the board.' },
      { command: 'cancel', description: 'Cancel a task.' },
    ]);
    // Set for the chat scope, which wins over the bot's default list inside the group.
    expect(await menuOf(fx.orchestrator, { type: 'default' })).toEqual([]);
    expect(fx.fake.stats().unknownCalls).toEqual([]);
  });

  it('sets no menu without botCommands', async () => {
    fx = await createTelegramFixture();
    await fx.channel().start(async () => {});
    expect(fx.fake.stats().calls.setMyCommands).toBeUndefined();
  });

  it('a failing setMyCommands is a warning: start succeeds and messages still arrive', async () => {
    fx = await createTelegramFixture();
    fx.fake.force429({ retryAfterSeconds: 30, count: 1, methods: ['setMyCommands'] });
    const port = fx.channel({ botCommands: [{ command: 'status', description: 'Show the board.' }] });
    const got: IncomingMessage[] = [];
    await port.start(async (m) => void got.push(m));
    expect(fx.fake.stats().calls.setMyCommands).toBe(1);
    expect(fx.fake.stats().tooManyRequests).toBe(1);
    const warning = fx.log.lines.find((l) => l.level === 'warn' && l.msg.includes('command menu'));
    expect(warning?.fields?.reason).toMatch(/429|Too Many Requests/);
    expect(fx.log.text()).not.toContain(fx.orchestrator.token!);
    fx.fake.postAsUser(fx.chat.id, fx.alice.id, '/status@swarm_bot');
    await waitFor('the command', () => (got.length > 0 ? got : undefined), 10_000);
    expect(got[0]!.text).toBe('/status@swarm_bot');
  });

  it('chat-swarm wiring: openChannel gives the group every command of the catalog with its description', async () => {
    fx = await createTelegramFixture();
    const config = configSchema.parse({
      channel: {
        platform: 'telegram',
        chatId: fx.chat.id,
        apiRoot: fx.fake.apiRoot,
        admins: { userIds: [String(fx.alice.id)] },
      },
    });
    const ledger = tempLedger();
    const { port } = await openChannel(config, ledger, fx.log, {
      TELEGRAM_BOT_TOKEN: fx.orchestrator.token!,
    });
    try {
      await port.start(async () => {});
      const menu = (await menuOf(fx.orchestrator, { type: 'chat', chat_id: fx.chat.id })) as Array<{
        command: string;
        description: string;
      }>;
      expect(menu.map((c) => c.command)).toEqual(Object.keys(COMMANDS));
      expect(menu.find((c) => c.command === 'task')?.description).toBe(COMMANDS.task.description);
    } finally {
      await port.stop();
    }
  });
});
