import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/fake-discord-server.ts';
import { Perm } from '../fakes/discord/fake-discord-state.ts';
import { FakeTelegramServer } from '../fakes/telegram/fake-telegram-server.ts';
import { tempDir } from '../support/temp-ledger.ts';

let fake: FakeTelegramServer | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  if (discord) expect(discord.unknownRoutes).toEqual([]);
  await discord?.close();
  discord = undefined;
});

async function doctor(config: unknown, env: Record<string, string>): Promise<{ code: number; text: string }> {
  const path = join(tempDir(), 'swarm.json');
  writeFileSync(path, JSON.stringify(config));
  const out: string[] = [];
  const code = await main(['doctor', '--config', path], {
    out: (t) => void out.push(t),
    err: (t) => void out.push(t),
    env,
  });
  return { code, text: out.join('\n') };
}

describe('doctor for remote agents on Telegram', () => {
  it("checks each agent bot's membership and username, and says bot-to-bot mode cannot be read", async () => {
    fake = await FakeTelegramServer.start();
    const orch = fake.addBot('swarm_bot');
    const good = fake.addBot('coder1_bot', { botToBot: true });
    const absent = fake.addBot('coder2_bot', { botToBot: true });
    const alice = fake.addUser('Alice');
    const chat = fake.createChat('Swarm', {
      members: [alice, { account: orch, status: 'administrator' }, good],
    });
    const base = { channel: { platform: 'telegram', chatId: chat.id, apiRoot: fake.apiRoot } };
    const orchestrator = await doctor(
      {
        ...base,
        remote: {
          agents: [
            { id: 'coder-1', botUserId: String(good.id), handle: 'coder1_bot' },
            { id: 'coder-2', botUserId: String(absent.id), handle: 'coder2_bot' },
          ],
        },
      },
      { TELEGRAM_BOT_TOKEN: orch.token! },
    );
    expect(orchestrator.code).toBe(1);
    expect(orchestrator.text).toMatch(/✔ remote: remote agent coder-1: @coder1_bot is member/);
    expect(orchestrator.text).toMatch(/✘ remote: remote agent coder-2: bot \d+ is not in the group/);
    expect(orchestrator.text).toMatch(
      /\? remote: Bot-to-Bot Communication Mode: the Bot API does not report it/,
    );
    expect(orchestrator.text).toMatch(/fix: In @BotFather/);

    const agentSide = await doctor(
      {
        ...base,
        channel: { ...base.channel, tokenEnv: 'AGENT_TOKEN' },
        agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }],
        remote: { orchestrator: { botUserId: String(orch.id), handle: 'wrong_handle' } },
      },
      { AGENT_TOKEN: good.token! },
    );
    expect(agentSide.text).toMatch(/✔ remote: this agent bot: @coder1_bot \(user id \d+\)/);
    expect(agentSide.text).toMatch(/✔ remote: this bot in the group/);
    expect(agentSide.text).toMatch(
      /✔ remote: admin or privacy \(this bot\): @coder1_bot is a plain member with privacy mode on/,
    );
    expect(agentSide.text).toMatch(
      /✘ remote: orchestrator: configured as wrong_handle, but bot \d+ is @swarm_bot/,
    );
    expect(agentSide.code).toBe(1);
  });
});

describe('doctor for remote agents on Discord', () => {
  const token = (name: string): string => `${name}-doctor-token-0123456789abcdef`;

  it("checks from the orchestrator's side that each agent bot is a bot in the server with the channel permissions", async () => {
    discord = await startFakeDiscord({
      bots: [
        { name: 'orchestrator', token: token('orchestrator') },
        { name: 'coder-1', token: token('coder-1') },
        { name: 'coder-3', token: token('coder-3') },
      ],
      users: [{ name: 'alice' }],
      channels: [
        { name: 'swarm', overwrites: [{ member: 'coder-3', deny: Perm.AttachFiles | Perm.SendMessages }] },
      ],
    });
    const config = {
      channel: { platform: 'discord', channelId: discord.channelId, apiBase: discord.apiBase },
      remote: {
        agents: [
          { id: 'coder-1', botUserId: discord.bot('coder-1').id },
          { id: 'coder-2', botUserId: '123456789012345678' },
          { id: 'coder-3', botUserId: discord.bot('coder-3').id },
          { id: 'coder-4', botUserId: discord.user('alice').id },
        ],
      },
    };
    const { code, text } = await doctor(config, { DISCORD_BOT_TOKEN: token('orchestrator') });
    expect(text).toMatch(
      /✔ remote: remote agent coder-1: coder-1 \(\d+\) is a bot in the server, with View Channel, Send Messages, Read Message History, Attach Files in #swarm/,
    );
    expect(text).toMatch(
      /✘ remote: remote agent coder-2: user 123456789012345678 is not a member of the server/,
    );
    expect(text).toMatch(/fix: Invite the remote agent coder-2 bot to the server/);
    expect(text).toMatch(
      /✘ remote: remote agent coder-3: coder-3 \(\d+\) lacks Send Messages, Attach Files in #swarm/,
    );
    expect(text).toMatch(/✘ remote: remote agent coder-4: alice \(\d+\) is a person, not a bot/);
    expect(text).toMatch(
      /\? remote: Message Content intent of the other bots: .*run doctor on each remote agent's host/,
    );
    expect(text).not.toContain(token('orchestrator'));
    expect(code).toBe(1);
  });

  it("checks on an agent's host its own bot (intent, what the protocol needs) and the orchestrator's bot", async () => {
    discord = await startFakeDiscord({
      bots: [
        { name: 'orchestrator', token: token('orchestrator') },
        { name: 'coder-1', token: token('coder-1'), messageContentAllowed: false },
      ],
      // No thread or pin permissions: a remote agent does not need them.
      everyonePermissions: Perm.ViewChannel | Perm.SendMessages | Perm.ReadMessageHistory | Perm.AttachFiles,
    });
    const config = {
      channel: {
        platform: 'discord',
        channelId: discord.channelId,
        apiBase: discord.apiBase,
        tokenEnv: 'CODER1_BOT_TOKEN',
      },
      agents: [{ id: 'coder-1', skills: ['code'], command: 'true' }],
      remote: { orchestrator: { botUserId: discord.bot('orchestrator').id } },
    };
    const { code, text } = await doctor(config, { CODER1_BOT_TOKEN: token('coder-1') });
    expect(text).toMatch(/✔ bot token: valid, the bot is coder-1/);
    expect(text).toMatch(/✘ message content intent: not enabled/);
    expect(text).toMatch(/fix: .*turn on Message Content Intent/);
    expect(text).toMatch(/✔ permission: Attach Files: granted/);
    expect(text).not.toMatch(/Threads|Pin Messages|slash commands/);
    expect(text).toMatch(/✔ remote: orchestrator: orchestrator \(\d+\) is a bot in the server/);
    expect(text).not.toContain(token('coder-1'));
    expect(code).toBe(1);
  });
});
