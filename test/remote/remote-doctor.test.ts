import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { FakeTelegramServer } from '../fakes/telegram/fake-telegram-server.ts';
import { tempDir } from '../support/temp-ledger.ts';

let fake: FakeTelegramServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
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
      /✘ remote: orchestrator: configured as wrong_handle, but bot \d+ is @swarm_bot/,
    );
    expect(agentSide.code).toBe(1);
  });
});
